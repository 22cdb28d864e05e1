package fake

import (
	"net/http"
	"sync"
	"time"
)

// The knobs tests turn to make the emulator misbehave, and the signals they wait
// on. The demo never touches them.

// Fault is a canned answer for one room id (SetFault) or for every call of a
// route (SetRouteFault), to test how callers survive it.
type Fault struct {
	Status      int
	Body        string
	ContentType string
	RetryAfter  string
	Reset       bool // drop the connection without an answer
	Hang        bool // never answer; wait for the caller to give up
	Times       int  // answer this way the next Times requests only (0: always)
}

// hold is a HoldRooms in force: requests wait on release once want are in.
type hold struct {
	want    int
	reached chan struct{}
	release chan struct{}
	closed  bool
}

func (s *Server) noteCancelled() {
	s.mu.Lock()
	s.cancelled++
	s.mu.Unlock()
	select {
	case s.cancelledCh <- struct{}{}:
	default:
	}
}

// Cancelled receives once for each held room request, or hanging request, whose
// caller went away: tests wait on it to see cancellation reach the upstream.
func (s *Server) Cancelled() <-chan struct{} { return s.cancelledCh }

// HoldRooms makes room requests wait until release is called. reached is closed
// once want requests are waiting at the same time: a test of concurrency that
// needs no clock.
func (s *Server) HoldRooms(want int) (reached <-chan struct{}, release func()) {
	h := &hold{want: want, reached: make(chan struct{}), release: make(chan struct{})}
	s.mu.Lock()
	s.hold = h
	s.mu.Unlock()
	var once sync.Once
	return h.reached, func() {
		once.Do(func() {
			s.mu.Lock()
			s.hold = nil
			s.mu.Unlock()
			close(h.release)
		})
	}
}

// SetFault makes requests for room id answer with f.
func (s *Server) SetFault(id string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[id] = f
}

// SetRouteFault makes every call of route (one of the Route constants) answer
// with f, once the caller is authenticated. A room lookup by id with a SetFault
// of its own answers with that one.
func (s *Server) SetRouteFault(route string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.routeFaults[route] = f
}

// answerFault answers with the fault set for key in faults, if any, and counts
// one of its Times.
func (s *Server) answerFault(w http.ResponseWriter, r *http.Request, faults map[string]Fault, key string) bool {
	s.mu.Lock()
	fault, faulty := faults[key]
	if faulty && fault.Times > 0 {
		if fault.Times == 1 {
			delete(faults, key)
		} else {
			fault.Times--
			faults[key] = fault
		}
	}
	s.mu.Unlock()
	if !faulty {
		return false
	}
	switch {
	case fault.Reset:
		panic(http.ErrAbortHandler) // net/http drops the connection
	case fault.Hang:
		<-r.Context().Done()
		s.noteCancelled()
		return true
	}
	if fault.ContentType != "" {
		w.Header().Set("Content-Type", fault.ContentType)
	}
	if fault.RetryAfter != "" {
		w.Header().Set("Retry-After", fault.RetryAfter)
	}
	w.WriteHeader(fault.Status)
	_, _ = w.Write([]byte(fault.Body))
	return true
}

// Tamper lets fn edit the JSON object of room id before it is sent, when it is
// looked up by id, group url or page subdomain.
func (s *Server) Tamper(id string, fn func(room map[string]any)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tamper[id] = fn
}

// FailTokens makes the token endpoint answer with status (0 restores it).
func (s *Server) FailTokens(status int) { s.FailTokensRetryAfter(status, "") }

// FailTokensRetryAfter makes the token endpoint answer with status and, unless
// it is "", the Retry-After header retryAfter (status 0 restores it).
func (s *Server) FailTokensRetryAfter(status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenFault, s.tokenRetryAfter = status, retryAfter
}

// HoldTokens makes the token endpoint wait until release is called: a slow
// token endpoint.
func (s *Server) HoldTokens() (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.tokenHold = ch
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.tokenHold = nil
			s.mu.Unlock()
			close(ch)
		})
	}
}

// SetLatency changes the latency added to every API answer from now on: an
// upstream that slows down, or recovers, mid-run (the load command's -degrade).
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }
