package graph

import (
	"context"
	"net/http"
	"slices"
	"strconv"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/guard"
	"github.com/quranfoundation/reflect-graphql/graph/loader"
	"github.com/quranfoundation/reflect-graphql/graph/model"
	"github.com/quranfoundation/reflect-graphql/graph/paging"
	"github.com/quranfoundation/reflect-graphql/graph/quran"
	"github.com/quranfoundation/reflect-graphql/upstream"
)

// verses is everything the verses domain owns: the Quran's text, from the
// copy the service holds in memory (quran.Store) when it has it, else from the
// Content API a range at a time; the chapters; and Quran Reflect's count of
// posts by verse. A verse's reflections are the feed domain's.
//
// Content API reads carry the service's own token whoever asks (AsService),
// so every caller shares them across requests like a signed-out one.
type verses struct {
	store *quran.Store // nil: no copy; every verse is read per range
	// ranges reads a range of verses (at most a page) with the translations
	// the key names.
	ranges   *loader.Kind[upstream.VersesQuery, []upstream.Verse]
	chapters *loader.Kind[string, []upstream.Chapter] // by language
	counts   *loader.Kind[int, int]                   // nil where the upstream does not serve it
	// preloaded are the translations the store holds (VERSE_TRANSLATIONS),
	// ascending: a read of a range asks for them all with the text, so that
	// one call serves every field of them.
	preloaded          []int
	defaultTranslation int
}

func newVerses(d Deps) *verses {
	v := &verses{store: d.Quran, defaultTranslation: d.VerseTranslation,
		preloaded: slices.Compact(slices.Sorted(slices.Values(d.VerseTranslations)))}
	content := d.Content
	v.ranges = loader.Declare(upstream.EndpointVersesByRange, func(ctx context.Context, q upstream.VersesQuery, _ upstream.UserToken) ([]upstream.Verse, error) {
		if content == nil {
			return nil, noContent(upstream.EndpointVersesByRange)
		}
		return content.VersesByRange(ctx, q)
	}).AsService().ShareBy(d.sharing(upstream.EndpointVersesByRange), "v1", nil)
	v.chapters = loader.Declare(upstream.EndpointChapters, func(ctx context.Context, language string, _ upstream.UserToken) ([]upstream.Chapter, error) {
		if content == nil {
			return nil, noContent(upstream.EndpointChapters)
		}
		return content.Chapters(ctx, language)
	}).AsService().ShareBy(d.sharing(upstream.EndpointChapters), "v1", nil)
	if d.CountByVerse {
		v.counts = loader.Declare(upstream.EndpointPostsCountByVerse, d.Upstream.PostsCountByVerse).
			ShareBy(d.sharing(upstream.EndpointPostsCountByVerse), "v1", nil)
	}
	return v
}

// noContent is the error of a Content API read with no client configured.
func noContent(ep upstream.Endpoint) error {
	return &upstream.Error{Endpoint: ep.Name, Resource: ep.Name, Err: upstream.ErrNoCredentials}
}

func (*verses) lookups() []guard.Lookup {
	return []guard.Lookup{{Field: "verses", Arg: "keys", List: true, Noun: "verses"}}
}

func (*verses) plans() []loader.Plan { return nil }

// copy is the text the service holds (nil: none yet).
func (v *verses) copy() *quran.Copy {
	if v.store == nil {
		return nil
	}
	return v.store.Copy()
}

// maxTranslations is the most translations one verse's field asks for;
// maxResourceID the largest id the Content API's ids go to (far past any).
const (
	maxTranslations = 20
	maxResourceID   = 999_999_999
)

// pageOfVerses is the most verses one Content API read brings.
var pageOfVerses = upstream.EndpointVersesByRange.MaxLimit

func parseVerseKey(raw string) (upstream.VerseKey, error) {
	k, err := upstream.ParseVerseKey(raw)
	if err != nil {
		return upstream.VerseKey{}, errcode.Inputf("%s", err.Error())
	}
	return k, nil
}

func (r *Resolver) verse(raw string) (*model.Verse, error) {
	k, err := parseVerseKey(raw)
	if err != nil {
		return nil, err
	}
	return &model.Verse{At: k, From: k, To: k}, nil
}

