package api

import (
	"net"
	"testing"
	"time"
)

// TestPeerClosed: the peek sees a closed connection, and neither consumes
// nor mistakes pending bytes (a pipelined request) for a close.
func TestPeerClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	rc := rawConnOf(&limitedConn{Conn: server, release: func() {}})
	if rc == nil {
		t.Fatal("no raw connection under the listener's wrapper")
	}
	if peerClosed(rc) {
		t.Fatal("an open, idle connection was taken as closed")
	}
	client.Write([]byte("GET /next HTTP/1.1\r\n"))
	time.Sleep(50 * time.Millisecond) // let the bytes arrive
	if peerClosed(rc) {
		t.Fatal("pending bytes were taken as a close")
	}
	buf := make([]byte, 64)
	server.SetReadDeadline(time.Now().Add(time.Second))
	if n, _ := server.Read(buf); string(buf[:n]) != "GET /next HTTP/1.1\r\n" {
		t.Fatalf("after the peek, read %q: the pending bytes were consumed", buf[:n])
	}
	client.Close()
	deadline := time.Now().Add(2 * time.Second)
	for !peerClosed(rc) {
		if time.Now().After(deadline) {
			t.Fatal("the client's close was never seen")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
