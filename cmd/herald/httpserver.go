package main

import (
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// httpLimits bound what one client of the web server can hold: without
// them, idle keep-alive connections and slow request bodies are kept for
// as long as the client likes (a flood of 20,000 idle connections held
// 19,485 of them and 400 MB).
type httpLimits struct {
	ReadHeader time.Duration // to send the request's headers
	Read       time.Duration // to send the whole request, body included
	Write      time.Duration // to take the whole answer
	Idle       time.Duration // a keep-alive connection waits this long for its next request
	MaxConns   int           // connections open at once; more wait in the kernel's queue
}

// defaultHTTPLimits suit pages and feeds of a few hundred kilobytes, read
// by people and feed readers; a request body is at most a form post.
var defaultHTTPLimits = httpLimits{
	ReadHeader: 10 * time.Second,
	Read:       30 * time.Second,
	Write:      60 * time.Second,
	Idle:       30 * time.Second,
	MaxConns:   1024,
}

// newHTTPServer makes the daemon's web server for h, bounded by lim, and
// the listener it serves on.
func newHTTPServer(ln net.Listener, h http.Handler, log *slog.Logger, lim httpLimits) (*http.Server, net.Listener) {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: lim.ReadHeader,
		ReadTimeout:       lim.Read,
		WriteTimeout:      lim.Write,
		IdleTimeout:       lim.Idle,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return srv, netutil.LimitListener(ln, lim.MaxConns)
}
