package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/service/servicetest"
	"github.com/quranfoundation/reflect-graphql/upstream/fake"
)

// peers watches the public port's connections, by the client's address: how
// many are open, the most that were open at once, and each one's requests and
// end, as events a test can wait for.
type peers struct {
	mu      sync.Mutex
	open    map[string]int
	most    map[string]int
	closed  map[string]int
	active  map[string]map[int]bool // ports with a request under way
	idles   int                     // connections gone idle, from every address
	newAt   []int                   // idles, at each new connection
	changed chan struct{}           // closed and replaced at every change
}

func newPeers() *peers {
	return &peers{open: map[string]int{}, most: map[string]int{}, closed: map[string]int{},
		active: map[string]map[int]bool{}, changed: make(chan struct{})}
}

func (p *peers) watch(c net.Conn, s http.ConnState) {
	a := c.RemoteAddr().(*net.TCPAddr)
	ip := a.IP.String()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active[ip] == nil {
		p.active[ip] = map[int]bool{}
	}
	switch s {
	case http.StateNew:
		p.open[ip]++
		p.most[ip] = max(p.most[ip], p.open[ip])
		p.newAt = append(p.newAt, p.idles)
	case http.StateActive:
		p.active[ip][a.Port] = true
	case http.StateIdle:
		delete(p.active[ip], a.Port)
		p.idles++
	case http.StateClosed, http.StateHijacked:
		p.open[ip]--
		p.closed[ip]++
		delete(p.active[ip], a.Port)
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

// await waits until cond holds (it is called under the lock), or fails the
// test after a generous guard.
func (p *peers) await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	guard := time.After(30 * time.Second)
	for {
		p.mu.Lock()
		ok, changed := cond(), p.changed
		p.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-changed:
		case <-guard:
			t.Fatalf("still waiting for %s after 30s", what)
		}
	}
}

// dialFrom opens a TCP connection to addr from the loopback address ip (all
// of 127.0.0.0/8 is loopback on Linux).
func dialFrom(t *testing.T, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", ip, err)
	}
	return c
}

// startSlowBody sends a POST /query whose headers promise a 1000-byte body,
// and the body's first bytes only.
func startSlowBody(t *testing.T, c net.Conn, header string) {
	t.Helper()
	_, err := fmt.Fprintf(c, "POST /query HTTP/1.1\r\nHost: service\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n%s\r\n{\"query\":\"", header)
	if err != nil {
		t.Fatal(err)
	}
}

// readAnswer reads one HTTP answer from c, with a guard against waiting for
// ever.
func readAnswer(c net.Conn) (status int, code string, err error) {
	return readAnswerWithin(c, 10*time.Second)
}

// readAnswerWithin reads one HTTP answer from c, waiting at most guard.
func readAnswerWithin(c net.Conn, guard time.Duration) (status int, code string, err error) {
	resp, e, err := answerOn(c, bufio.NewReader(c), guard)
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode, e.Extensions.Code, nil
}

// gqlError is the first error of an answer.
type gqlError struct {
	Message    string
	Extensions struct{ Code string }
}

// answerOn reads one HTTP answer from c through br, waiting at most guard,
// and its first error, if any.
func answerOn(c net.Conn, br *bufio.Reader, guard time.Duration) (*http.Response, gqlError, error) {
	_ = c.SetReadDeadline(time.Now().Add(guard))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, gqlError{}, err
	}
	defer resp.Body.Close()
	var body struct{ Errors []gqlError }
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, gqlError{}, err
	}
	if err := json.Unmarshal(b, &body); err == nil && len(body.Errors) > 0 {
		return resp, body.Errors[0], nil
	}
	return resp, gqlError{}, nil
}

// postFrom is a client whose connections come from the loopback address ip.
func postFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
}

