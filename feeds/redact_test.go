package feeds

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestRedact(t *testing.T) {
	raw := "https://ada:s3cr%40t@feeds.example/rss?x=1"
	if got := RedactURL(raw); got != "https://xxxxx@feeds.example/rss?x=1" {
		t.Errorf("RedactURL = %q", got)
	}
	if got := RedactURL("https://feeds.example/rss"); got != "https://feeds.example/rss" {
		t.Errorf("RedactURL without userinfo = %q", got)
	}
	msg := `fetch https://ada:s3cr%40t@feeds.example/rss?x=1: Get "https://ada:***@feeds.example/rss?x=1": refused`
	if got := RedactText(msg, raw); strings.Contains(got, "ada") || strings.Contains(got, "s3cr") {
		t.Errorf("RedactText = %q", got)
	}
}

// The poller's log lines never carry a feed URL's credentials, neither in
// feed_url nor in the error.
func TestPollLogsHideCredentials(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	var logs bytes.Buffer
	p := &Poller{
		Fetcher: &Fetcher{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Timeout: 10 * time.Second},
		Store:   discardStore{},
		Log:     slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	feedURL := strings.Replace(srv.URL, "http://", "http://reader:hunter2@", 1) + "/rss"
	res := p.PollOne(context.Background(), Feed{ID: 1, URL: feedURL})
	if res.Err == nil {
		t.Fatal("the failing feed did not fail")
	}
	if out := logs.String(); out == "" || strings.Contains(out, "hunter2") || strings.Contains(out, "reader") {
		t.Errorf("log lines show the credentials:\n%s", out)
	}
}

type discardStore struct{}

func (discardStore) SavePoll(context.Context, Feed, []Item, time.Time) (Saved, error) {
	return Saved{}, nil
}
