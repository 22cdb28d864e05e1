package live

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/time/rate"
)

const interval = 5 * time.Second

// source is a fake upstream list: its ids newest first, each item its own id.
// It counts the polls that reached it.
type source struct {
	mu    sync.Mutex
	ids   []string
	err   error
	polls int
}

func (f *source) add(ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		f.ids = append([]string{id}, f.ids...)
	}
}

func (f *source) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *source) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.polls
}

func (f *source) poll(context.Context) (Snapshot[string], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polls++
	if f.err != nil {
		return Snapshot[string]{}, f.err
	}
	snap := Snapshot[string]{IDs: slices.Clone(f.ids), Items: make(map[string]string, len(f.ids))}
	for _, id := range f.ids {
		snap.Items[id] = id
	}
	return snap, nil
}

var room = Key{What: "room-posts:42", Identity: "anonymous"}

// subscribe subscribes to key or fails the test.
func subscribe(t *testing.T, h *Hub[string], key Key, f *source) *Subscription[string] {
	t.Helper()
	s, err := h.Subscribe(context.Background(), key, f.poll, NewIDs[string])
	if err != nil {
		t.Fatalf("Subscribe %v: %v", key, err)
	}
	return s
}

// drain takes what s has buffered without waiting, and whether C is closed.
// Call it after synctest.Wait, when the pollers have sent all they will.
func drain(s *Subscription[string]) (got []string, closed bool) {
	for {
		select {
		case ev, ok := <-s.C():
			if !ok {
				return got, true
			}
			got = append(got, ev)
		default:
			return got, false
		}
	}
}

// expect checks that s has buffered exactly want and is still open.
func expect(t *testing.T, name string, s *Subscription[string], want ...string) {
	t.Helper()
	got, closed := drain(s)
	if closed {
		t.Errorf("%s: closed (Err %v) after %q, want %q", name, s.Err(), got, want)
		return
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %q, want %q", name, got, want)
	}
}

// expectEnd checks that s has buffered want, then closed with an error that
// is err.
func expectEnd(t *testing.T, name string, s *Subscription[string], err error, want ...string) {
	t.Helper()
	got, closed := drain(s)
	if !closed {
		t.Errorf("%s: still open after %q", name, got)
		return
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %q before the end, want %q", name, got, want)
	}
	if !errors.Is(s.Err(), err) {
		t.Errorf("%s: Err %v, want %v", name, s.Err(), err)
	}
}

// shutdown stops h, which must stop at once once its polls return.
func shutdown(t *testing.T, h *Hub[string]) {
	t.Helper()
	if err := h.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

func checkPolls(t *testing.T, when string, f *source, want int) {
	t.Helper()
	if got := f.count(); got != want {
		t.Errorf("%s: %d polls, want %d", when, got, want)
	}
}

// TestSharedPoller: two subscribers of one key cost one poll per interval and
// both get every event.
func TestSharedPoller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHub[string](Config{Interval: interval})
		defer shutdown(t, h)
		f := &source{}
		f.add("1", "2")
		a := subscribe(t, h, room, f)
		b := subscribe(t, h, room, f)
		synctest.Wait()
		if got, want := h.Pollers(), 1; got != want {
			t.Fatalf("Pollers: %d, want %d", got, want)
		}
		if got, want := h.Subscribers(), 2; got != want {
			t.Errorf("Subscribers: %d, want %d", got, want)
		}
		checkPolls(t, "at start (the baseline)", f, 1)
		const n = 4
		for i := range n {
			id := fmt.Sprint(10 + i)
			f.add(id)
			time.Sleep(interval)
			synctest.Wait()
			checkPolls(t, fmt.Sprintf("after %d intervals", i+1), f, 1+i+1)
			expect(t, "a", a, id)
			expect(t, "b", b, id)
		}
	})
}

// TestKeys: the same thing through other eyes is another poller.
func TestKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHub[string](Config{Interval: interval})
		defer shutdown(t, h)
		anon, user := &source{}, &source{}
		a := subscribe(t, h, room, anon)
		u := subscribe(t, h, Key{What: room.What, Identity: "user:abc"}, user)
		synctest.Wait()
		if got, want := h.Pollers(), 2; got != want {
			t.Errorf("Pollers: %d, want %d", got, want)
		}
		user.add("private")
		time.Sleep(interval)
		synctest.Wait()
		checkPolls(t, "anonymous", anon, 2)
		checkPolls(t, "user", user, 2)
		expect(t, "anonymous", a)
		expect(t, "user", u, "private")
	})
}

