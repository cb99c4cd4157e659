package feeds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"
)

// PollStore is what the poller needs from storage: one call per poll that
// records the feed's new state and its items together.
type PollStore interface {
	SavePoll(ctx context.Context, f Feed, items []Item, now time.Time) (Saved, error)
}

// Poller fetches feeds with a bounded pool of workers and a per-host limit,
// and stores what it finds. A failing feed never disturbs the others: its
// error is stored on the feed and it is retried later with backoff.
type Poller struct {
	Fetcher *Fetcher
	Store   PollStore
	Workers int               // feeds polled at once: fetched, parsed or stored (default 16)
	PerHost int               // feeds of one host fetched at once (default 2)
	Filters map[string]Filter // include/exclude keywords by topic
	Parse   ParseOptions      // the operator's additions to normalizing (tracking parameters)
	Now     func() time.Time  // default time.Now
	Jitter  func(time.Duration) time.Duration
	Log     *slog.Logger

	parsersOnce sync.Once
	parsers     chan struct{} // bounds concurrent parses
	limitsOnce  sync.Once
	lim         *pollLimits // workers and hosts, shared by concurrent PollAlls
}

// Result is what one poll of one feed did.
type Result struct {
	Feed     Feed // the feed's state after the poll
	Status   string
	Saved    Saved
	Err      error
	Duration time.Duration
	// Dropped counts the items left out of a document longer than the
	// cap (MaxItems): its oldest ones.
	Dropped int
}

