package viewer

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	lb := Proxies{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tt := range []struct {
		name    string
		proxies Proxies
		peer    string
		xff     []string
		want    string
	}{
		{"no proxies: the peer, whatever the header says", nil, "203.0.113.7:5000", []string{"198.51.100.1"}, "ip:203.0.113.7"},
		{"a peer that is no proxy: its header is not believed", lb, "203.0.113.7:5000", []string{"198.51.100.1"}, "ip:203.0.113.7"},
		{"behind the proxy: the hop it added", lb, "10.1.2.3:5000", []string{"198.51.100.1"}, "ip:198.51.100.1"},
		{"a client's own entries on the left are not believed", lb, "10.1.2.3:5000", []string{"1.1.1.1, 198.51.100.1"}, "ip:198.51.100.1"},
		{"two proxies in a row", lb, "10.1.2.3:5000", []string{"198.51.100.1, 10.9.9.9"}, "ip:198.51.100.1"},
		{"headers split over lines", lb, "10.1.2.3:5000", []string{"1.1.1.1", "198.51.100.1"}, "ip:198.51.100.1"},
		{"junk ends the walk at the last good hop", lb, "10.1.2.3:5000", []string{"evil, 10.9.9.9"}, "ip:10.9.9.9"},
		{"IPv6 is cut to its /64", nil, "[2001:db8:1:2:3:4:5:6]:5000", nil, "ip:2001:db8:1:2::/64"},
		{"no header behind the proxy: the proxy", lb, "10.1.2.3:5000", nil, "ip:10.1.2.3"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := tt.proxies.ClientIP(r); got != tt.want {
				t.Errorf("ClientIP = %q, want %q", got, tt.want)
			}
		})
	}
}
