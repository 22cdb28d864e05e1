package upstream

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// pipeListener serves HTTP over in-memory pipes, on which a synctest bubble
// can wait (a loopback socket it cannot).
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// TestAttemptTimesTheUpstreamNotTheDecoding: the adaptive limit learns the
// time from the request written to the answer's first byte. An upstream that
// answers in 100 ms is a 100 ms sample even when decoding the answer takes a
// second here (a busy CPU): this process's own work is not the upstream's
// latency.
func TestAttemptTimesTheUpstreamNotTheDecoding(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newPipeListener()
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(100 * time.Millisecond) // the upstream's latency, on the bubble's clock
			_, _ = w.Write([]byte(`{}`))
		})}
		go func() { _ = srv.Serve(l) }()
		tr := &http.Transport{DialContext: l.dial}
		cfg := DefaultConfig()
		cfg.APIBaseURL, cfg.ClientID = "http://upstream.test", "c"
		c := New(cfg, &http.Client{Transport: tr})

		slowDecode := func(context.Context, []byte) error { time.Sleep(time.Second); return nil }
		if err := c.attempt(newBudget(t.Context(), time.Minute), EndpointRoom, "http://upstream.test/quran-reflect/v1/rooms/1", "tok", nil, slowDecode); err != nil {
			t.Fatal(err)
		}
		c.limiter.mu.Lock()
		sample := time.Duration(c.limiter.short * float64(time.Second))
		c.limiter.mu.Unlock()
		if sample < 100*time.Millisecond || sample > 150*time.Millisecond {
			t.Errorf("the limit learnt a round trip of %v, want the upstream's 100 ms (not the second spent decoding)", sample)
		}
		tr.CloseIdleConnections()
		_ = srv.Close()
	})
}
