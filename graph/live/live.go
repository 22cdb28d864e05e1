// Package live turns an upstream that cannot push into streams of events: it
// keeps one poller per watched thing and identity (a Key), shared by every
// subscriber of that key, and emits only what changed between two polls, never
// the initial state. The first subscriber starts a key's poller and the last one
// to leave stops it; a write through this service can make a poller poll at once,
// so that its author sees the change within a second rather than an interval.
//
// This is the in-process core only: it knows no GraphQL, no transport and no
// Redis. Pollers are shared within one process; sharing them across replicas
// (a lease per key, events over pub/sub) belongs behind the same API later.
package live

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Errors a Subscription ends with, or Subscribe returns.
var (
	// ErrTooManyPollers is returned by Subscribe when starting one more poller
	// would exceed Config.MaxPollers.
	ErrTooManyPollers = errors.New("live: too many pollers")
	// ErrSlowSubscriber ends a subscription whose buffer was full when an event
	// came: the poller never waits for one reader.
	ErrSlowSubscriber = errors.New("live: subscriber too slow, dropped")
	// ErrShutdown ends every subscription when the Hub shuts down, and is
	// returned by Subscribe after that.
	ErrShutdown = errors.New("live: shutting down")
	// ErrEnd marks a poll error as terminal: a poll returning an error that
	// wraps it ends every subscription of its key with that error (an upstream
	// that refuses a bearer token will refuse it at every later poll too).
	ErrEnd = errors.New("live: stream ended")
)

// Interval bounds and the default buffer, applied by NewHub.
const (
	// DefaultInterval is the poll interval when Config.Interval is zero.
	DefaultInterval = 5 * time.Second
	// MinInterval is the shortest interval NewHub accepts: below it the
	// pollers would spend the upstream's per-address rate limit on themselves.
	MinInterval = time.Second
	// DefaultBuffer is the events buffered per subscriber when Config.Buffer
	// is zero.
	DefaultBuffer = 16
)

// Key names what a poller watches and through whose eyes: two subscribers share
// a poller exactly when their keys are equal. It is comparable, so that the
// compiler rather than a string format decides equality.
type Key struct {
	// What is the thing watched, normalised by the caller so that equal
	// requests give equal strings: "room-posts:42", "feed:<normalised
	// filter>", "comments:7001", "counts:<sorted ids>".
	What string
	// Identity is whose view is polled: "anonymous" for every signed-out
	// subscriber, a user's stable key (such as a token hash) otherwise. It keeps
	// one viewer's private items out of another viewer's stream.
	Identity string
}

// Snapshot is one poll's view of the watched list.
type Snapshot[T any] struct {
	// IDs are the ids in the list, newest first.
	IDs []string
	// Items holds the value of each id, which is what a Diff emits; it may be
	// nil, and the ready-made diffs never emit an id it lacks.
	Items map[string]T
}

// Diff decides what a poll emits given the previous and the current snapshot.
// It is never called for a poller's first successful poll: the initial state is
// what the subscriber already fetched, so it is never emitted.
type Diff[T any] func(prev, cur Snapshot[T]) []T

// Config bounds and paces a Hub.
type Config struct {
	// Interval is the wait between two polls of a key (LIVE_POLL_INTERVAL):
	// zero means DefaultInterval; below MinInterval NewHub panics.
	Interval time.Duration
	// Jitter spreads the waits so that pollers started together do not poll
	// together: 0.1 makes each wait Interval ± 10%, at random. It must be in
	// [0, 1).
	Jitter float64
	// MaxPollers bounds the pollers running in this process
	// (LIVE_MAX_POLLERS): over it Subscribe returns ErrTooManyPollers. Zero
	// means no bound.
	MaxPollers int
	// Buffer is the events buffered per subscriber; a subscriber whose buffer
	// is full when an event comes is dropped (its channel closes, Err reports
	// ErrSlowSubscriber), so that one slow reader costs neither the others'
	// latency nor the process's memory. Zero means DefaultBuffer.
	Buffer int
	// PollBudget, when set, limits upstream polls per second for the whole
	// process: a poll it refuses is skipped and tried at the next interval,
	// never waited for, so that live traffic cannot starve requests.
	PollBudget *rate.Limiter
	// Now is the clock PollBudget is asked with; nil means time.Now.
	Now func() time.Time
	// Logger receives failed polls; nil discards them.
	Logger *slog.Logger
}

