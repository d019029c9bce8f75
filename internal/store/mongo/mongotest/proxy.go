package mongotest

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Proxy is a TCP proxy in front of a server's primary, so that a test can
// make the database stall (connections stay open, nothing comes back: a
// stuck primary) or vanish, on the embedded FerretDB and on a real
// MONGODB_TEST_URI alike.
type Proxy struct {
	// URI connects through the proxy, directly to the one server behind it.
	URI string

	ln     net.Listener
	target string

	mu      sync.Mutex
	stalled bool
	resume  chan struct{} // closed when a stall ends
	conns   map[net.Conn]bool
	closed  bool
}

// NewProxy starts a proxy in front of srv's primary, closed when t ends.
func NewProxy(t testing.TB, srv *Server) *Proxy {
	t.Helper()
	prefix, userinfo, hosts, rest := splitURI(srv.URI)
	target := strings.Split(hosts, ",")[0]
	if len(strings.Split(hosts, ",")) > 1 || strings.Contains(rest, "replicaSet=") {
		target = primaryOf(t, srv.URI)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]bool{}, resume: make(chan struct{})}
	close(p.resume)
	query := dropParam(rest, "replicaSet")
	if strings.Contains(query, "?") {
		query += "&directConnection=true"
	} else {
		query = strings.TrimSuffix(query, "/") + "/?directConnection=true"
	}
	p.URI = prefix + userinfo + ln.Addr().String() + query
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Stall stops forwarding in both directions: requests reach no server and
// no answer comes back, as with a primary that hangs.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stalled {
		p.stalled = true
		p.resume = make(chan struct{})
	}
}

// Resume forwards again what a stall held back.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stalled {
		p.stalled = false
		close(p.resume)
	}
}

// Close stops the proxy and drops every connection: the server is gone.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	if p.stalled {
		close(p.resume)
		p.stalled = false
	}
	p.mu.Unlock()
	p.ln.Close()
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *Proxy) accept() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(in) {
			return
		}
		go func() {
			out, err := net.DialTimeout("tcp", p.target, 5*time.Second)
			if err != nil || !p.track(out) {
				in.Close()
				return
			}
			go p.pipe(out, in)
			p.pipe(in, out)
		}()
	}
}

// pipe copies src to dst, holding each chunk while the proxy is stalled.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			resume := p.resume
			p.mu.Unlock()
			<-resume
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// splitURI splits "mongodb://user:pw@h1,h2/db?x=y" into "mongodb://",
// "user:pw@", "h1,h2" and "/db?x=y".
func splitURI(uri string) (prefix, userinfo, hosts, rest string) {
	prefix = "mongodb://"
	s := strings.TrimPrefix(uri, prefix)
	if i := strings.IndexAny(s, "/?"); i >= 0 {
		s, rest = s[:i], s[i:]
	}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		userinfo, s = s[:i+1], s[i+1:]
	}
	return prefix, userinfo, s, rest
}

// dropParam removes one query parameter from "/db?a=b&c=d".
func dropParam(rest, name string) string {
	path, query, ok := strings.Cut(rest, "?")
	if !ok {
		return rest
	}
	var keep []string
	for _, kv := range strings.Split(query, "&") {
		if kv != "" && !strings.HasPrefix(kv, name+"=") {
			keep = append(keep, kv)
		}
	}
	if len(keep) == 0 {
		return path
	}
	return path + "?" + strings.Join(keep, "&")
}

// primaryOf asks a replica set which member is its primary.
func primaryOf(t testing.TB, uri string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(ctx)
	var hello struct {
		Primary string `bson:"primary"`
	}
	if err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&hello); err != nil || hello.Primary == "" {
		t.Fatalf("finding the primary of %s: %v (primary %q)", uri, err, hello.Primary)
	}
	return hello.Primary
}