// TestDiffing: the initial state is never emitted, new ids come once and
// oldest first, and a failed poll changes nothing.
func TestDiffing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHub[string](Config{Interval: interval})
		defer shutdown(t, h)
		f := &source{}
		f.add("1", "2", "3")
		s := subscribe(t, h, room, f)
		synctest.Wait()
		expect(t, "initial state", s)

		f.add("4", "5")
		time.Sleep(interval)
		synctest.Wait()
		expect(t, "two new", s, "4", "5")

		time.Sleep(interval)
		synctest.Wait()
		expect(t, "no change", s)

		f.fail(errors.New("upstream: 503"))
		f.add("6")
		time.Sleep(interval)
		synctest.Wait()
		expect(t, "failed poll", s)

		f.fail(nil)
		time.Sleep(interval)
		synctest.Wait()
		expect(t, "after the failure", s, "6")
		checkPolls(t, "in all", f, 5)
	})
}

// TestFailedBaseline: when the first poll fails the next success is the
// baseline, not a burst of old items.
func TestFailedBaseline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHub[string](Config{Interval: interval})
		defer shutdown(t, h)
		f := &source{}
		f.add("1", "2")
		f.fail(errors.New("upstream: timeout"))
		s := subscribe(t, h, room, f)
		synctest.Wait()
		f.fail(nil)
		time.Sleep(interval)
		synctest.Wait()
		expect(t, "first success", s)
		f.add("3")
		time.Sleep(interval)
		synctest.Wait()
		expect(t, "then", s, "3")
	})
}

// TestLastLeaves: the last subscriber leaving, by Close or by its context,
// stops the poller; a later subscriber starts a fresh one, again with no
// initial emit.
func TestLastLeaves(t *testing.T) {
	for _, how := range []string{"Close", "context"} {
		t.Run(how, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := NewHub[string](Config{Interval: interval})
				defer shutdown(t, h)
				f := &source{}
				f.add("1")
				stay := subscribe(t, h, room, f)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				leave, err := h.Subscribe(ctx, room, f.poll, NewIDs[string])
				if err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				stay.Close()
				synctest.Wait()
				if got, want := h.Pollers(), 1; got != want {
					t.Fatalf("Pollers with one left: %d, want %d", got, want)
				}
				if how == "Close" {
					leave.Close()
				} else {
					cancel()
				}
				synctest.Wait()
				expectEnd(t, "stay", stay, nil)
				expectEnd(t, "leave", leave, nil)
				if got := h.Pollers(); got != 0 {
					t.Errorf("Pollers after the last left: %d", got)
				}
				if got := h.Subscribers(); got != 0 {
					t.Errorf("Subscribers after the last left: %d", got)
				}
				before := f.count()
				f.add("2")
				time.Sleep(3 * interval)
				synctest.Wait()
				checkPolls(t, "with nobody subscribed", f, before)

				again := subscribe(t, h, room, f)
				synctest.Wait()
				checkPolls(t, "fresh poller's baseline", f, before+1)
				expect(t, "fresh poller's initial state", again)
				f.add("3")
				time.Sleep(interval)
				synctest.Wait()
				expect(t, "fresh poller", again, "3")
			})
		})
	}
}

// TestPollNow: a write's nudge polls at once, not at the next interval.
func TestPollNow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHub[string](Config{Interval: interval})
		defer shutdown(t, h)
		f := &source{}
		s := subscribe(t, h, room, f)
		synctest.Wait()
		start := time.Now()
		f.add("mine")
		h.PollNow(room)
		h.PollNow(Key{What: "room-posts:7", Identity: "anonymous"}) // nobody watches: no-op
		synctest.Wait()
		if d := time.Since(start); d != 0 {
			t.Errorf("PollNow took %v of the clock", d)
		}
		checkPolls(t, "after PollNow", f, 2)
		expect(t, "after PollNow", s, "mine")

		// The interval counts from the nudged poll.
		time.Sleep(interval - time.Millisecond)
		synctest.Wait()
		checkPolls(t, "just before the interval", f, 2)
		time.Sleep(time.Millisecond)
		synctest.Wait()
		checkPolls(t, "at the interval", f, 3)
	})
}