// Hub runs the pollers of one process and fans their events out to the
// subscribers. Its methods are safe for concurrent use.
type Hub[T any] struct {
	cfg Config
	log *slog.Logger
	wg  sync.WaitGroup // every poller goroutine, stopped or not, for Shutdown

	// mu guards the pollers, their subscribers and each subscription's end:
	// sending and closing a subscriber's channel under one lock is what makes
	// a send after close impossible. Sends never block, so it is held briefly.
	mu      sync.Mutex
	pollers map[Key]*poller[T] // the running pollers; a stopping one is removed first
	closed  bool
}

// poller is one key's polling loop and its subscribers.
type poller[T any] struct {
	key    Key
	poll   func(context.Context) (Snapshot[T], error)
	diff   Diff[T]
	ctx    context.Context // cancelled when the poller stops
	cancel context.CancelFunc
	nudge  chan struct{} // PollNow; one pending nudge is enough
	subs   map[*Subscription[T]]struct{}

	// Owned by the poller's goroutine.
	last Snapshot[T]
	seen bool // last holds a successful poll
}

// NewHub returns a Hub with cfg's defaults applied. It panics on an Interval
// below MinInterval or a Jitter outside [0, 1): both are configuration mistakes
// that must stop the service at start, not slow it down later.
func NewHub[T any](cfg Config) *Hub[T] {
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Interval < MinInterval {
		panic("live: poll interval " + cfg.Interval.String() + " is below " + MinInterval.String())
	}
	if cfg.Jitter < 0 || cfg.Jitter >= 1 {
		panic("live: jitter must be in [0, 1)")
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = DefaultBuffer
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Hub[T]{cfg: cfg, log: log, pollers: make(map[Key]*poller[T])}
}

// Subscribe joins the poller of key, starting it with poll and diff when it is
// the first subscriber; later subscribers of a running poller share its poll and
// diff, and theirs are unused. A nil diff means NewIDs.
//
// The poller outlives its first subscriber, so poll is called with a context of
// the poller's own, which carries no values and is cancelled when the poller
// stops: poll must hold whatever it needs (the identity's token source).
//
// The subscription ends when ctx is done or Close is called; the last one to
// leave stops the poller. Events come on C in order; C closes when the
// subscription ends, Err telling why. A ctx already done returns its error.
func (h *Hub[T]) Subscribe(ctx context.Context, key Key, poll func(ctx context.Context) (Snapshot[T], error), diff Diff[T]) (*Subscription[T], error) {
	if poll == nil {
		panic("live: Subscribe without a poll")
	}
	if diff == nil {
		diff = NewIDs[T]
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrShutdown
	}
	p := h.pollers[key]
	if p == nil {
		if h.cfg.MaxPollers > 0 && len(h.pollers) >= h.cfg.MaxPollers {
			return nil, ErrTooManyPollers
		}
		p = h.start(key, poll, diff)
	}
	s := &Subscription[T]{hub: h, p: p, ch: make(chan T, h.cfg.Buffer)}
	p.subs[s] = struct{}{}
	// AfterFunc spends no goroutine until ctx is done; if ctx is done already,
	// its Close waits for h.mu, which is released on return.
	s.stopWatch = context.AfterFunc(ctx, s.Close)
	return s, nil
}

// start runs a new poller for key. h.mu is held.
func (h *Hub[T]) start(key Key, poll func(context.Context) (Snapshot[T], error), diff Diff[T]) *poller[T] {
	ctx, cancel := context.WithCancel(context.Background())
	p := &poller[T]{
		key: key, poll: poll, diff: diff,
		ctx: ctx, cancel: cancel,
		nudge: make(chan struct{}, 1),
		subs:  make(map[*Subscription[T]]struct{}),
	}
	h.pollers[key] = p
	h.wg.Go(func() { h.run(p) })
	return p
}

// run is a poller's loop. The first poll happens at once so that the baseline
// is as close as possible to what the subscriber just fetched: a change in the
// first interval is then emitted, not swallowed into the initial state.
func (h *Hub[T]) run(p *poller[T]) {
	if !h.pollOnce(p) {
		return
	}
	timer := time.NewTimer(h.wait())
	defer timer.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-timer.C:
		case <-p.nudge:
		}
		if !h.pollOnce(p) {
			return
		}
		// The next wait counts from this poll, nudged or not: a write's poll
		// already brought the news.
		timer.Reset(h.wait())
	}
}

