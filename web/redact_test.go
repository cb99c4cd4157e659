package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"herald/feeds"
	"herald/store"
)

// A feed URL's credentials never show on /feeds or /feeds.json, in the
// URL or in the error that quotes it.
func TestFeedHealthMasksCredentials(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	raw := "https://reader:hunter2@feeds.example/private.rss"
	f, err := st.AddFeed(ctx, store.FeedSpec{URL: raw, Topic: "world"}, store.OriginCLI, now)
	if err != nil {
		t.Fatal(err)
	}
	f.LastPoll, f.LastStatus, f.Failures = now, feeds.StatusError, 1
	f.LastError = "fetch " + raw + `: Get "https://reader:***@feeds.example/private.rss": connection refused`
	f.NextPoll = now.Add(time.Hour)
	if _, err := st.SavePoll(ctx, f, nil, now); err != nil {
		t.Fatal(err)
	}
	srv := serve(t, st, Options{})
	for _, path := range []string{"/feeds", "/feeds.json"} {
		code, body, _ := get(t, srv.URL+path)
		if code != 200 || !strings.Contains(body, "feeds.example/private.rss") || !strings.Contains(body, "connection refused") {
			t.Fatalf("%s: %d, the feed or its error is missing:\n%s", path, code, body)
		}
		if strings.Contains(body, "hunter2") || strings.Contains(body, "reader") {
			t.Errorf("%s shows the feed's credentials:\n%s", path, body)
		}
	}
}