// TestPollNowDuringPoll: a nudge while a poll is under way makes one more
// poll follow it at once, since that poll may have read the upstream before
// the write.
func TestPollNowDuringPoll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHub[string](Config{Interval: interval})
		defer shutdown(t, h)
		f := &source{}
		release := make(chan struct{})
		var polls atomic.Int32
		poll := func(ctx context.Context) (Snapshot[string], error) {
			snap, err := f.poll(ctx)
			if polls.Add(1) == 2 {
				<-release // the upstream has answered; the write lands now
			}
			return snap, err
		}
		s, err := h.Subscribe(context.Background(), room, poll, nil)
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		h.PollNow(room)
		synctest.Wait() // the second poll holds its answer until release
		start := time.Now()
		f.add("mine")
		h.PollNow(room)
		h.PollNow(room) // one pending nudge is enough
		close(release)
		synctest.Wait()
		if got, want := polls.Load(), int32(3); got != want {
			t.Errorf("polls: %d, want %d", got, want)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("the write's poll came after %v", d)
		}
		expect(t, "after the nudges", s, "mine")
	})
}

// TestMaxPollers: a new key over the bound is refused; a subscriber of a
// running poller is not.
func TestMaxPollers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHub[string](Config{Interval: interval, MaxPollers: 1})
		defer shutdown(t, h)
		f := &source{}
		a := subscribe(t, h, room, f)
		other := Key{What: "comments:7001", Identity: "anonymous"}
		if _, err := h.Subscribe(context.Background(), other, f.poll, nil); !errors.Is(err, ErrTooManyPollers) {
			t.Errorf("over the bound: %v, want %v", err, ErrTooManyPollers)
		}
		subscribe(t, h, room, f).Close()
		a.Close()
		synctest.Wait()
		subscribe(t, h, other, f)
	})
}

// TestSlowSubscriber: a subscriber that does not read is dropped when its
// buffer is full, and the other keeps receiving.
func TestSlowSubscriber(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHub[string](Config{Interval: interval, Buffer: 2})
		defer shutdown(t, h)
		f := &source{}
		fast := subscribe(t, h, room, f)
		slow := subscribe(t, h, room, f)
		synctest.Wait()
		for _, id := range []string{"1", "2", "3", "4"} {
			f.add(id)
			time.Sleep(interval)
			synctest.Wait()
			expect(t, "fast", fast, id)
		}
		expectEnd(t, "slow", slow, ErrSlowSubscriber, "1", "2")
		if got, want := h.Subscribers(), 1; got != want {
			t.Errorf("Subscribers: %d, want %d", got, want)
		}
	})
}

// TestEnd: a poll error wrapping ErrEnd ends every subscription of the key
// with that error and stops its poller; other keys go on.
func TestEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHub[string](Config{Interval: interval})
		defer shutdown(t, h)
		f, g := &source{}, &source{}
		a := subscribe(t, h, room, f)
		b := subscribe(t, h, room, f)
		other := subscribe(t, h, Key{What: room.What, Identity: "user:abc"}, g)
		synctest.Wait()
		refused := fmt.Errorf("upstream: 401: %w", ErrEnd)
		f.fail(refused)
		time.Sleep(interval)
		synctest.Wait()
		for name, s := range map[string]*Subscription[string]{"a": a, "b": b} {
			expectEnd(t, name, s, ErrEnd)
			if s.Err() != refused {
				t.Errorf("%s: Err %v, want the poll's own error %v", name, s.Err(), refused)
			}
		}
		if got, want := h.Pollers(), 1; got != want {
			t.Errorf("Pollers: %d, want %d", got, want)
		}
		time.Sleep(3 * interval)
		synctest.Wait()
		checkPolls(t, "the ended key", f, 2)
		g.add("x")
		time.Sleep(interval)
		synctest.Wait()
		expect(t, "other key", other, "x")
	})
}

