// Package quran holds the Quran's text in the service's memory: the Uthmani
// text of every verse, the chapter list, and the translations the settings
// name, loaded from the Content API's whole-Quran endpoints in the background
// and refreshed without a gap. Every verse field read from a loaded copy costs
// no upstream call; until a part is loaded (or for a translation that is not
// preloaded) the graph falls back to the Content API per range.
//
// A Copy never changes once built: a refresh builds the next one and swaps it
// in whole, part by part keeping the old part when its fetch fails, so a
// failed refresh keeps serving what the last one loaded.
package quran

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// Source is where a Copy comes from: the Content API (*upstream.Content).
type Source interface {
	Uthmani(ctx context.Context) ([]upstream.VerseText, error)
	Translation(ctx context.Context, id int) (*upstream.Translation, error)
	Chapters(ctx context.Context, language string) ([]upstream.Chapter, error)
	TranslationResources(ctx context.Context) ([]upstream.TranslationResource, error)
}

// Translation is one preloaded translation: who made it and its text of each
// verse ("" for a verse the Content API did not send).
type Translation struct {
	ResourceID   int
	Name         string  // such as "The Clear Quran"
	LanguageName *string // such as "english"; nil when the resources list did not say
	text         []string
	verses       int
}

// Text is the translation of k, if the copy has it.
func (t *Translation) Text(k upstream.VerseKey) (string, bool) {
	i := k.Index()
	if i == 0 || t.text[i-1] == "" {
		return "", false
	}
	return t.text[i-1], true
}

// Copy is one load of the text. It is never changed after it is built.
type Copy struct {
	uthmani      []string // by verse index - 1; "" for a verse not loaded
	verses       int      // how many uthmani holds
	chapters     []upstream.Chapter
	translations map[int]*Translation
	resources    map[int]upstream.TranslationResource
	want         []int // the translations the settings name
}

// Uthmani is k's Uthmani text, if the copy has it.
func (c *Copy) Uthmani(k upstream.VerseKey) (string, bool) {
	if c == nil {
		return "", false
	}
	i := k.Index()
	if i == 0 || c.uthmani[i-1] == "" {
		return "", false
	}
	return c.uthmani[i-1], true
}

// Translation is the preloaded translation id, if the copy has it.
func (c *Copy) Translation(id int) (*Translation, bool) {
	if c == nil {
		return nil, false
	}
	t, ok := c.translations[id]
	return t, ok
}

// Chapters are the chapters, in order, if the copy has them (nil if not).
func (c *Copy) Chapters() []upstream.Chapter {
	if c == nil {
		return nil
	}
	return c.chapters
}

// Chapter is chapter id, if the copy has it.
func (c *Copy) Chapter(id int) (*upstream.Chapter, bool) {
	if c == nil || id < 1 || id > len(c.chapters) || c.chapters[id-1].ID != id {
		return nil, false
	}
	return &c.chapters[id-1], true
}

// Complete reports whether the copy holds every verse's text, all 114
// chapters and every verse of each translation the settings name.
func (c *Copy) Complete() bool {
	if c == nil || c.verses != upstream.Verses || len(c.chapters) != upstream.Chapters {
		return false
	}
	for _, id := range c.want {
		if t, ok := c.translations[id]; !ok || t.verses != upstream.Verses {
			return false
		}
	}
	return true
}

// Status is what the log and the metrics say of a copy.
type Status struct {
	Verses       int         // verses with their Uthmani text
	Chapters     int         // chapters
	Translations map[int]int // verses per preloaded translation
	Complete     bool
}

// Status is what c holds.
func (c *Copy) Status() Status {
	s := Status{Translations: map[int]int{}}
	if c == nil {
		return s
	}
	s.Verses, s.Chapters, s.Complete = c.verses, len(c.chapters), c.Complete()
	for id, t := range c.translations {
		s.Translations[id] = t.verses
	}
	return s
}

