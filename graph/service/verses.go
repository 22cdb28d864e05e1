package service

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/quran"
	"github.com/quranfoundation/reflect-graphql/graph/telemetry"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// The Content API beside Quran Reflect: its own token (tokens are per scope),
// its own client, and the copy of the Quran's text the service holds; and the
// sharing of signed-out callers' lookups, which the verse panel lives on.

// verseSettings are the settings of the verses and of public sharing, in the
// README's order.
func (c *Config) verseSettings() []setting {
	return []setting{
		boolSetting("PUBLIC_COALESCE", &c.PublicCoalesce, "",
			"`true`: concurrent lookups by callers without a user token (all of whom see the service token's answer), from different requests, share one upstream call"),
		{name: "PUBLIC_SHARE_TTL", shown: "`60s`", parse: c.parsePublicShareTTL, value: func() any { return formatDuration(c.PublicShareTTL) },
			doc: "how long the answers served to callers without a user token are kept and shared by all of them (feed, posts, rooms, users, comments, verse text): in Redis when `REDIS_URL` is set, so every replica shares them; `0`: not kept. A write through the service drops what it makes stale at once; a change made elsewhere shows within this time"},
		intSetting("PUBLIC_SHARE_SIZE", &c.PublicShareSize, "",
			"answers the in-memory public cache holds per endpoint (without Redis)"),
		listSetting("QF_CONTENT_SCOPES", &c.ContentScopes, "`content`",
			"scopes of the service's second client-credentials token, the Content API's (a token per scope set; it never goes to Quran Reflect, nor Quran Reflect's to the Content API)"),
		boolSetting("VERSE_PRELOAD", &c.VersePreload, "",
			"`true`: hold the Uthmani text of the whole Quran, the chapters and `VERSE_TRANSLATIONS` in memory, loaded in the background at start (a few MB each); `false`: read every verse field from the Content API per range"),
		intSetting("VERSE_TRANSLATION", &c.VerseTranslation, "",
			"the translation `Verse.translation` gives without `resourceId` (a Content API resource id; 131 is The Clear Quran, quran.com's English default)"),
		{name: "VERSE_TRANSLATIONS", shown: "`131`", parse: c.parseVerseTranslations, value: func() any { return c.VerseTranslations },
			doc: "comma-separated resource ids of the translations held in memory with the Uthmani text (a few MB each), and asked for with the text when a range is read; others are read from the Content API per range"},
		durSetting("VERSE_REFRESH", &c.VerseRefresh, "",
			"how often the copy of the text is loaded again (a failed load keeps the old copy, and is retried sooner)"),
	}
}

func (c *Config) parsePublicShareTTL(v string) error {
	d, err := time.ParseDuration(v)
	if v == "0" {
		d, err = 0, nil
	}
	if err != nil || d < 0 {
		return fmt.Errorf("%q is not a duration such as 60s (0: off)", v)
	}
	c.PublicShareTTL = d
	return nil
}

// maxVerseTranslations bounds the translations held in memory: a few MB each.
const maxVerseTranslations = 10

func (c *Config) parseVerseTranslations(v string) error {
	var ids []int
	for _, f := range strings.Fields(strings.ReplaceAll(v, ",", " ")) {
		id, err := strconv.Atoi(f)
		if err != nil || id < 1 {
			return fmt.Errorf("%q is not a translation's resource id", f)
		}
		ids = append(ids, id)
	}
	if len(ids) > maxVerseTranslations {
		return fmt.Errorf("at most %d translations, not %d", maxVerseTranslations, len(ids))
	}
	c.VerseTranslations = ids
	return nil
}

// content is the Content API as the service uses it.
type content struct {
	client *upstream.Content
	tokens *upstream.ServiceTokens // nil without credentials
	store  *quran.Store            // nil: VERSE_PRELOAD is off
}

// newContent is the Content API's client, with a token of its own for
// QF_CONTENT_SCOPES, and the store of the text, which run loads. ctx is the
// process's: the token is renewed on it.
func newContent(ctx context.Context, cfg Config, d Deps, logger *slog.Logger, metrics *telemetry.Metrics) content {
	var out content
	var provider upstream.TokenProvider
	if cfg.ClientSecret != "" {
		out.tokens = newServiceTokens(ctx, cfg, d, metrics, cfg.ContentScopes)
		provider = out.tokens
	}
	ccfg := cfg.Upstream
	ccfg.APIBaseURL, ccfg.ClientID, ccfg.ServiceTokens = cfg.APIBaseURL, cfg.ClientID, provider
	ccfg.Logger, ccfg.Observer, ccfg.Tracer, ccfg.Sleep = logger, metrics, d.Tracer.Tracer("upstream"), d.Sleep
	httpClient := upstreamHTTPClient(int(ccfg.MaxConcurrent))
	out.client = upstream.NewContent(ccfg, httpClient)
	if !cfg.VersePreload {
		return out
	}
	// The whole-Quran answers are a few MB each: their reads get a client of
	// their own, with the time such an answer takes (no request waits for
	// them), and a breaker that a slow load does not open for requests.
	lcfg := ccfg
	lcfg.AttemptTimeout, lcfg.Budget = max(ccfg.AttemptTimeout, 30*time.Second), max(ccfg.Budget, 2*time.Minute)
	out.store = quran.NewStore(upstream.NewContent(lcfg, httpClient), quran.Config{
		Translations: cfg.VerseTranslations,
		Refresh:      cfg.VerseRefresh,
		Language:     "en",
		Logger:       logger,
		OnLoad: func(result string, c *quran.Copy) {
			st := c.Status()
			metrics.VerseCopy(result, st.Verses, st.Chapters, st.Translations, st.Complete)
			if d.VerseLoaded != nil {
				d.VerseLoaded(result)
			}
		},
	})
	return out
}
