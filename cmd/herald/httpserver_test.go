package main

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// startLimited serves a handler that reads the whole request body with the
// given limits, counting the connections open on the server's side.
func startLimited(t *testing.T, lim httpLimits) (addr string, open, peak *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("ok\n"))
	})
	srv, limited := newHTTPServer(ln, h, slog.New(slog.DiscardHandler), lim)
	// Counted where the limit is kept: a connection counts from the limited
	// listener's Accept until its Close starts, before it frees its slot.
	// (The server's ConnState hook reports a close only after the slot is
	// free, so it could see the next connection open first.)
	counted := &countingListener{Listener: limited, open: new(atomic.Int64), peak: new(atomic.Int64)}
	go srv.Serve(counted)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), counted.open, counted.peak
}

type countingListener struct {
	net.Listener
	mu         sync.Mutex
	open, peak *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.peak.Store(max(l.peak.Load(), l.open.Add(1)))
	l.mu.Unlock()
	return &countedConn{Conn: c, open: l.open}, nil
}

type countedConn struct {
	net.Conn
	once sync.Once
	open *atomic.Int64
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return c.Conn.Close()
}

// closedByServer reports whether the server closes conn within limit
// (the client sends nothing more).
func closedByServer(conn net.Conn, limit time.Duration) bool {
	conn.SetReadDeadline(time.Now().Add(limit))
	_, err := io.Copy(io.Discard, conn)
	return err == nil // EOF: the server closed it; a timeout is an error
}

// The web server closes an idle keep-alive connection and a request whose
// body never finishes, and holds at most MaxConns connections at once
// however many clients connect.
func TestWebServerBoundsItsClients(t *testing.T) {
	lim := httpLimits{ReadHeader: 300 * time.Millisecond, Read: 500 * time.Millisecond, Write: 5 * time.Second,
		Idle: 300 * time.Millisecond, MaxConns: 4}
	addr, open, peak := startLimited(t, lim)

	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	io.WriteString(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, err := http.ReadResponse(bufio.NewReader(idle), nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("first request: %v %v", resp, err)
	}
	if !closedByServer(idle, 20*time.Second) {
		t.Error("an idle keep-alive connection was held for 20 s")
	}

	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	io.WriteString(slow, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nx")
	if !closedByServer(slow, 20*time.Second) {
		t.Error("a request body that never ends was waited for 20 s")
	}

	var conns []net.Conn
	for range 40 {
		c, err := net.Dial("tcp", addr) // accepted by the kernel, queued if over the cap
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		if !closedByServer(c, 30*time.Second) { // each is served in turn, and closed for sending nothing
			t.Fatal("a queued connection was never served")
		}
		c.Close()
	}
	if p := peak.Load(); p > int64(lim.MaxConns) {
		t.Errorf("%d connections were open at once, want at most %d", p, lim.MaxConns)
	}
	if !waitUntil(10*time.Second, func() bool { return open.Load() == 0 }) {
		t.Errorf("%d connections still open after every client left", open.Load())
	}
}