// TestSlowBodyFloodLeavesOthersServed (issue 20, finding 4): 24 connections
// from one address (127.0.0.2) each send a request's headers and the first
// bytes of its body, then nothing, against MAX_CONNECTIONS=16. The address
// holds its share, 4 connections; the rest are answered 429 RATE_LIMITED and
// closed; and a request from another address (127.0.0.1) is answered while
// the flood still holds every connection it got. Before, the flood took every
// slot and the other address waited until the flood's reads timed out (15s).
// The guards (30s) bound a failure, they do not measure.
func TestSlowBodyFloodLeavesOthersServed(t *testing.T) {
	const flooder, victim, flood, share = "127.0.0.2", "127.0.0.1", 24, 4
	up := httptest.NewServer(fake.New(fake.Options{}))
	defer up.Close()
	p := newPeers()
	logs := &servicetest.Buffer{}
	srv := startWatched(t, against(up, map[string]string{"MAX_CONNECTIONS": "16", "MAX_CONNECTIONS_PER_ADDRESS": fmt.Sprint(share),
		"BODY_TIMEOUT": "1m", "LOG_LEVEL": "warn"}), logs, p.watch)
	addr := strings.TrimSuffix(strings.TrimPrefix(srv.endpoint, "http://"), "/query")

	conns := map[int]net.Conn{} // by local port
	for range flood {
		c := dialFrom(t, flooder, addr)
		defer c.Close()
		startSlowBody(t, c, "")
		conns[c.LocalAddr().(*net.TCPAddr).Port] = c
	}
	p.await(t, fmt.Sprintf("%d of the flood's requests under way", share), func() bool { return len(p.active[flooder]) >= share })

	start := time.Now()
	resp, err := postFrom(victim).Post(srv.endpoint, "application/json", strings.NewReader(`{"query":"{ __typename }"}`))
	waited := time.Since(start)
	p.mu.Lock()
	held, released := len(p.active[flooder]), p.closed[flooder]
	p.mu.Unlock()
	if err != nil {
		t.Fatalf("the other address's request, after %v: %v", waited, err)
	}
	resp.Body.Close()
	t.Logf("the other address was answered %d in %v, the flood holding %d connections (%d of its connections closed by then)",
		resp.StatusCode, waited.Round(time.Millisecond), held, released)
	if resp.StatusCode != http.StatusOK || released > 0 {
		t.Errorf("the other address was answered %d in %v, after %d of the flood's connections closed; want 200 while the flood holds all it got",
			resp.StatusCode, waited.Round(time.Millisecond), released)
	}

	p.mu.Lock()
	holding := map[int]bool{}
	for port := range p.active[flooder] {
		holding[port] = true
	}
	most := p.most[flooder]
	p.mu.Unlock()
	if most > share {
		t.Errorf("the server held %d connections from one address at once, want at most MAX_CONNECTIONS_PER_ADDRESS=%d", most, share)
	}
	refused, other := 0, ""
	for port, c := range conns {
		if holding[port] {
			continue
		}
		status, code, err := readAnswer(c)
		if err != nil || status != http.StatusTooManyRequests || code != "RATE_LIMITED" {
			other = fmt.Sprintf("%d %q %v", status, code, err)
			continue
		}
		refused++
	}
	if refused != flood-share {
		t.Errorf("%d of the %d flood connections the server did not hold were answered 429 RATE_LIMITED (another: %s)", refused, flood-share, other)
	}
	// One warning for the twenty refusals (at most one every 10s), naming
	// the setting a load balancer's operator has to set.
	if n := strings.Count(logs.String(), "connections refused"); n != 1 || !strings.Contains(logs.String(), "TRUSTED_PROXIES") ||
		!strings.Contains(logs.String(), flooder) {
		t.Errorf("%d warnings of refused connections, want 1 naming the address and TRUSTED_PROXIES:\n%s", n, logs)
	}
	for _, c := range conns {
		c.Close()
	}
	srv.stop()
	if err := <-srv.done; err != nil {
		t.Errorf("run = %v", err)
	}
}

