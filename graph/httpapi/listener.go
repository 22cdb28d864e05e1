package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/netutil"

	"github.com/quranfoundation/reflect-graphql/graph/errcode"
	"github.com/quranfoundation/reflect-graphql/graph/viewer"
)

// Limits bound the public port's connections.
type Limits struct {
	// Max is the open connections in all: beyond it, new ones wait in the
	// kernel's accept queue. From three quarters of it on, a connection is
	// closed as soon as it goes idle.
	Max int
	// PerAddress is the open connections one client address may hold (an IPv6
	// address's /64 counts as one), idle keep-alive ones included: a
	// connection over it is answered 429 RATE_LIMITED and closed as it is
	// accepted. From three quarters of it on, the address's connections are
	// closed as soon as they go idle. 0: no share.
	PerAddress int
	// Proxies are exempt from PerAddress: each carries many clients, whose
	// share is counted per request instead (Options.BodiesPerAddress).
	Proxies viewer.Proxies
	// Logger warns of refused connections, at most once every refusalLogEvery.
	Logger *slog.Logger
}

// Listen listens on addr within l. Closing the listener twice is not an
// error, so that the process may close it before http.Server.Shutdown does.
// The Conns it returns is the listener's http.Server.ConnState.
func Listen(addr string, l Limits) (net.Listener, *Conns, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	shares := &shares{limit: l.PerAddress, high: max(1, l.PerAddress*3/4), proxies: l.Proxies, open: map[netip.Prefix]int{}}
	if l.PerAddress > 0 {
		ln = &shareListener{Listener: ln, shares: shares, refusing: make(chan struct{}, maxRefusing), linger: refusalLinger,
			refusal: refusal(), warn: newWarner(l.Logger, "connections refused: their address holds MAX_CONNECTIONS_PER_ADDRESS connections already (behind a load balancer, list it in TRUSTED_PROXIES)")}
	}
	conns := &Conns{high: int64(l.Max * 3 / 4), shares: shares}
	return &closeOnce{Listener: netutil.LimitListener(ln, l.Max)}, conns, nil
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

// shares counts the open connections of each client address but the proxies'.
type shares struct {
	limit, high int
	proxies     viewer.Proxies
	mu          sync.Mutex
	open        map[netip.Prefix]int
}

// address is the client address a connection counts against, if any: an
// IPv4 address, or an IPv6 address's /64 (one host usually has the whole
// /64), as viewer.Proxies.ClientIP keys budgets; none for a proxy's.
func (s *shares) address(a net.Addr) (netip.Prefix, bool) {
	var ip netip.Addr
	if tcp, ok := a.(*net.TCPAddr); ok {
		ip = tcp.AddrPort().Addr().Unmap()
	} else if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		ip = ap.Addr().Unmap()
	} else {
		return netip.Prefix{}, false
	}
	for _, p := range s.proxies {
		if p.Contains(ip) {
			return netip.Prefix{}, false
		}
	}
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p, true
}

// shown is a for the log: an IPv4 address without its /32.
func shown(a netip.Prefix) string {
	if a.Addr().Is4() {
		return a.Addr().String()
	}
	return a.String()
}

// admit counts one more connection of a, unless a holds its share already.
func (s *shares) admit(a netip.Prefix) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open[a] >= s.limit {
		return false
	}
	s.open[a]++
	return true
}

func (s *shares) leave(a netip.Prefix) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open[a]--; s.open[a] <= 0 {
		delete(s.open, a)
	}
}

// crowded reports whether the address of a connection holds three quarters
// of its share or more.
func (s *shares) crowded(c net.Conn) bool {
	if s.limit <= 0 {
		return false
	}
	a, ok := s.address(c.RemoteAddr())
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open[a] >= s.high
}

// maxRefusing bounds the refusals answered at once; past it, a connection
// over its address's share is closed without an answer. refusalLinger is how
// long a refused connection is kept, its answer sent, to read what its
// client sent: closing a socket with unread data resets it, and the client
// may lose the answer.
const (
	maxRefusing   = 64
	refusalLinger = time.Second
)

// refusal is the answer to a connection over its address's share, written
// before any request is read.
func refusal() []byte {
	body := `{"errors":[{"message":"too many connections from this address; reuse one or retry later","extensions":{"code":"` + errcode.RateLimited + `","retryAfter":1}}]}`
	return []byte("HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json; charset=utf-8\r\nRetry-After: 1\r\n" +
		"Connection: close\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}

// shareListener admits a connection only within its address's share.
type shareListener struct {
	net.Listener
	shares   *shares
	refusing chan struct{} // refusals under way, at most maxRefusing
	linger   time.Duration // refusalLinger
	refusal  []byte
	warn     *warner
}

func (l *shareListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		a, counted := l.shares.address(c.RemoteAddr())
		if !counted {
			return c, nil
		}
		if l.shares.admit(a) {
			return &sharedConn{Conn: c, leave: func() { l.shares.leave(a) }}, nil
		}
		l.warn.note(shown(a))
		l.refuse(c)
	}
}

// refuse answers c 429 and closes it, without holding up Accept.
func (l *shareListener) refuse(c net.Conn) {
	select {
	case l.refusing <- struct{}{}:
	default:
		_ = c.Close()
		return
	}
	go func() {
		defer func() { <-l.refusing }()
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(l.linger))
		if _, err := c.Write(l.refusal); err != nil {
			return
		}
		if cw, ok := c.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		_, _ = io.CopyN(io.Discard, c, 64<<10)
	}()
}

// sharedConn gives its place in its address's share back when it closes.
type sharedConn struct {
	net.Conn
	once  sync.Once
	leave func()
}

func (c *sharedConn) Close() error {
	c.once.Do(c.leave)
	return c.Conn.Close()
}

// Conns counts the public port's open connections (an http.Server.ConnState)
// and closes each connection as soon as it goes idle from high of them on, or
// while its address holds three quarters of its share or more, so that idle
// keep-alives cannot hold the cap, nor an address's share.
type Conns struct {
	high   int64
	open   atomic.Int64
	shares *shares
}

// ConnState is the http.Server hook.
func (c *Conns) ConnState(conn net.Conn, s http.ConnState) {
	switch s {
	case http.StateNew:
		c.open.Add(1)
	case http.StateClosed, http.StateHijacked:
		c.open.Add(-1)
	case http.StateIdle:
		if c.open.Load() >= c.high || c.shares.crowded(conn) {
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

// refusalLogEvery spaces the warnings of refusals.
const refusalLogEvery = 10 * time.Second

// warner logs a kind of refusal at most once every refusalLogEvery, with the
// count since the last line and the last address refused.
type warner struct {
	logger *slog.Logger
	msg    string
	mu     sync.Mutex
	last   time.Time
	n      int
}

func newWarner(logger *slog.Logger, msg string) *warner {
	return &warner{logger: logger, msg: msg}
}

func (w *warner) note(addr string) {
	if w.logger == nil {
		return
	}
	w.mu.Lock()
	w.n++
	now := time.Now()
	if now.Sub(w.last) < refusalLogEvery {
		w.mu.Unlock()
		return
	}
	n := w.n
	w.last, w.n = now, 0
	w.mu.Unlock()
	w.logger.Warn(w.msg, "refused", n, "addr", addr)
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
