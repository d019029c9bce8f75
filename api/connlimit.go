package api

import (
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// ConnLimits cap the connections a listener serves at once.
type ConnLimits struct {
	// Max caps all connections (DefaultMaxConns when zero); each costs a
	// goroutine and about 20 KiB of buffers even when idle.
	Max int
	// PerAddr caps the connections from one client address
	// (DefaultMaxConnsPerAddr when zero). It is generous because a
	// carrier's NAT puts many phones behind one public address. Addresses
	// in TrustedProxies are not capped: every client comes through them.
	PerAddr        int
	TrustedProxies []string
}

// Defaults of ConnLimits.
const (
	DefaultMaxConns        = 4096
	DefaultMaxConnsPerAddr = 256
)

// LimitListener wraps ln so that it serves at most lim.Max connections at
// once and at most lim.PerAddr from one peer address. A connection over a
// cap is answered at once with a short 503 (over the total) or 429 (over
// its address's share) in problem+json and closed, before any request on
// it is read; the others are untouched. The cap is on the TCP peer: behind
// a reverse proxy (CAMAUG_TRUSTED_PROXIES) that peer is the proxy, which is
// why proxies are exempt from the per-address cap and the proxy should cap
// per client itself.
func LimitListener(ln net.Listener, lim ConnLimits) net.Listener {
	if lim.Max <= 0 {
		lim.Max = DefaultMaxConns
	}
	if lim.PerAddr <= 0 {
		lim.PerAddr = DefaultMaxConnsPerAddr
	}
	return &limitListener{Listener: ln, max: lim.Max, perAddr: lim.PerAddr,
		trusted: parseProxies(lim.TrustedProxies), byAddr: map[netip.Addr]int{}}
}

type limitListener struct {
	net.Listener
	max, perAddr int
	trusted      trustedProxies

	mu     sync.Mutex
	total  int
	byAddr map[netip.Addr]int
}

// Canned answers to a refused connection (no request has been read, so
// there is no language to follow: both are given).
var (
	refuseTotal = cannedProblem(503, "Service Unavailable", "unavailable",
		"Máy chủ đang quá tải; hãy thử lại sau giây lát / The server is at its connection limit; try again in a moment")
	refuseAddr = cannedProblem(429, "Too Many Requests", "too-many-connections",
		"Quá nhiều kết nối từ địa chỉ của bạn / Too many connections from your address")
)

func cannedProblem(status int, text, slug, detail string) []byte {
	body := `{"type":"` + ProblemTypePrefix + slug + `","title":"` + text + `","status":` + strconv.Itoa(status) + `,"detail":"` + detail + `"}`
	return []byte("HTTP/1.1 " + strconv.Itoa(status) + " " + text + "\r\nContent-Type: application/problem+json\r\nRetry-After: 5\r\n" +
		"Connection: close\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		var addr netip.Addr
		if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
			addr = ta.AddrPort().Addr().Unmap()
		}
		capped := addr.IsValid() && !l.trusted.trusts(addr)
		l.mu.Lock()
		var refusal []byte
		switch {
		case l.total >= l.max:
			refusal = refuseTotal
		case capped && l.byAddr[addr] >= l.perAddr:
			refusal = refuseAddr
		default:
			l.total++
			if capped {
				l.byAddr[addr]++
			}
		}
		l.mu.Unlock()
		if refusal != nil {
			// A few hundred bytes fit in the socket's buffer: the write
			// does not wait for the client, and the deadline makes sure.
			c.SetWriteDeadline(time.Now().Add(time.Second))
			c.Write(refusal)
			c.Close()
			continue
		}
		return &limitedConn{Conn: c, release: func() { l.release(addr, capped) }}, nil
	}
}

func (l *limitListener) release(addr netip.Addr, capped bool) {
	l.mu.Lock()
	l.total--
	if capped {
		if l.byAddr[addr]--; l.byAddr[addr] <= 0 {
			delete(l.byAddr, addr)
		}
	}
	l.mu.Unlock()
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

// NetConn returns the wrapped connection (requestContext peeks at it).
func (c *limitedConn) NetConn() net.Conn { return c.Conn }

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