// TestIdleConnectionsCountInTheShare: an address's idle keep-alive
// connections count in its share, and while it holds three quarters of it or
// more, its connections are closed as soon as they go idle, so that its own
// idle ones cannot lock it out. Four requests from one address are held at the
// upstream, on four connections (its share); a fifth connection is refused;
// once the four are answered, two of them at least are closed as they go
// idle, and a new connection from the address is served.
func TestIdleConnectionsCountInTheShare(t *testing.T) {
	const client, share = "127.0.0.2", 4
	f := fake.New(fake.Options{})
	up := httptest.NewServer(f)
	defer up.Close()
	p := newPeers()
	srv := startWatched(t, against(up, map[string]string{"MAX_CONNECTIONS": "64", "MAX_CONNECTIONS_PER_ADDRESS": fmt.Sprint(share),
		"LOG_LEVEL": "error"}), io.Discard, p.watch)
	addr := strings.TrimSuffix(strings.TrimPrefix(srv.endpoint, "http://"), "/query")
	// An anonymous query waits for the service token, so that the held
	// requests below are the only calls the upstream holds.
	if resp, err := http.Post(srv.endpoint, "application/json", strings.NewReader(`{"query":"{ __typename }"}`)); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}

	reached, release := f.HoldRooms(share)
	defer release()
	c := postFrom(client)
	c.Transport.(*http.Transport).MaxIdleConnsPerHost = share
	defer c.CloseIdleConnections()
	answers := make(chan error, share)
	for i := range share {
		go func() {
			resp, err := c.Post(srv.endpoint, "application/json", strings.NewReader(fmt.Sprintf(`{"query":"{ room(id: \"%d\") { id } }"}`, i+1)))
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("HTTP %d", resp.StatusCode)
				}
			}
			answers <- err
		}()
	}
	<-reached // four requests in flight, on four connections

	over := dialFrom(t, client, addr)
	defer over.Close()
	if status, code, err := readAnswer(over); err != nil || status != http.StatusTooManyRequests || code != "RATE_LIMITED" {
		t.Errorf("a fifth connection from an address whose share is 4: %d %q %v, want 429 RATE_LIMITED", status, code, err)
	}

	release()
	for range share {
		if err := <-answers; err != nil {
			t.Errorf("a held request: %v", err)
		}
	}
	p.await(t, "two of the address's connections closed as they went idle", func() bool { return p.closed[client] >= 2 })
	p.mu.Lock()
	open, most := p.open[client], p.most[client]
	p.mu.Unlock()
	// Two at least: idle ones that find the address at 3 or more close (two
	// going idle at once may both find it at 4).
	if open > 2 || most != share {
		t.Errorf("the address holds %d connections, at most %d at once; want at most 2 left idle of its %d", open, most, share)
	}

	again := dialFrom(t, client, addr)
	defer again.Close()
	fmt.Fprintf(again, "POST /query HTTP/1.1\r\nHost: service\r\nContent-Type: application/json\r\nContent-Length: 26\r\n\r\n{\"query\":\"{ __typename }\"}")
	if status, _, err := readAnswer(again); err != nil || status != http.StatusOK {
		t.Errorf("a new connection from the address once its idle ones were closed: %d %v, want 200", status, err)
	}
	c.CloseIdleConnections()
	srv.stop()
	if err := <-srv.done; err != nil {
		t.Errorf("run = %v", err)
	}
}

