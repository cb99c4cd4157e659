package feeds_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"herald/feeds"
	"herald/feeds/feedtest"
)

// A host that does not answer holds at most PerHost workers, in one
// PollAll and across PollAlls running at once: the other hosts' feeds are
// polled meanwhile. (Workers used to wait for a busy host's slot, so a
// slow host's queue held every worker and the others waited behind it.)
func TestSlowHostHoldsOnlyItsShare(t *testing.T) {
	slow := feedtest.NewStalling()
	defer slow.Close()
	var fastHits atomic.Int64
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fastHits.Add(1)
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>Fast</title><item><title>%s</title><guid>%s</guid></item></channel></rss>`, r.URL.Path, r.URL.Path)
	}))
	defer fast.Close()
	st := openStore(t)
	var slowFeeds, fastFeeds []string
	for i := range 12 {
		slowFeeds = append(slowFeeds, fmt.Sprintf("%s/s%d", slow.URL, i))
		fastFeeds = append(fastFeeds, fmt.Sprintf("%s/f%d", fast.URL, i))
	}
	subscribe(t, st, append(slowFeeds, fastFeeds...)...)
	all, err := st.Feeds(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var slowList, fastList []feeds.Feed
	for _, f := range all {
		if f.URL[:len(slow.URL)] == slow.URL {
			slowList = append(slowList, f)
		} else {
			fastList = append(fastList, f)
		}
	}
	p := newPoller(st, 4)
	p.PerHost = 2
	var wg sync.WaitGroup
	wg.Go(func() { p.PollAll(context.Background(), append(slowList, fastList[:6]...), nil) }) // one topic: slow feeds first
	if !waitFor(10*time.Second, func() bool { return slow.Held() == 2 }) {
		t.Fatalf("%d slow fetches running, want 2", slow.Held())
	}
	wg.Go(func() { p.PollAll(context.Background(), fastList[6:], nil) }) // another topic, at the same time
	if !waitFor(30*time.Second, func() bool { return fastHits.Load() == 12 }) {
		t.Errorf("%d of 12 feeds of the answering host polled while the slow host held its share", fastHits.Load())
	}
	slow.Release()
	wg.Wait()
	if p := slow.Peak(); p > 2 {
		t.Errorf("%d fetches of the slow host at once, want at most PerHost (2)", p)
	}
}

func waitFor(limit time.Duration, cond func() bool) bool {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}
