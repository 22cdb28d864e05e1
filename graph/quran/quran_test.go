package quran

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/quranfoundation/reflect-graphql/upstream"
)

// source is a Content API in memory whose parts can be made to fail.
type source struct {
	mu    sync.Mutex
	fail  bool
	loads int
	text  string // the Uthmani text every verse gets
}

var errDown = errors.New("content api down")

func (s *source) state() (bool, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fail, s.text
}

func (s *source) Uthmani(context.Context) ([]upstream.VerseText, error) {
	s.mu.Lock()
	s.loads++
	s.mu.Unlock()
	fail, text := s.state()
	if fail {
		return nil, errDown
	}
	out := make([]upstream.VerseText, 0, upstream.Verses)
	for i := 1; i <= upstream.Verses; i++ {
		k, _ := upstream.VerseAt(i)
		out = append(out, upstream.VerseText{Key: k, Text: text + " " + k.String()})
	}
	return out, nil
}

func (s *source) Translation(_ context.Context, id int) (*upstream.Translation, error) {
	if fail, _ := s.state(); fail {
		return nil, errDown
	}
	t := &upstream.Translation{ResourceID: id, Name: "T"}
	for i := 1; i <= upstream.Verses; i++ {
		k, _ := upstream.VerseAt(i)
		t.Verses = append(t.Verses, upstream.VerseText{Key: k, Text: "tr " + k.String()})
	}
	return t, nil
}

func (s *source) Chapters(context.Context, string) ([]upstream.Chapter, error) {
	if fail, _ := s.state(); fail {
		return nil, errDown
	}
	out := make([]upstream.Chapter, 0, upstream.Chapters)
	for id := upstream.Chapters; id >= 1; id-- { // out of order: the store orders them
		out = append(out, upstream.Chapter{ID: id, NameSimple: "c", VersesCount: upstream.ChapterVerses(id)})
	}
	return out, nil
}

func (s *source) TranslationResources(context.Context) ([]upstream.TranslationResource, error) {
	if fail, _ := s.state(); fail {
		return nil, errDown
	}
	en := "english"
	return []upstream.TranslationResource{{ID: 131, Name: "The Clear Quran", LanguageName: &en}}, nil
}

// TestARefreshThatFailsKeepsTheCopy: the copy loads at start, is refreshed
// every Refresh, and a failed refresh keeps serving the last copy, says so,
// and is tried again well before the next day.
func TestARefreshThatFailsKeepsTheCopy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &source{text: "v1"}
		var mu sync.Mutex
		var results []string
		s := NewStore(src, Config{Translations: []int{131}, Refresh: 24 * time.Hour,
			OnLoad: func(result string, c *Copy) { mu.Lock(); results = append(results, result); mu.Unlock() }})
		if s.Copy() != nil {
			t.Fatal("a copy before any load")
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go s.Run(ctx)
		<-s.Loaded()
		c := s.Copy()
		if !c.Complete() {
			t.Fatalf("after the first load: %+v", c.Status())
		}
		k := upstream.VerseKey{Chapter: 2, Verse: 255}
		if got, _ := c.Uthmani(k); got != "v1 2:255" {
			t.Errorf("2:255 is %q", got)
		}
		if ch, ok := c.Chapter(112); !ok || ch.ID != 112 {
			t.Errorf("chapter 112: %v %v", ch, ok)
		}
		if tr, ok := c.Translation(131); !ok || tr.LanguageName == nil || *tr.LanguageName != "english" {
			t.Errorf("translation 131: %+v", tr)
		}

		src.mu.Lock()
		src.fail = true
		src.mu.Unlock()
		time.Sleep(24 * time.Hour) // the bubble's clock: the refresh is due
		synctest.Wait()
		if got, _ := s.Copy().Uthmani(k); got != "v1 2:255" || !s.Copy().Complete() {
			t.Errorf("after a failed refresh: %q, complete %v; want the old copy", got, s.Copy().Complete())
		}
		time.Sleep(retryFirst) // tried again soon, not in a day
		synctest.Wait()
		src.mu.Lock()
		src.fail, src.text = false, "v2"
		loads := src.loads
		src.mu.Unlock()
		if loads != 3 {
			t.Errorf("%d loads, want the first, the failed refresh and its retry", loads)
		}
		time.Sleep(2 * retryFirst)
		synctest.Wait()
		if got, _ := s.Copy().Uthmani(k); got != "v2 2:255" {
			t.Errorf("after the source recovered: %q, want the new text", got)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(results) != 4 || results[0] != "ok" || results[1] != "failed" || results[2] != "failed" || results[3] != "ok" {
			t.Errorf("loads %v, want ok, failed, failed, ok", results)
		}
	})
}

// TestAPartialLoadKeepsWhatCame: a pre-live Content API serves chapters 1
// and 2 only: the copy holds them (the rest is read per range) and is not
// complete.
func TestAPartialLoadKeepsWhatCame(t *testing.T) {
	src := &partial{}
	s := NewStore(src, Config{Translations: []int{131}, Refresh: time.Hour})
	if err := s.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	c := s.Copy()
	if _, ok := c.Uthmani(upstream.VerseKey{Chapter: 2, Verse: 286}); !ok {
		t.Error("2:286 is missing")
	}
	if _, ok := c.Uthmani(upstream.VerseKey{Chapter: 3, Verse: 1}); ok {
		t.Error("3:1 is there")
	}
	if st := c.Status(); st.Complete || st.Verses != 293 {
		t.Errorf("status %+v, want 293 verses and not complete", st)
	}
}

// partial serves chapters 1 and 2 only, as pre-live does.
type partial struct{ source }

func (p *partial) Uthmani(ctx context.Context) ([]upstream.VerseText, error) {
	all, err := p.source.Uthmani(ctx)
	return all[:293], err
}

// TestALoadThatShrinksKeepsTheRest: a load that brings fewer verses than the
// copy holds (an answer cut short) keeps the old text of the others, and says
// it failed.
func TestALoadThatShrinksKeepsTheRest(t *testing.T) {
	src := &source{text: "v1"}
	s := NewStore(src, Config{Translations: []int{131}, Refresh: time.Hour})
	if err := s.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	short := &partial{source: source{text: "v2"}}
	s.src = short
	if err := s.Load(t.Context()); !errors.Is(err, errShrunk) {
		t.Errorf("a load that shrank the copy: %v, want errShrunk", err)
	}
	c := s.Copy()
	if got, _ := c.Uthmani(upstream.VerseKey{Chapter: 1, Verse: 1}); got != "v2 1:1" {
		t.Errorf("1:1 is %q, want the new text", got)
	}
	if got, _ := c.Uthmani(upstream.VerseKey{Chapter: 114, Verse: 6}); got != "v1 114:6" || !c.Complete() {
		t.Errorf("114:6 is %q (complete %v), want the old text kept", got, c.Complete())
	}
}
