package store

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"herald/feeds"
)

// Three instances whose passes begin one after the other, each once the
// one before has polled a batch (as three daemons started 0.5 s apart
// do), fetch each feed once: a feed polled by anyone within its interval
// is not due for the later passes, though it asks for no delay (no cache
// headers, no ttl: due again at once) and was polled before they began.
func TestStaggeredInstancesFetchEachFeedOnce(t *testing.T) {
	ctx := context.Background()
	dsn := testDSN(t)
	var mu sync.Mutex
	fetched := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fetched[r.URL.Path]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire %[1]s</title>`+
			`<item><title>Report from %[1]s</title><guid>%[1]s-1</guid></item></channel></rss>`, r.URL.Path)
	}))
	defer srv.Close()
	const n, batch, instances = 24, 4, 3
	release := make(chan struct{}) // the first instance waits after its first batch
	var polls []*steppedPoller
	var coords []*Coordinator
	for i := range instances {
		st, err := Open(ctx, dsn) // one store (one pool) per instance, as in separate processes
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if i == 0 {
			for k := range n {
				if _, err := st.AddFeed(ctx, FeedSpec{URL: fmt.Sprintf("%s/f/%d", srv.URL, k), Topic: "wires"}, OriginCLI, time.Now()); err != nil {
					t.Fatal(err)
				}
			}
		}
		p := &steppedPoller{Poller: &feeds.Poller{Store: st, Workers: 2, PerHost: 2,
			Fetcher: &feeds.Fetcher{Timeout: time.Minute, MaxBytes: 1 << 20, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}},
			batches: make(chan struct{}, n)}
		if i == 0 {
			p.hold = release
		}
		polls = append(polls, p)
		coords = append(coords, NewCoordinator(st, slog.New(slog.DiscardHandler), time.Minute, time.Now()))
	}
	results := make([][]feeds.Result, instances)
	done := make([]chan struct{}, instances)
	start := func(i int) {
		done[i] = make(chan struct{})
		go func() {
			defer close(done[i])
			var err error
			results[i], err = coords[i].PollLeased(ctx, polls[i], "wires", batch, time.Hour, nil)
			if err != nil {
				t.Error(err)
			}
		}()
	}
	// A later pass begins once the one before has stored a batch (or ended).
	afterFirstBatch := func(i int) {
		select {
		case <-polls[i].batches:
		case <-done[i]:
		case <-time.After(2 * time.Minute):
			t.Fatalf("instance %d stored no batch in two minutes", i)
		}
	}
	start(0)
	afterFirstBatch(0)
	start(1)
	afterFirstBatch(1)
	start(2)
	close(release)
	for i := range instances {
		<-done[i]
	}
	total := 0
	for i, rs := range results {
		t.Logf("instance %d polled %d feeds", i, len(rs))
		total += len(rs)
	}
	for k := range n {
		if got := fetched[fmt.Sprintf("/f/%d", k)]; got != 1 {
			t.Errorf("feed %d fetched %d times, want once", k, got)
		}
	}
	if total != n {
		t.Errorf("%d polls in all, want %d", total, n)
	}
}

// steppedPoller is a real poller that reports each batch it has stored,
// and may wait after it until hold is closed.
type steppedPoller struct {
	*feeds.Poller
	batches chan struct{}
	hold    <-chan struct{}
}

func (p *steppedPoller) PollAll(ctx context.Context, fs []feeds.Feed, onResult func(feeds.Result)) []feeds.Result {
	rs := p.Poller.PollAll(ctx, fs, onResult)
	p.batches <- struct{}{}
	if p.hold != nil {
		<-p.hold
	}
	return rs
}

// The interval rule at the lease query: a feed polled within Fresh before
// the pass is not due, one polled earlier is, and a failing feed follows
// its backoff alone (a change of the fetch settings makes it due at once).
func TestLeaseSkipsFeedsPolledWithinTheirInterval(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addFeeds(t, s, 2, "world")
	fs, _ := lease(s, "a", "", t0, 2)
	if len(fs) != 2 {
		t.Fatalf("leased %d feeds, want 2", len(fs))
	}
	ok, failing := fs[0], fs[1]
	ok.LastPoll, ok.NextPoll, ok.LastStatus = t0, t0, feeds.StatusOK
	failing.LastPoll, failing.NextPoll, failing.LastStatus, failing.Failures = t0, t0, feeds.StatusError, 1
	for _, f := range []feeds.Feed{ok, failing} {
		if _, err := s.SavePoll(ctx, f, nil, t0); err != nil {
			t.Fatal(err)
		}
	}
	leaseAt := func(pass time.Time) []int64 {
		t.Helper()
		got, err := s.LeaseDueFeeds(ctx, LeaseQuery{Owner: "b", Pass: pass, Fresh: 10 * time.Minute, Now: pass, Lease: time.Second, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, f := range got {
			ids = append(ids, f.ID)
		}
		return ids
	}
	if got := leaseAt(t0.Add(time.Second)); len(got) != 1 || got[0] != failing.ID {
		t.Errorf("a second after the polls: leased %v, want only the failing feed %d", got, failing.ID)
	}
	if got := leaseAt(t0.Add(11 * time.Minute)); len(got) != 2 {
		t.Errorf("11 minutes after the polls: leased %v, want both feeds", got)
	}
}
