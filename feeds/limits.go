package feeds

import (
	"context"
	"net/url"
	"sync"
)

// pollLimits bound what a Poller does at once: Workers feeds in all
// (fetched, parsed or stored), PerHost fetches from any one host. Polls of several topics run at the same time
// and share them.
type pollLimits struct {
	workers chan struct{} // a slot per running poll

	mu      sync.Mutex
	perHost int
	busy    map[string]int // running polls by host
	freed   chan struct{}  // closed (and replaced) whenever a slot frees
}

func (p *Poller) limits() *pollLimits {
	p.limitsOnce.Do(func() {
		workers, per := p.Workers, p.PerHost
		if workers <= 0 {
			workers = 16
		}
		if per <= 0 {
			per = 2
		}
		p.lim = &pollLimits{workers: make(chan struct{}, workers), perHost: per,
			busy: map[string]int{}, freed: make(chan struct{})}
	})
	return p.lim
}

// tryHost takes a slot of rawURL's host if one is free.
func (l *pollLimits) tryHost(rawURL string) bool {
	host := hostOf(rawURL)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.busy[host] >= l.perHost {
		return false
	}
	l.busy[host]++
	return true
}

// takeWorker waits for a worker slot; false when ctx ends first.
func (l *pollLimits) takeWorker(ctx context.Context) bool {
	select {
	case l.workers <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// releaseWorker gives back a worker slot.
func (l *pollLimits) releaseWorker() { <-l.workers }

// releaseHost gives back rawURL's host slot.
func (l *pollLimits) releaseHost(rawURL string) {
	host := hostOf(rawURL)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.busy[host]--; l.busy[host] <= 0 {
		delete(l.busy, host)
	}
	close(l.freed)
	l.freed = make(chan struct{})
}

// changed returns a channel closed when a host slot next frees.
func (l *pollLimits) changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.freed
}

func hostOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Host
	}
	return rawURL
}

// hostQueue holds feeds waiting to be polled, by host, and hands them out
// host after host, so that one host's long list does not keep the others
// waiting.
type hostQueue struct {
	hosts []string          // in turn
	feeds map[string][]Feed // waiting, by host
	n     int
	turn  int
}

func newHostQueue(fs []Feed) *hostQueue {
	q := &hostQueue{feeds: map[string][]Feed{}, n: len(fs)}
	for _, f := range fs {
		h := hostOf(f.URL)
		if _, ok := q.feeds[h]; !ok {
			q.hosts = append(q.hosts, h)
		}
		q.feeds[h] = append(q.feeds[h], f)
	}
	return q
}

func (q *hostQueue) len() int { return q.n }

// next returns the next feed whose host take lets in, trying each host
// with waiting feeds once, starting after the last one served.
func (q *hostQueue) next(take func(rawURL string) bool) (Feed, bool) {
	for range q.hosts {
		q.turn = (q.turn + 1) % len(q.hosts)
		h := q.hosts[q.turn]
		waiting := q.feeds[h]
		if len(waiting) == 0 || !take(waiting[0].URL) {
			continue
		}
		q.feeds[h], q.n = waiting[1:], q.n-1
		return waiting[0], true
	}
	return Feed{}, false
}