// TestTrustedProxyCarriesManyClients: connections from a trusted proxy are
// not held to an address's share; a client behind it is, by X-Forwarded-For,
// in request bodies being read at once. The proxy (127.0.0.2) opens eight
// connections, twice the share, for eight clients' slow bodies: all are
// served. One client then sends five slow bodies through it: four are read,
// the fifth is answered 429 RATE_LIMITED at once, and another client's request
// is served meanwhile; the four complete once their bodies arrive.
func TestTrustedProxyCarriesManyClients(t *testing.T) {
	const proxy, share = "127.0.0.2", 4
	up := httptest.NewServer(fake.New(fake.Options{}))
	defer up.Close()
	p := newPeers()
	logs := &servicetest.Buffer{}
	srv := startWatched(t, against(up, map[string]string{"MAX_CONNECTIONS": "64", "MAX_CONNECTIONS_PER_ADDRESS": fmt.Sprint(share),
		"TRUSTED_PROXIES": proxy, "BODY_TIMEOUT": "1m", "LOG_LEVEL": "warn"}), logs, p.watch)
	addr := strings.TrimSuffix(strings.TrimPrefix(srv.endpoint, "http://"), "/query")

	var carried []net.Conn
	for i := range 2 * share {
		c := dialFrom(t, proxy, addr)
		defer c.Close()
		startSlowBody(t, c, fmt.Sprintf("X-Forwarded-For: 203.0.113.%d\r\n", i+1))
		carried = append(carried, c)
	}
	p.await(t, "the proxy's eight connections under way", func() bool { return len(p.active[proxy]) == 2*share })

	type answer struct {
		c    net.Conn
		resp *http.Response
		code string
		err  error
		next error // reading on, after the answer
	}
	answers := make(chan answer, share+1)
	var mine []net.Conn
	for range share + 1 {
		c := dialFrom(t, proxy, addr)
		defer c.Close()
		startSlowBody(t, c, "X-Forwarded-For: 198.51.100.7\r\n")
		mine = append(mine, c)
		go func() {
			br := bufio.NewReader(c)
			resp, e, err := answerOn(c, br, time.Minute)
			a := answer{c: c, resp: resp, code: e.Extensions.Code, err: err}
			if err == nil && resp.StatusCode == http.StatusTooManyRequests {
				_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
				_, a.next = br.Read(make([]byte, 1))
			}
			answers <- a
		}()
	}
	refused := <-answers
	if refused.err != nil || refused.resp.StatusCode != http.StatusTooManyRequests || refused.code != "RATE_LIMITED" ||
		refused.resp.Header.Get("Retry-After") != "1" || !refused.resp.Close || isTimeout(refused.next) {
		t.Fatalf("the first answer to one client's five slow bodies: %+v, want 429 RATE_LIMITED, Retry-After: 1, the connection closed", refused)
	}

	if !strings.Contains(logs.String(), "requests refused") || !strings.Contains(logs.String(), "198.51.100.7") {
		t.Errorf("no warning of the refused body naming its client:\n%s", logs)
	}
	if strings.Contains(logs.String(), "connections refused") {
		t.Errorf("connections from a trusted proxy refused:\n%s", logs)
	}
	resp, err := postFrom(proxy).Do(forwardedFor(t, srv.endpoint, "198.51.100.8"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("another client behind the proxy, while the first has four bodies being read: %d, want 200", resp.StatusCode)
	}

	// The rest of every body: all but the refused one are answered.
	for _, c := range mine {
		if c != refused.c {
			finishSlowBody(t, c)
		}
	}
	for range share {
		if a := <-answers; a.err != nil || a.resp.StatusCode != http.StatusOK {
			t.Errorf("one of the client's four bodies being read: %+v, want 200 once it arrived", a)
		}
	}
	// Their places are given back as their bodies end.
	if resp, err := postFrom(proxy).Do(forwardedFor(t, srv.endpoint, "198.51.100.7")); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("the client's next request, its four bodies read: %v %v, want 200", resp, err)
	} else {
		resp.Body.Close()
	}
	for _, c := range carried {
		finishSlowBody(t, c)
		if status, _, err := readAnswer(c); err != nil || status != http.StatusOK {
			t.Errorf("a carried client's request: %d %v, want 200", status, err)
		}
	}
	srv.stop()
	if err := <-srv.done; err != nil {
		t.Errorf("run = %v", err)
	}
}