// TestPollBudget: a poll over the process's budget is skipped, not waited
// for, and the next interval tries again.
func TestPollBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// One poll per 12s: the baseline at 0s, then 5s and 10s are skipped
		// and 15s polls. A poller that waited for the budget would poll at 12s.
		budget := rate.NewLimiter(rate.Every(12*time.Second), 1)
		h := NewHub[string](Config{Interval: interval, PollBudget: budget})
		defer shutdown(t, h)
		f := &source{}
		s := subscribe(t, h, room, f)
		synctest.Wait()
		t0 := time.Now()
		f.add("1")
		for _, step := range []struct {
			at   time.Duration
			want int
		}{{5 * time.Second, 1}, {10 * time.Second, 1}, {12500 * time.Millisecond, 1}, {15 * time.Second, 2}} {
			time.Sleep(time.Until(t0.Add(step.at)))
			synctest.Wait()
			checkPolls(t, fmt.Sprintf("at %v", step.at), f, step.want)
		}
		expect(t, "after the budget allowed a poll", s, "1")

		// A nudge over the budget is skipped too, at once.
		f.add("2")
		start := time.Now()
		h.PollNow(room)
		synctest.Wait()
		if d := time.Since(start); d != 0 {
			t.Errorf("a poll over the budget waited %v", d)
		}
		checkPolls(t, "nudged over the budget", f, 2)
		expect(t, "nudged over the budget", s)
	})
}

// TestShutdown ends every subscription with ErrShutdown and returns once the
// pollers have stopped, even one whose poll was under way.
func TestShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHub[string](Config{Interval: interval})
		f := &source{}
		a := subscribe(t, h, room, f)
		b := subscribe(t, h, room, f)
		var mu sync.Mutex
		stopped := false
		calls := 0 // the poller's goroutine alone touches it
		slowPoll := func(ctx context.Context) (Snapshot[string], error) {
			// The baseline returns; the next poll outlasts its context by a
			// second, as an upstream call finishing its read would.
			calls++
			if calls > 1 {
				<-ctx.Done()
				time.Sleep(time.Second)
				mu.Lock()
				stopped = true
				mu.Unlock()
				return Snapshot[string]{}, ctx.Err()
			}
			return Snapshot[string]{}, nil
		}
		c, err := h.Subscribe(context.Background(), Key{What: "comments:7001", Identity: "anonymous"}, slowPoll, nil)
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		time.Sleep(interval) // the slow poll is now under way
		synctest.Wait()

		start := time.Now()
		shutdown(t, h)
		if d := time.Since(start); d != time.Second {
			t.Errorf("Shutdown returned after %v, want 1s (the slow poll)", d)
		}
		mu.Lock()
		if !stopped {
			t.Error("Shutdown returned before the slow poll ended")
		}
		mu.Unlock()
		for name, s := range map[string]*Subscription[string]{"a": a, "b": b, "c": c} {
			expectEnd(t, name, s, ErrShutdown)
		}
		if got := h.Pollers(); got != 0 {
			t.Errorf("Pollers after Shutdown: %d", got)
		}
		if _, err := h.Subscribe(context.Background(), room, f.poll, nil); !errors.Is(err, ErrShutdown) {
			t.Errorf("Subscribe after Shutdown: %v, want %v", err, ErrShutdown)
		}
		a.Close() // closing an ended subscription is harmless
	})
}

// TestShutdownDeadline: Shutdown gives up when its context does, with the
// context's error.
func TestShutdownDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHub[string](Config{Interval: interval})
		stuck := make(chan struct{})
		defer close(stuck)
		poll := func(context.Context) (Snapshot[string], error) {
			<-stuck // ignores its context
			return Snapshot[string]{}, nil
		}
		if _, err := h.Subscribe(context.Background(), room, poll, nil); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the poll is out
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown: %v, want %v", err, context.DeadlineExceeded)
		}
	})
}

// TestNoLeak runs a hub on the real clock, outside any bubble, and checks that
// Shutdown leaves no goroutine behind, nor does a subscriber's context.
func TestNoLeak(t *testing.T) {
	h := NewHub[string](Config{Interval: time.Hour})
	f := &source{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, key := range []Key{room, {What: "feed:tab=latest", Identity: "anonymous"}} {
		if _, err := h.Subscribe(ctx, key, f.poll, nil); err != nil {
			t.Fatal(err)
		}
	}
	shutdown(t, h)
	goleak.VerifyNone(t)
}

// TestJitter: each wait lies within Interval ± Jitter, and the waits differ.
func TestJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := NewHub[string](Config{Interval: 10 * time.Second, Jitter: 0.1})
		f := &source{}
		var mu sync.Mutex
		var at []time.Time
		poll := func(ctx context.Context) (Snapshot[string], error) {
			mu.Lock()
			at = append(at, time.Now())
			mu.Unlock()
			return f.poll(ctx)
		}
		if _, err := h.Subscribe(context.Background(), room, poll, nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * 11 * time.Second)
		synctest.Wait()
		shutdown(t, h)
		mu.Lock()
		defer mu.Unlock()
		if len(at) < 31 {
			t.Fatalf("%d polls in 330s, want at least 31", len(at))
		}
		waits := map[time.Duration]bool{}
		for i := 1; i < len(at); i++ {
			d := at[i].Sub(at[i-1])
			if d < 9*time.Second || d > 11*time.Second {
				t.Errorf("wait %d: %v, want 10s ± 10%%", i, d)
			}
			waits[d] = true
		}
		if len(waits) < 2 {
			t.Errorf("every wait was %v: no jitter", at[1].Sub(at[0]))
		}
	})
}

// TestConfig: an interval below the minimum or a jitter out of range stops
// the service at start; zero means the default.
func TestConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"interval below 1s": {Interval: 999 * time.Millisecond},
		"negative interval": {Interval: -time.Second},
		"negative jitter":   {Jitter: -0.1},
		"jitter of 1":       {Jitter: 1},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("NewHub did not panic")
				}
			}()
			NewHub[string](cfg)
		})
	}
	t.Run("default interval", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := NewHub[string](Config{})
			defer shutdown(t, h)
			f := &source{}
			subscribe(t, h, room, f)
			time.Sleep(DefaultInterval - time.Millisecond)
			synctest.Wait()
			checkPolls(t, "before 5s", f, 1)
			time.Sleep(time.Millisecond)
			synctest.Wait()
			checkPolls(t, "at 5s", f, 2)
		})
	})
	t.Run("done context", func(t *testing.T) {
		h := NewHub[string](Config{})
		defer shutdown(t, h)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		f := &source{}
		if _, err := h.Subscribe(ctx, room, f.poll, nil); !errors.Is(err, context.Canceled) {
			t.Errorf("Subscribe: %v, want %v", err, context.Canceled)
		}
		if got := h.Pollers(); got != 0 {
			t.Errorf("Pollers: %d", got)
		}
	})
}

func snap(pairs ...string) Snapshot[string] {
	s := Snapshot[string]{Items: map[string]string{}}
	for i := 0; i+1 < len(pairs); i += 2 {
		s.IDs = append(s.IDs, pairs[i])
		s.Items[pairs[i]] = pairs[i+1]
	}
	return s
}

func TestNewIDs(t *testing.T) {
	for name, tc := range map[string]struct {
		prev, cur Snapshot[string]
		want      []string
	}{
		"nothing new":                       {snap("2", "b", "1", "a"), snap("2", "b", "1", "a"), nil},
		"new, oldest first":                 {snap("1", "a"), snap("3", "c", "2", "b", "1", "a"), []string{"b", "c"}},
		"old one gone":                      {snap("2", "b", "1", "a"), snap("3", "c", "2", "b"), []string{"c"}},
		"changed value":                     {snap("1", "a"), snap("1", "A"), nil},
		"from empty":                        {snap(), snap("1", "a"), []string{"a"}},
		"id without an item":                {snap(), Snapshot[string]{IDs: []string{"2", "1"}, Items: map[string]string{"1": "a"}}, []string{"a"}},
		"id listed twice":                   {snap(), Snapshot[string]{IDs: []string{"1", "1"}, Items: map[string]string{"1": "a"}}, []string{"a"}},
		"a deletion slides an older one in": {snap("3", "c", "2", "b", "1", "a"), snap("3", "c", "1", "a", "0", "z"), nil},
		"new above, slid in below":          {snap("3", "c", "2", "b"), snap("4", "d", "3", "c", "1", "a"), []string{"d"}},
		"more new than the window":          {snap("2", "b", "1", "a"), snap("9", "i", "8", "h"), []string{"h", "i"}},
	} {
		t.Run(name, func(t *testing.T) {
			if got := NewIDs(tc.prev, tc.cur); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestChangedItems(t *testing.T) {
	type counts struct {
		ID    string
		Likes int
	}
	c := func(ids ...string) Snapshot[counts] {
		s := Snapshot[counts]{Items: map[string]counts{}}
		for i, id := range ids {
			s.IDs = append(s.IDs, id)
			s.Items[id] = counts{id, i}
		}
		return s
	}
	prev := c("1", "2", "3") // likes 0, 1, 2
	cur := c("3", "2", "4")  // likes 0, 1, 2
	if got, want := ChangedItems(prev, cur), []counts{{"3", 0}}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := ChangedItems(prev, prev); len(got) != 0 {
		t.Errorf("unchanged: %v", got)
	}
}
