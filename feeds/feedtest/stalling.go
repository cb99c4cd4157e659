package feedtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
)

// Stalling is a host that does not answer: it holds every request until
// Release (or until the client gives up), counting how many it holds at
// once, for tests of what a slow host may take of the poller.
type Stalling struct {
	*httptest.Server
	release    chan struct{}
	once       sync.Once
	mu         sync.Mutex
	held, peak atomic.Int64
}

// NewStalling starts a stalling host; Close stops it.
func NewStalling() *Stalling {
	s := &Stalling{release: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.held.Add(1)
		s.mu.Lock()
		s.peak.Store(max(s.peak.Load(), n))
		s.mu.Unlock()
		defer s.held.Add(-1)
		select {
		case <-s.release:
		case <-r.Context().Done():
		}
		fmt.Fprint(w, `<rss version="2.0"><channel><title>Slow</title></channel></rss>`)
	}))
	return s
}

// Release answers the held requests and every later one at once.
func (s *Stalling) Release() { s.once.Do(func() { close(s.release) }) }

// Held is how many requests the host holds now.
func (s *Stalling) Held() int64 { return s.held.Load() }

// Peak is the most requests it held at once.
func (s *Stalling) Peak() int64 { return s.peak.Load() }
