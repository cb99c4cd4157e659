// Package web is Herald's HTTP side: health checks now; output feeds and
// event pages build on it.
package web

import (
	"context"
	"net/http"
	"time"
)

// Store is what the web server needs from storage.
type Store interface {
	Ping(ctx context.Context) error
}

// New returns the handler for every route Herald serves.
func New(st Store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			http.Error(w, "store unreachable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	})
	return mux
}
