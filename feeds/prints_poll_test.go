package feeds_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"herald/feeds"
)

// A feed read again over loopback into a real store: its unchanged
// entries are skipped without being read again and keep what the store
// made of them, an edit and a new entry are stored, and an entry the
// topic's filter left out stays out (a filter has no text to match on an
// unchanged entry, so only entries the store holds may skip it).
func TestPollReadsOnlyChangedEntries(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	entry := func(i int, title, desc string) string {
		return fmt.Sprintf(`<item><guid>e%d</guid><title>%s</title><link>http://desk.example/%d</link><description>%s</description></item>`,
			i, title, i, desc)
	}
	doc := func(items ...string) string {
		return `<rss version="2.0"><channel><title>Desk</title>` + strings.Join(items, "") + `</channel></rss>`
	}
	body := doc(entry(1, "Talks open", "&lt;p&gt;Envoys met in Geneva.&lt;/p&gt;"), entry(2, "Talks stall", "No deal."),
		entry(3, "Weather", "Rain."))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprint(w, body) // no validators: every poll reads the body
	}))
	defer srv.Close()
	st := openStore(t)
	subscribe(t, st, srv.URL+"/rss")
	p := newPoller(st, 1)
	p.Filters = map[string]feeds.Filter{"test": {Include: []string{"talks"}}}
	poll := func() (feeds.Saved, feeds.Feed) {
		t.Helper()
		r, f := pollStored(t, st, p, srv.URL+"/rss")
		return r.Saved, f
	}
	if saved, f := poll(); saved.New != 2 || len(f.Prints) != 2 {
		t.Fatalf("first poll: %+v, %d prints; want the two talks stored and printed", saved, len(f.Prints))
	}

	mu.Lock()
	body = doc(entry(4, "Talks resume", "Again."), entry(1, "Talks open", "&lt;p&gt;Envoys met in Geneva.&lt;/p&gt;"),
		entry(2, "Talks stall", "No deal, yet."), entry(3, "Weather", "Rain."))
	mu.Unlock()
	saved, f := poll()
	if saved != (feeds.Saved{New: 1, Edited: 1, Skipped: 1}) || len(f.Prints) != 3 {
		t.Fatalf("second poll: %+v, %d prints; want one new, one edited, one skipped, three printed", saved, len(f.Prints))
	}
	docs, err := st.UnclusteredDocs(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]string{}
	for _, d := range docs {
		texts[d.Title] = d.Text
	}
	want := map[string]string{"Talks open": "Envoys met in Geneva.", "Talks stall": "No deal, yet.", "Talks resume": "Again."}
	if fmt.Sprint(texts) != fmt.Sprint(want) {
		t.Fatalf("stored texts %q, want %q", texts, want)
	}
}