// pollOnce polls p once and emits what changed; it reports whether the poller
// goes on.
func (h *Hub[T]) pollOnce(p *poller[T]) bool {
	if p.ctx.Err() != nil {
		return false
	}
	if b := h.cfg.PollBudget; b != nil && !b.AllowN(h.cfg.Now(), 1) {
		h.log.Debug("live: poll skipped, over the poll budget", "what", p.key.What)
		return true
	}
	cur, err := p.poll(p.ctx)
	if p.ctx.Err() != nil {
		// Stopped while polling: whatever came back is nobody's.
		return false
	}
	if err != nil {
		if errors.Is(err, ErrEnd) {
			h.endAll(p, err)
			return false
		}
		// Keep the previous snapshot: diffing against a failed poll would make
		// every old item look new at the next success.
		h.log.Warn("live: poll failed", "what", p.key.What, "err", err)
		return true
	}
	if !p.seen {
		p.last, p.seen = cur, true
		return true
	}
	events := p.diff(p.last, cur)
	p.last = cur
	if len(events) > 0 {
		h.emit(p, events)
	}
	return true
}

// wait is one interval, jittered.
func (h *Hub[T]) wait() time.Duration {
	d := h.cfg.Interval
	if j := h.cfg.Jitter; j > 0 {
		d = time.Duration(float64(d) * (1 + j*(2*rand.Float64()-1)))
	}
	return d
}

// emit sends events to every subscriber of p, dropping those that cannot take
// them now.
func (h *Hub[T]) emit(p *poller[T], events []T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range p.subs {
		for _, ev := range events {
			if !h.send(s, ev) {
				break
			}
		}
	}
}

// send offers ev to s without waiting, ending s when its buffer is full. h.mu
// is held.
func (h *Hub[T]) send(s *Subscription[T], ev T) bool {
	select {
	case s.ch <- ev:
		return true
	default:
		h.end(s, ErrSlowSubscriber)
		return false
	}
}

// endAll ends every subscriber of p with err. It is called from p's own
// goroutine.
func (h *Hub[T]) endAll(p *poller[T], err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range p.subs {
		h.end(s, err)
	}
	h.stopPoller(p)
}

// end ends s with err, once, and stops its poller when s was the last
// subscriber. h.mu is held.
func (h *Hub[T]) end(s *Subscription[T], err error) {
	if s.done {
		return
	}
	s.done, s.err = true, err
	close(s.ch)
	s.stopWatch()
	delete(s.p.subs, s)
	if len(s.p.subs) == 0 {
		h.stopPoller(s.p)
	}
}

// stopPoller removes p from the running pollers, so that the next subscriber
// of its key starts a fresh one, and cancels it. h.mu is held.
func (h *Hub[T]) stopPoller(p *poller[T]) {
	if h.pollers[p.key] == p {
		delete(h.pollers, p.key)
	}
	p.cancel()
}

// PollNow makes key's poller, if one runs in this process, poll at once rather
// than at its next interval: a write through this service that affects key
// calls it, so that subscribers see the change within a second. A nudge during
// a poll makes another poll follow it, since that poll may have read the
// upstream before the write. It is a cheap no-op for a key with no poller.
func (h *Hub[T]) PollNow(key Key) {
	h.mu.Lock()
	p := h.pollers[key]
	h.mu.Unlock()
	if p == nil {
		return
	}
	select {
	case p.nudge <- struct{}{}:
	default: // a poll is already due
	}
}

// Shutdown ends every subscription (their channels close with Err ==
// ErrShutdown), stops every poller and waits for them until ctx is done, whose
// error it then returns. Subscribe fails with ErrShutdown afterwards.
func (h *Hub[T]) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	for _, p := range h.pollers {
		for s := range p.subs {
			h.end(s, ErrShutdown)
		}
		h.stopPoller(p)
	}
	h.mu.Unlock()

	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Pollers is the number of pollers running, for tests and metrics.
func (h *Hub[T]) Pollers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.pollers)
}

// Subscribers is the number of subscriptions not yet ended, for tests and
// metrics.
func (h *Hub[T]) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, p := range h.pollers {
		n += len(p.subs)
	}
	return n
}

// Subscription is one subscriber's stream of a key's events.
type Subscription[T any] struct {
	hub       *Hub[T]
	p         *poller[T]
	ch        chan T
	stopWatch func() bool // stops watching the subscriber's context

	// Guarded by hub.mu.
	done bool
	err  error
}

// C delivers the events in order. It is closed when the subscription ends.
func (s *Subscription[T]) C() <-chan T { return s.ch }

// Err tells why the subscription ended: nil for its context or Close,
// ErrSlowSubscriber, ErrShutdown, or a poll's error wrapping ErrEnd. It is nil
// while the subscription runs.
func (s *Subscription[T]) Err() error {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.err
}

// Close ends the subscription; the last subscriber of a key to leave stops its
// poller. It is safe to call more than once and after the subscription ended.
func (s *Subscription[T]) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.end(s, nil)
}