// versesOf are the verses keys name, in their order. Runs of consecutive
// verses of one chapter are read together (a page at most) when their text
// is not in memory.
func (r *Resolver) versesOf(raw []string) ([]*model.Verse, error) {
	keys := make([]upstream.VerseKey, len(raw))
	for i, s := range raw {
		k, err := upstream.ParseVerseKey(s)
		if err != nil {
			return nil, errcode.Inputf("keys[%d]: %s", i, err.Error())
		}
		keys[i] = k
	}
	sorted := slices.SortedFunc(slices.Values(keys), func(a, b upstream.VerseKey) int { return a.Index() - b.Index() })
	sorted = slices.Compact(sorted)
	runOf := make(map[upstream.VerseKey][2]upstream.VerseKey, len(sorted))
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j].Chapter == sorted[i].Chapter &&
			sorted[j].Index() == sorted[j-1].Index()+1 && j-i < pageOfVerses {
			j++
		}
		for _, k := range sorted[i:j] {
			runOf[k] = [2]upstream.VerseKey{sorted[i], sorted[j-1]}
		}
		i = j
	}
	out := make([]*model.Verse, len(keys))
	for i, k := range keys {
		run := runOf[k]
		out[i] = &model.Verse{At: k, From: run[0], To: run[1]}
	}
	return out, nil
}

// rangeVerses are the verses a post's reference names: none for a whole
// chapter, and none past the chapter's end (the upstream's data is not ours
// to trust). They are read a page at a time from from.
func rangeVerses(vr *upstream.VerseRange) []*model.Verse {
	last := min(vr.To, upstream.ChapterVerses(vr.ChapterID))
	if vr.From < 1 || last < vr.From {
		return []*model.Verse{}
	}
	out := make([]*model.Verse, 0, last-vr.From+1)
	for n := vr.From; n <= last; n++ {
		start := vr.From + (n-vr.From)/pageOfVerses*pageOfVerses
		out = append(out, &model.Verse{
			At:   upstream.VerseKey{Chapter: vr.ChapterID, Verse: n},
			From: upstream.VerseKey{Chapter: vr.ChapterID, Verse: start},
			To:   upstream.VerseKey{Chapter: vr.ChapterID, Verse: min(start+pageOfVerses-1, last)},
		})
	}
	return out
}

// rangeKey is a reference as a key: "2:255-257", "2:255"; nil for a whole
// chapter.
func rangeKey(vr *upstream.VerseRange) *string {
	if vr.From < 1 {
		return nil
	}
	s := strconv.Itoa(vr.ChapterID) + ":" + strconv.Itoa(vr.From)
	if vr.To > vr.From {
		s += "-" + strconv.Itoa(vr.To)
	}
	return &s
}

// fromRange reads v's range with translations and returns v as it came.
func (r *Resolver) fromRange(ctx context.Context, v *model.Verse, translations []int) (*upstream.Verse, error) {
	q, err := upstream.NewVersesQuery(v.From, v.To, translations)
	if err != nil {
		return nil, err
	}
	got, err := r.verses.ranges.Load(ctx, q)
	if err != nil {
		return nil, err
	}
	for i := range got {
		if got[i].Key == v.At {
			return &got[i], nil
		}
	}
	return nil, &upstream.Error{Endpoint: upstream.EndpointVersesByRange.Name, Resource: "verse", Key: v.Key(),
		Err: &upstream.StatusError{Status: http.StatusNotFound, Message: "not in the range's answer"}}
}

func (r *Resolver) textUthmani(ctx context.Context, v *model.Verse) (string, error) {
	if s, ok := r.verses.copy().Uthmani(v.At); ok {
		return s, nil
	}
	got, err := r.fromRange(ctx, v, r.verses.preloaded)
	if err != nil {
		return "", err
	}
	return got.TextUthmani, nil
}

// translationsOf is v in each translation of ids (nil for one without text
// for it): from memory for the preloaded ones the copy has, else in one read
// of v's range with the preloaded translations or, for the others, with them.
func (r *Resolver) translationsOf(ctx context.Context, v *model.Verse, ids []int) ([]*model.Translation, error) {
	out := make([]*model.Translation, len(ids))
	c := r.verses.copy()
	var preloaded, others []int
	for i, id := range ids {
		if t, ok := c.Translation(id); ok {
			if text, ok := t.Text(v.At); ok {
				name := t.Name
				out[i] = &model.Translation{ResourceID: id, Text: text, ResourceName: &name, LanguageName: t.LanguageName}
				continue
			}
		}
		if slices.Contains(r.verses.preloaded, id) {
			preloaded = append(preloaded, id)
		} else {
			others = append(others, id)
		}
	}
	fill := func(got *upstream.Verse) {
		for i, id := range ids {
			if out[i] != nil {
				continue
			}
			for _, t := range got.Translations {
				if t.ResourceID == id {
					out[i] = &model.Translation{ResourceID: id, Text: t.Text, ResourceName: t.ResourceName, LanguageName: t.LanguageName}
					break
				}
			}
		}
	}
	if len(preloaded) > 0 {
		got, err := r.fromRange(ctx, v, r.verses.preloaded)
		if err != nil {
			return nil, err
		}
		fill(got)
	}
	if len(others) > 0 {
		got, err := r.fromRange(ctx, v, others)
		if err != nil {
			return nil, err
		}
		fill(got)
	}
	return out, nil
}

