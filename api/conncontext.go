package api

import (
	"context"
	"net"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
)

// requestContext returns c.UserContext() (which fasthttp never cancels)
// ended after d, or as soon as the client closes its connection, for work
// worth stopping when nobody waits for it (decoding a photo). stop must be
// called before the handler returns.
//
// fasthttp gives no close notification, and reading the connection to
// notice its end would consume a pipelined next request. So the watcher
// peeks: a non-blocking recv with MSG_PEEK every 100 ms, which leaves any
// pending bytes where they are, sees a closed connection (0 bytes, or a
// reset), and nothing else. The handler has read its body by then, and
// fasthttp reads nothing while a handler runs, so nobody else reads the
// socket meanwhile. Where the socket cannot be peeked (not TCP, or another
// system), only the deadline ends the context.
func requestContext(c *fiber.Ctx, d time.Duration) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithTimeout(c.UserContext(), d)
	rc := rawConnOf(c.Context().Conn())
	if rc == nil {
		return ctx, cancel
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if peerClosed(rc) {
					cancel()
					return
				}
			}
		}
	}()
	return ctx, func() { cancel(); <-done }
}

// rawConnOf finds the socket under conn (through LimitListener's wrapper).
func rawConnOf(conn net.Conn) syscall.RawConn {
	for {
		switch c := conn.(type) {
		case interface{ NetConn() net.Conn }:
			conn = c.NetConn()
			continue
		case syscall.Conn:
			rc, err := c.SyscallConn()
			if err != nil {
				return nil
			}
			return rc
		}
		return nil
	}
}
