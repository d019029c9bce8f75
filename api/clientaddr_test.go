package api

import (
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	proxies := parseProxies([]string{"10.0.0.1", "172.16.0.0/12", "bad"})
	peer := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	for _, tc := range []struct {
		name, peer string
		forwarded  []string
		want       string
	}{
		{"untrusted peer, header ignored", "203.0.113.5", []string{"198.51.100.1"}, "203.0.113.5"},
		{"trusted peer, one hop", "10.0.0.1", []string{"198.51.100.1"}, "198.51.100.1"},
		{"spoofed left-most is ignored", "10.0.0.1", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"chain of trusted proxies", "10.0.0.1", []string{"6.6.6.6, 198.51.100.1, 172.16.3.4"}, "198.51.100.1"},
		{"several headers", "10.0.0.1", []string{"6.6.6.6", "198.51.100.1, 172.20.0.9"}, "198.51.100.1"},
		{"no header", "10.0.0.1", nil, "10.0.0.1"},
		{"garbage after a trusted hop", "10.0.0.1", []string{"6.6.6.6, nonsense, 172.16.0.2"}, "172.16.0.2"},
		{"IPv4-mapped peer", "::ffff:10.0.0.1", []string{"198.51.100.1"}, "198.51.100.1"},
		{"IPv6 client", "10.0.0.1", []string{" 2001:db8::1 "}, "2001:db8::1"},
	} {
		if got := proxies.clientAddr(peer(tc.peer), tc.forwarded).String(); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}
