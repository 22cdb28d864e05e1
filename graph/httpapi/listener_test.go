package httpapi

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/quranfoundation/reflect-graphql/graph/viewer"
)

// TestShareAddresses: a connection counts against its IPv4 address, or its
// IPv6 address's /64 (one host usually has the whole /64), an IPv4-mapped
// IPv6 address as the IPv4 one; a trusted proxy's counts against none.
func TestShareAddresses(t *testing.T) {
	s := &shares{proxies: viewer.Proxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/64")}}
	for _, c := range []struct{ remote, want string }{
		{"192.0.2.7:1234", "192.0.2.7/32"},
		{"[::ffff:192.0.2.7]:1234", "192.0.2.7/32"},
		{"[2001:db8:1:2::7]:1234", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:aaaa::9]:80", "2001:db8:1:2::/64"},
		{"[2001:db8:1:3::7]:1234", "2001:db8:1:3::/64"},
		{"10.1.2.3:1234", ""},
		{"[fd00::5]:1234", ""},
	} {
		a, counted := s.address(net.TCPAddrFromAddrPort(netip.MustParseAddrPort(c.remote)))
		got := ""
		if counted {
			got = a.String()
		}
		if got != c.want {
			t.Errorf("%s counts against %q, want %q", c.remote, got, c.want)
		}
	}
}

// TestRefusalsAreBounded: a connection over its address's share is answered
// 429 RATE_LIMITED and closed, its request read meanwhile so that closing
// does not reset the answer away; while maxRefusing refusals are under way
// (here 1, lingering while its client keeps the connection), the next is
// closed without an answer.
func TestRefusalsAreBounded(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &shareListener{Listener: inner, shares: &shares{limit: 0, open: map[netip.Prefix]int{}}, // every connection is over
		refusing: make(chan struct{}, 1), linger: time.Minute, refusal: refusal(), warn: newWarner(nil, "")}
	defer l.Close()
	go func() { _, _ = l.Accept() }() // refuses until closed

	first, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	// Its request, sent before the answer is read: it is read, not reset.
	if _, err := io.WriteString(first, "POST /query HTTP/1.1\r\nHost: service\r\nContent-Length: 5\r\n\r\n{\"a\":"); err != nil {
		t.Fatal(err)
	}
	_ = first.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(first)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("a connection over its share: %v, want a 429", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" || !resp.Close ||
		!strings.Contains(string(b), `"code":"RATE_LIMITED"`) {
		t.Errorf("a connection over its share: %d %v %s, want 429 RATE_LIMITED, Retry-After: 1, Connection: close", resp.StatusCode, resp.Header, b)
	}
	if n, err := br.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("after the refusal: %d bytes, %v; want the end of the connection", n, err)
	}

	// first keeps its connection: its refusal lingers, reading.
	second, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	_ = second.SetReadDeadline(time.Now().Add(10 * time.Second))
	if b, err := io.ReadAll(second); len(b) > 0 || err != nil {
		t.Errorf("a refusal while another lingers: %q %v, want the connection closed without an answer", b, err)
	}
}