// PollAll polls every feed in fs and returns when all are done or ctx ends.
// onResult, when not nil, is called once per feed, never concurrently.
//
// Feeds start as soon as a worker and their host have room: a feed whose
// host is busy waits without holding a worker, so a slow host occupies at
// most PerHost workers and the others go on. The workers and the host
// limits are the Poller's, shared by every PollAll running at once.
func (p *Poller) PollAll(ctx context.Context, fs []Feed, onResult func(Result)) []Result {
	lim := p.limits()
	queue := newHostQueue(fs)
	var mu sync.Mutex
	var results []Result
	var wg sync.WaitGroup
	for queue.len() > 0 && ctx.Err() == nil {
		freed := lim.changed() // before trying: a slot freed meanwhile wakes the wait
		f, ok := queue.next(lim.tryHost)
		if !ok {
			select { // every pending feed's host is busy
			case <-freed:
			case <-ctx.Done():
			}
			continue
		}
		if !lim.takeWorker(ctx) {
			lim.releaseHost(f.URL)
			break
		}
		wg.Go(func() {
			r := p.poll(ctx, f, func() { lim.releaseHost(f.URL) })
			lim.releaseWorker()
			mu.Lock()
			results = append(results, r)
			if onResult != nil {
				onResult(r)
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	return results
}

// PollOne fetches, parses and stores one feed.
func (p *Poller) PollOne(ctx context.Context, f Feed) Result {
	return p.poll(ctx, f, func() {})
}

// poll is PollOne calling fetched once the body is read: the host's slot
// is free for its next feed while this one is parsed and stored, so that
// fetching, parsing and storing overlap as in a pipeline.
func (p *Poller) poll(ctx context.Context, f Feed, fetched func()) Result {
	start := p.now()
	res := p.fetchAndParse(ctx, f, start, fetched)
	if ctx.Err() != nil {
		// Shutting down: store nothing, so the feed stays due and is polled
		// again after the restart.
		return Result{Feed: f, Status: StatusError, Err: ctx.Err()}
	}
	saved, err := p.Store.SavePoll(ctx, res.Feed, res.items, start)
	if err != nil {
		res = p.saveFailed(ctx, f, start, err) // f: the validators of the last poll that was kept
	}
	res.Saved = saved
	res.Duration = p.now().Sub(start)
	p.log(res)
	return res.Result
}

// saveFailed is a poll of f whose store refused what it brought (a full
// disk, say): nothing of it was kept, so f keeps its old validators (the
// next poll must fetch the body again), and it backs off like after any
// failure, with the error counted, rather than being due again at once.
// Recording that needs only a small write, which often still goes through.
func (p *Poller) saveFailed(ctx context.Context, f Feed, now time.Time, err error) pollResult {
	f.LastPoll = now
	r := p.failed(f, now, fmt.Errorf("store: %w", err))
	if _, err := p.Store.SavePoll(ctx, r.Feed, nil, now); err != nil && p.Log != nil {
		p.Log.Warn("could not record a failed poll", "feed_id", f.ID, "error", err)
	}
	return r
}

type pollResult struct {
	Result
	items []Item
}

func (p *Poller) fetchAndParse(ctx context.Context, f Feed, now time.Time, fetched func()) pollResult {
	f.LastPoll = now
	resp, err := p.Fetcher.Fetch(ctx, Request{URL: f.URL, ETag: f.ETag, LastModified: f.LastModified})
	fetched()
	if err != nil {
		return p.failed(f, now, err)
	}
	if resp.PermanentURL != "" {
		f.URL = resp.PermanentURL
	}
	if resp.NotModified {
		f.ETag, f.LastModified = keep(resp.ETag, f.ETag), keep(resp.LastModified, f.LastModified)
		return p.succeeded(f, now, resp, StatusNotModified)
	}
	settings := p.settings()
	body := bodyHash(settings, resp.Body)
	if body == f.BodyHash {
		// The document read last time, again (a server without validators,
		// or whose validators change): what it held is stored already, and
		// its old entries are still old.
		f.ETag, f.LastModified = resp.ETag, resp.LastModified
		return p.succeeded(f, now, resp, StatusNotModified)
	}
	slots := p.parseSlots()
	slots <- struct{}{}
	doc, err := parse(resp.Body, resp.ContentType, f, now, p.Parse, &printer{seed: settings, last: f.Prints})
	<-slots
	if err != nil {
		// Keep the old validators: the next poll must fetch the body again.
		return p.failed(f, now, err)
	}
	f.ETag, f.LastModified, f.BodyHash = resp.ETag, resp.LastModified, body
	f.Listed, f.Old = doc.Listed(), doc.Old
	f.Hints = doc.Hints
	if f.Title == "" {
		f.Title = doc.Title
	}
	f.SiteURL = keep(doc.SiteURL, f.SiteURL)
	r := p.succeeded(f, now, resp, StatusOK)
	r.items = p.filter(f, doc.Items)
	r.Dropped = doc.Dropped
	return r
}

func (p *Poller) succeeded(f Feed, now time.Time, resp *Response, status string) pollResult {
	f.LastStatus, f.LastError, f.Failures = status, "", 0
	f.NextPoll = NextPoll(now, f.Hints, resp.FreshUntil, time.Time{}, 0, p.jitter)
	return pollResult{Result: Result{Feed: f, Status: status}}
}

func (p *Poller) failed(f Feed, now time.Time, err error) pollResult {
	f.Failures++
	f.LastStatus, f.LastError = StatusError, err.Error()
	var retryAfter time.Time
	var fe *FetchError
	if errors.As(err, &fe) {
		retryAfter = fe.RetryAfter
		if fe.Permanent {
			f.Disabled, f.LastStatus = true, StatusGone
		}
	}
	f.NextPoll = NextPoll(now, f.Hints, time.Time{}, retryAfter, f.Failures, p.jitter)
	return pollResult{Result: Result{Feed: f, Status: f.LastStatus, Err: err}}
}

// filter keeps the items that pass the filter of at least one of the feed's
// topics; a topic without a filter keeps everything. An Unchanged item
// passed these filters when it was stored (the filters are part of its
// print), and it has no text to match now.
func (p *Poller) filter(f Feed, items []Item) []Item {
	if len(p.Filters) == 0 {
		return items
	}
	kept := items[:0:0]
	for _, it := range items {
		if it.Unchanged {
			kept = append(kept, it)
			continue
		}
		for _, t := range f.Topics {
			if p.Filters[t].Match(it) {
				kept = append(kept, it)
				break
			}
		}
	}
	return kept
}

func (p *Poller) log(r pollResult) {
	if p.Log == nil {
		return
	}
	attrs := []any{"feed_id", r.Feed.ID, "feed_url", RedactURL(r.Feed.URL), "status", r.Status,
		"new_items", r.Saved.New, "duration_ms", r.Duration.Milliseconds()}
	if r.Err != nil {
		p.Log.Warn("poll failed", append(attrs, "error", RedactText(r.Err.Error(), r.Feed.URL), "failures", r.Feed.Failures,
			"next_poll", r.Feed.NextPoll)...)
		return
	}
	if r.Dropped > 0 {
		p.Log.Warn("feed cut: it lists more items than Herald takes from one document; kept the newest",
			append(attrs, "kept_items", len(r.items), "dropped_items", r.Dropped)...)
		return
	}
	p.Log.Debug("polled", attrs...)
}

// parseSlots bounds concurrent parses. Parsing is CPU work: more parsers
// than cores only slows the one goroutine that holds the store's write
// transaction. (Measured: one parser per core beats one fewer, and both
// beat one per worker.)
func (p *Poller) parseSlots() chan struct{} {
	p.parsersOnce.Do(func() { p.parsers = make(chan struct{}, runtime.GOMAXPROCS(0)) })
	return p.parsers
}

func (p *Poller) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Poller) jitter(d time.Duration) time.Duration {
	if p.Jitter != nil {
		return p.Jitter(d)
	}
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}

// bodyHash identifies a body together with what reading it depends on
// besides its bytes (Poller.settings). A change of settings reads an
// unchanged body again.
func bodyHash(settings string, body []byte) string {
	h := sha256.New()
	io.WriteString(h, settings)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// settings are what reading a document depends on besides its bytes: the
// filters and the parse options. Bodies and entries are fingerprinted
// with them (bodyHash, Item.Print).
func (p *Poller) settings() string {
	return fmt.Sprintf("%v\x00%v\x00%d\x00", p.Filters, p.Parse.TrackingParams, p.Parse.MaxAge)
}

func keep(fresh, old string) string {
	if fresh != "" {
		return fresh
	}
	return old
}