// Config configures a Store.
type Config struct {
	// Translations are the translations to preload, by resource id.
	Translations []int
	// Refresh is how often a loaded copy is loaded again.
	Refresh time.Duration
	// Language names the chapters' translated names ("en").
	Language string
	Logger   *slog.Logger
	// OnLoad, if set, hears every load: its outcome ("ok" or "failed") and
	// the copy being served after it (for metrics).
	OnLoad func(result string, c *Copy)
}

// Store serves the current Copy and keeps it fresh. It is safe for concurrent
// use; Copy never blocks.
type Store struct {
	src    Source
	cfg    Config
	cur    atomic.Pointer[Copy]
	loaded chan struct{} // closed when Run's first load has ended
	once   sync.Once
}

// NewStore returns a store with no copy yet: Run loads it.
func NewStore(src Source, cfg Config) *Store {
	if cfg.Refresh <= 0 {
		panic("quran: Config.Refresh must be positive")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.OnLoad == nil {
		cfg.OnLoad = func(string, *Copy) {}
	}
	if cfg.Language == "" {
		cfg.Language = "en"
	}
	cfg.Translations = slices.Compact(slices.Sorted(slices.Values(cfg.Translations)))
	return &Store{src: src, cfg: cfg, loaded: make(chan struct{})}
}

// Loaded is closed once Run's first load has ended, whatever came of it.
func (s *Store) Loaded() <-chan struct{} { return s.loaded }

// Copy is the copy being served: nil before the first load has brought
// anything.
func (s *Store) Copy() *Copy { return s.cur.Load() }

// Retry waits after a failed load: from retryFirst, doubling, to retryMost
// (or the refresh interval, if shorter). A failed first load must not wait a
// day; a Content API that is down must not be asked in a tight loop either.
const (
	retryFirst = 5 * time.Second
	retryMost  = 10 * time.Minute
)

// Run loads the copy at once, then again every Refresh (sooner after a
// failure), until ctx is done.
func (s *Store) Run(ctx context.Context) {
	wait := retryFirst
	for {
		next := s.cfg.Refresh
		err := s.Load(ctx)
		s.once.Do(func() { close(s.loaded) })
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			next = min(wait, retryMost, s.cfg.Refresh)
			wait *= 2
		} else {
			wait = retryFirst
		}
		t := time.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Load loads every part once and swaps the result in. A part whose fetch
// fails keeps what the copy being served has of it; the error is the first
// failure, after the successful parts are served.
func (s *Store) Load(ctx context.Context) error {
	old := s.Copy()
	var (
		mu        sync.Mutex
		firstErr  error
		uthmani   []upstream.VerseText
		chapters  []upstream.Chapter
		resources []upstream.TranslationResource
		gotRes    bool
		trans     = map[int]*upstream.Translation{}
	)
	fail := func(what string, err error) {
		mu.Lock()
		defer mu.Unlock()
		s.cfg.Logger.WarnContext(ctx, "quran: loading "+what+" failed; serving what the last load brought", "error", err)
		if firstErr == nil {
			firstErr = err
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		v, err := s.src.Uthmani(ctx)
		if err != nil {
			fail("the Uthmani text", err)
			return
		}
		uthmani = v
	})
	wg.Go(func() {
		v, err := s.src.Chapters(ctx, s.cfg.Language)
		if err != nil {
			fail("the chapters", err)
			return
		}
		chapters = v
	})
	wg.Go(func() {
		v, err := s.src.TranslationResources(ctx)
		if err != nil {
			fail("the translations' names", err)
			return
		}
		resources, gotRes = v, true
	})
	for _, id := range s.cfg.Translations {
		wg.Go(func() {
			t, err := s.src.Translation(ctx, id)
			if err != nil {
				fail("a translation", err)
				return
			}
			mu.Lock()
			trans[id] = t
			mu.Unlock()
		})
	}
	wg.Wait()

	next := &Copy{want: s.cfg.Translations, translations: map[int]*Translation{}, resources: map[int]upstream.TranslationResource{}}
	if uthmani != nil {
		next.uthmani = make([]string, upstream.Verses)
		for _, v := range uthmani {
			if i := v.Key.Index(); i > 0 && v.Text != "" && next.uthmani[i-1] == "" {
				next.uthmani[i-1] = v.Text
				next.verses++
			}
		}
	}
	if old != nil && next.verses < old.verses {
		// A load that brought less than the copy had (an answer cut short)
		// keeps the old text of what it lacks: text is never taken away.
		next.uthmani, next.verses = merge(next.uthmani, old.uthmani)
		if firstErr == nil {
			firstErr = errShrunk
		}
	}
	if next.uthmani == nil {
		next.uthmani = make([]string, upstream.Verses)
	}
	next.chapters = orderChapters(chapters)
	if len(next.chapters) == 0 && old != nil {
		next.chapters = old.chapters
	}
	if gotRes {
		for _, r := range resources {
			next.resources[r.ID] = r
		}
	} else if old != nil {
		next.resources = old.resources
	}
	for _, id := range s.cfg.Translations {
		t := newTranslation(id, trans[id], next.resources)
		if prev, ok := old.Translation(id); ok && (t == nil || t.verses < prev.verses) {
			if t == nil {
				t = prev
			} else {
				t.text, t.verses = merge(t.text, prev.text)
				if firstErr == nil {
					firstErr = errShrunk
				}
			}
		}
		if t != nil && t.verses > 0 {
			next.translations[id] = t
		}
	}
	s.cur.Store(next)
	result := "ok"
	if firstErr != nil {
		result = "failed"
	}
	s.cfg.OnLoad(result, next)
	st := next.Status()
	if old.Complete() != st.Complete || old == nil {
		if st.Complete {
			s.cfg.Logger.InfoContext(ctx, "quran: the copy of the text is complete: every verse field is served from memory",
				"verses", st.Verses, "chapters", st.Chapters, "translations", s.cfg.Translations)
		} else {
			s.cfg.Logger.InfoContext(ctx, "quran: the copy of the text is partial: the rest is read per range",
				"verses", st.Verses, "chapters", st.Chapters, "translations", st.Translations)
		}
	}
	return firstErr
}

// errShrunk is a load that brought fewer verses than the copy had.
var errShrunk = errors.New("quran: the load brought fewer verses than the copy holds; the missing ones keep their old text")

// merge is next (nil for none) with the verses it lacks taken from old, and
// how many it then holds.
func merge(next, old []string) ([]string, int) {
	out := make([]string, upstream.Verses)
	n := 0
	for i := range out {
		switch {
		case next != nil && next[i] != "":
			out[i] = next[i]
		case old != nil:
			out[i] = old[i]
		}
		if out[i] != "" {
			n++
		}
	}
	return out, n
}

// orderChapters keeps the chapters by id, 1 first, dropping any whose id is
// not a chapter's or repeats one, and stops at the first gap: Copy.Chapter
// finds chapter n at n-1.
func orderChapters(in []upstream.Chapter) []upstream.Chapter {
	var by [upstream.Chapters + 1]*upstream.Chapter
	for i := range in {
		if c := &in[i]; c.ID >= 1 && c.ID <= upstream.Chapters && by[c.ID] == nil {
			by[c.ID] = c
		}
	}
	var out []upstream.Chapter
	for id := 1; id <= upstream.Chapters && by[id] != nil; id++ {
		out = append(out, *by[id])
	}
	return out
}

// newTranslation is a fetched translation as the copy holds it (nil for none).
func newTranslation(id int, t *upstream.Translation, resources map[int]upstream.TranslationResource) *Translation {
	if t == nil {
		return nil
	}
	out := &Translation{ResourceID: id, Name: t.Name, text: make([]string, upstream.Verses)}
	if r, ok := resources[id]; ok {
		if out.Name == "" {
			out.Name = r.Name
		}
		out.LanguageName = r.LanguageName
	}
	for _, v := range t.Verses {
		if i := v.Key.Index(); i > 0 && v.Text != "" && out.text[i-1] == "" {
			out.text[i-1] = v.Text
			out.verses++
		}
	}
	return out
}
