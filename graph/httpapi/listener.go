package httpapi

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/netutil"
)

// Listen listens on addr with at most maxConns connections open: beyond it,
// new connections wait in the kernel's accept queue. Closing it twice is not
// an error, so that the process may close it before http.Server.Shutdown does.
func Listen(addr string, maxConns int) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &closeOnce{Listener: netutil.LimitListener(ln, maxConns)}, nil
}

type closeOnce struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *closeOnce) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}

// Conns counts the public port's open connections (an http.Server.ConnState)
// and, from high of them on, closes each connection as soon as it goes idle,
// so that idle keep-alives cannot hold the cap.
type Conns struct {
	high int64
	open atomic.Int64
}

// NewConns returns a count that closes idle connections from high open ones on.
func NewConns(high int) *Conns { return &Conns{high: int64(high)} }

// ConnState is the http.Server hook.
func (c *Conns) ConnState(conn net.Conn, s http.ConnState) {
	switch s {
	case http.StateNew:
		c.open.Add(1)
	case http.StateClosed, http.StateHijacked:
		c.open.Add(-1)
	case http.StateIdle:
		if c.open.Load() >= c.high {
			conn.Close()
		}
	}
}

// WaitClosed waits until every connection is closed, or ctx ends.
func (c *Conns) WaitClosed(ctx context.Context) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for c.open.Load() > 0 {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// CloseWhenDraining answers with "Connection: close" once draining is set, so
// that each keep-alive connection ends after its next answer, at a point its
// client knows of, rather than being closed under a request it is sending.
func CloseWhenDraining(next http.Handler, draining *atomic.Bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if draining.Load() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}
