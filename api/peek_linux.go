package api

import (
	"errors"
	"syscall"
)

// peerClosed reports whether the peer has closed the connection, without
// consuming any byte.
func peerClosed(rc syscall.RawConn) bool {
	closed := false
	var b [1]byte
	err := rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == nil:
			closed = n == 0 // end of stream
		case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EINTR):
		default:
			closed = true // reset
		}
		return true // never wait for readability
	})
	return closed || err != nil
}