func (r *Resolver) translation(ctx context.Context, v *model.Verse, resourceID *int) (*model.Translation, error) {
	id := r.verses.defaultTranslation
	if resourceID != nil {
		id = *resourceID
	}
	if id < 1 || id > maxResourceID {
		return nil, errcode.Inputf("resourceId %d is not a translation's id", id)
	}
	out, err := r.translationsOf(ctx, v, []int{id})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func (r *Resolver) translations(ctx context.Context, v *model.Verse, ids []int) ([]*model.Translation, error) {
	switch {
	case len(ids) > maxTranslations:
		return nil, errcode.Inputf("resourceIds: at most %d translations, not %d", maxTranslations, len(ids))
	case slices.ContainsFunc(ids, func(id int) bool { return id < 1 || id > maxResourceID }):
		return nil, errcode.Inputf("resourceIds: a translation's id is a number from 1 to %d", maxResourceID)
	}
	got, err := r.translationsOf(ctx, v, ids)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(got, func(t *model.Translation) bool { return t == nil }), nil
}

// defaultLanguage names the chapters' translated names.
const defaultLanguage = "en"

// allChapters are the 114 chapters: from memory, else in one call for the
// operation.
func (r *Resolver) allChapters(ctx context.Context) ([]upstream.Chapter, error) {
	if cs := r.verses.copy().Chapters(); len(cs) == upstream.Chapters {
		return cs, nil
	}
	return r.verses.chapters.Load(ctx, defaultLanguage)
}

func (r *Resolver) chapterOf(ctx context.Context, id int) (*upstream.Chapter, error) {
	if id < 1 || id > upstream.Chapters {
		return nil, errcode.Inputf("chapter %d is not a chapter of the Quran (1 to %d)", id, upstream.Chapters)
	}
	if c, ok := r.verses.copy().Chapter(id); ok {
		return c, nil
	}
	cs, err := r.verses.chapters.Load(ctx, defaultLanguage)
	if err != nil {
		return nil, err
	}
	for i := range cs {
		if cs[i].ID == id {
			return &cs[i], nil
		}
	}
	return nil, &upstream.Error{Endpoint: upstream.EndpointChapters.Name, Resource: "chapter", Key: strconv.Itoa(id),
		Err: &upstream.StatusError{Status: http.StatusNotFound, Message: "not in the chapter list"}}
}

func (r *Resolver) chapterList(ctx context.Context) ([]*upstream.Chapter, error) {
	cs, err := r.allChapters(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*upstream.Chapter, len(cs))
	for i := range cs {
		out[i] = &cs[i]
	}
	return out, nil
}

// verseReflections is the feed filtered to v: the verse panel's one call.
func (r *Resolver) verseReflections(ctx context.Context, v *model.Verse, tab *upstream.FeedTab, sortBy *upstream.PostSort,
	postTypes []model.PostType, languages []int, verifiedOnly *bool, a paging.Args) (*model.PostConnection, error) {
	f := &model.FeedFilter{
		References:   []*model.VerseRangeInput{{ChapterID: v.At.Chapter, From: v.At.Verse, To: v.At.Verse}},
		PostTypes:    postTypes,
		Languages:    languages,
		VerifiedOnly: verifiedOnly,
	}
	return r.feedPosts(ctx, f, tab, sortBy, a)
}

func (r *Resolver) reflectionsCount(ctx context.Context, v *model.Verse) (*int, error) {
	if r.verses.counts == nil {
		return nil, nil // pre-live does not serve it
	}
	n, err := r.verses.counts.Load(ctx, v.At.Index())
	if err != nil {
		return nil, err
	}
	return &n, nil
}
