package api

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

const localClientAddr = "client_addr"

// trustedProxies are the reverse proxies whose X-Forwarded-For is believed.
type trustedProxies []netip.Prefix

// parseProxies reads addresses and CIDRs; entries that are neither are
// ignored (the command line checks them before).
func parseProxies(list []string) trustedProxies {
	var out trustedProxies
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}

func (t trustedProxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is the address of the client behind any trusted proxies: the
// connection's peer unless it is a trusted proxy, else the right-most
// X-Forwarded-For address that is not one. Each proxy appends the address
// it was connected from, so only the entries right of the first untrusted
// hop were written by proxies we trust; anything to its left the client
// wrote itself. forwarded holds every X-Forwarded-For header in order.
func (t trustedProxies) clientAddr(peer netip.Addr, forwarded []string) netip.Addr {
	peer = peer.Unmap()
	if !t.trusts(peer) {
		return peer
	}
	var hops []string
	for _, h := range forwarded {
		hops = append(hops, strings.Split(h, ",")...)
	}
	addr := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return addr // a proxy we trust wrote garbage: stop at it
		}
		addr = a.Unmap()
		if !t.trusts(addr) {
			return addr
		}
	}
	return addr
}

// withClientAddr records the client's address for ClientAddr.
func withClientAddr(t trustedProxies) fiber.Handler {
	return func(c *fiber.Ctx) error {
		peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
		var forwarded []string
		if len(t) > 0 {
			for _, v := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
				forwarded = append(forwarded, string(v))
			}
		}
		c.Locals(localClientAddr, t.clientAddr(peer, forwarded).String())
		return c.Next()
	}
}

// ClientAddr is the address of the client that sent the request, as seen
// through the configured trusted proxies. Use it instead of c.IP(), which
// believes the left-most X-Forwarded-For value: the one the client writes.
func ClientAddr(c *fiber.Ctx) string {
	if a, ok := c.Locals(localClientAddr).(string); ok {
		return a
	}
	return c.Context().RemoteIP().String()
}