// finishSlowBody sends the rest of startSlowBody's body: a valid request,
// padded with spaces to its 1000 bytes.
func finishSlowBody(t *testing.T, c net.Conn) {
	t.Helper()
	rest := `{ __typename }"}`
	if _, err := io.WriteString(c, rest+strings.Repeat(" ", 1000-len(`{"query":"`)-len(rest))); err != nil {
		t.Fatal(err)
	}
}

// forwardedFor is a query as a trusted proxy forwards it for client.
func forwardedFor(t *testing.T, endpoint, client string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(`{"query":"{ __typename }"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", client)
	return req
}

// TestSlowBodyIsCutAtItsDeadline: a body that trickles in, a byte every
// 10ms, is answered 408 BAD_REQUEST once BODY_TIMEOUT has passed since its
// headers, however much of it keeps arriving, and its connection is closed.
// Before, the server's read timeout (15s from the request's start) cut it
// with 400 "could not be read".
func TestSlowBodyIsCutAtItsDeadline(t *testing.T) {
	up := httptest.NewServer(fake.New(fake.Options{}))
	defer up.Close()
	srv := startRun(t, against(up, map[string]string{"BODY_TIMEOUT": "300ms", "LOG_LEVEL": "error"}), io.Discard)
	addr := strings.TrimSuffix(strings.TrimPrefix(srv.endpoint, "http://"), "/query")
	c := dialFrom(t, "127.0.0.1", addr)
	defer c.Close()
	startSlowBody(t, c, "")
	stop, stopped := make(chan struct{}), make(chan int)
	go func() {
		sent := 0
		defer func() { stopped <- sent }()
		tick := time.NewTicker(10 * time.Millisecond) // the client's pace, not a synchronisation
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := io.WriteString(c, " "); err != nil {
					return
				}
				sent++
			}
		}
	}()
	br := bufio.NewReader(c)
	resp, e, err := answerOn(c, br, 30*time.Second)
	close(stop)
	sent := <-stopped
	if err != nil {
		t.Fatalf("a trickling body, after %d bytes of it: %v", sent, err)
	}
	if resp.StatusCode != http.StatusRequestTimeout || e.Extensions.Code != "BAD_REQUEST" || !strings.Contains(e.Message, "within 300ms") || !resp.Close {
		t.Errorf("a trickling body: %d %+v (Connection: close %v), want 408 BAD_REQUEST saying 300ms, the connection closed", resp.StatusCode, e, resp.Close)
	}
	if sent >= 1000-len(`{"query":"`) {
		t.Errorf("the body arrived in full (%d bytes) before its answer", sent)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := br.Read(make([]byte, 1)); n > 0 || isTimeout(err) {
		t.Errorf("after the answer: %d bytes, %v; want the connection closed", n, err)
	}
	srv.stop()
	if err := <-srv.done; err != nil {
		t.Errorf("run = %v", err)
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestUnreadBodyDoesNotHoldItsConnection: a handler that answers without
// reading the body (here /healthz) is answered at once, and the connection
// closed, rather than held while the server waits for the rest of the body
// (before: until the read timeout, 15s, before answering).
func TestUnreadBodyDoesNotHoldItsConnection(t *testing.T) {
	up := httptest.NewServer(fake.New(fake.Options{}))
	defer up.Close()
	srv := startRun(t, against(up, map[string]string{"BODY_TIMEOUT": "1m", "LOG_LEVEL": "error"}), io.Discard)
	addr := strings.TrimSuffix(strings.TrimPrefix(srv.endpoint, "http://"), "/query")
	c := dialFrom(t, "127.0.0.1", addr)
	defer c.Close()
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: service\r\nContent-Length: 1000\r\n\r\n{"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, _, err := answerOn(c, br, 10*time.Second) // a guard well under BODY_TIMEOUT
	if err != nil {
		t.Fatalf("GET /healthz with a body that does not arrive: %v", err)
	}
	if resp.StatusCode != http.StatusOK || !resp.Close {
		t.Errorf("GET /healthz with a body that does not arrive: %d (Connection: close %v), want 200 and the connection closed", resp.StatusCode, resp.Close)
	}
	if n, err := br.Read(make([]byte, 1)); n > 0 || isTimeout(err) {
		t.Errorf("after the answer: %d bytes, %v; want the connection closed", n, err)
	}
	srv.stop()
	if err := <-srv.done; err != nil {
		t.Errorf("run = %v", err)
	}
}

// TestSlowHeadersAreCut: a request's headers that have not arrived in full
// HEADER_TIMEOUT after the connection opened end it, without an answer
// (nothing of a request arrived to answer). The guard, 4s, is under the 5s
// the server waited before HEADER_TIMEOUT was a setting.
func TestSlowHeadersAreCut(t *testing.T) {
	up := httptest.NewServer(fake.New(fake.Options{}))
	defer up.Close()
	srv := startRun(t, against(up, map[string]string{"HEADER_TIMEOUT": "300ms", "LOG_LEVEL": "error"}), io.Discard)
	addr := strings.TrimSuffix(strings.TrimPrefix(srv.endpoint, "http://"), "/query")
	c := dialFrom(t, "127.0.0.1", addr)
	defer c.Close()
	if _, err := io.WriteString(c, "POST /query HTTP/1.1\r\nHost: service\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(4 * time.Second))
	if b, err := io.ReadAll(c); len(b) > 0 || err != nil {
		t.Errorf("headers that stopped arriving: %q %v, want the connection closed without an answer", b, err)
	}
	srv.stop()
	if err := <-srv.done; err != nil {
		t.Errorf("run = %v", err)
	}
}

// TestMaxConnectionsHoldsAcrossAddresses: MAX_CONNECTIONS still bounds the
// connections of all addresses together: three addresses within their share
// (4) open 12 connections against MAX_CONNECTIONS=8; the server accepts 8
// before any is answered, none is refused, and the other 4 are served once
// the first are answered.
func TestMaxConnectionsHoldsAcrossAddresses(t *testing.T) {
	up := httptest.NewServer(fake.New(fake.Options{}))
	defer up.Close()
	p := newPeers()
	srv := startWatched(t, against(up, map[string]string{"MAX_CONNECTIONS": "8", "MAX_CONNECTIONS_PER_ADDRESS": "4",
		"BODY_TIMEOUT": "1m", "LOG_LEVEL": "error"}), io.Discard, p.watch)
	addr := strings.TrimSuffix(strings.TrimPrefix(srv.endpoint, "http://"), "/query")
	var conns []net.Conn
	for _, ip := range []string{"127.0.0.2", "127.0.0.3", "127.0.0.4"} {
		for range 4 {
			c := dialFrom(t, ip, addr)
			defer c.Close()
			startSlowBody(t, c, "")
			conns = append(conns, c)
		}
	}
	p.await(t, "8 requests under way", func() bool {
		active := 0
		for ip := range p.active {
			active += len(p.active[ip])
		}
		return active >= 8
	})
	for _, c := range conns {
		finishSlowBody(t, c)
	}
	for _, c := range conns {
		if status, code, err := readAnswer(c); err != nil || status != http.StatusOK {
			t.Errorf("one of 12 connections against MAX_CONNECTIONS=8: %d %q %v, want 200", status, code, err)
		}
	}
	// The watcher hears of a connection going idle before the service
	// closes it, so a connection accepted in its place comes after.
	p.mu.Lock()
	first := 0
	for _, idles := range p.newAt {
		if idles == 0 {
			first++
		}
	}
	p.mu.Unlock()
	if first != 8 {
		t.Errorf("%d connections accepted before any was answered, want MAX_CONNECTIONS=8", first)
	}
	for _, c := range conns {
		c.Close()
	}
	srv.stop()
	if err := <-srv.done; err != nil {
		t.Errorf("run = %v", err)
	}
}
