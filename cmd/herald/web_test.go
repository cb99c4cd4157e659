package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"herald/digest"
	"herald/web"
)

// TestDaemonServesWhatItPolled runs the daemon on two feeds reporting one
// event and reads the event back through its web server: the output feed,
// the event page, readiness and the metrics of the pass.
func TestDaemonServesWhatItPolled(t *testing.T) {
	srv, _ := testFeed(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := writeConfig(t, addr, srv.URL+"/a.rss", srv.URL+"/b.rss")
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := herald(t, ctx, "--config", cfg, "run"); done <- err }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("daemon stopped with %v", err)
		}
	}()

	base := "http://" + addr
	var feed struct {
		Items []struct{ ID, URL string }
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(feed.Items) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		resp, err := http.Get(base + "/topics/korea.json") // refused until the daemon listens
		if err != nil {
			continue
		}
		if resp.StatusCode == 200 {
			json.NewDecoder(resp.Body).Decode(&feed)
		}
		resp.Body.Close()
	}
	if len(feed.Items) != 1 || !strings.HasPrefix(feed.Items[0].ID, "tag:herald,2026:event/ev-") {
		t.Fatalf("korea feed: %+v, want the one event both feeds report", feed.Items)
	}
	page, code := getPage(t, feed.Items[0].URL)
	if code != 200 || !strings.Contains(page, "Wire A") || !strings.Contains(page, "Wire B") {
		t.Errorf("event page %s: %d, want both publishers listed\n%s", feed.Items[0].URL, code, page)
	}
	if body, code := getPage(t, base+"/readyz"); code != 200 || !strings.Contains(body, `"scheduler": "running"`) ||
		!strings.Contains(body, `"role": "leader"`) {
		t.Errorf("readyz: %d %s", code, body)
	}
	// Clustering records its batches just after it stores them, one batch
	// or one per feed (it is nudged as each feed is saved): wait for both
	// items to be counted.
	var metrics string
	placed := func() bool {
		return strings.Contains(metrics, "herald_events_opened_total 1\n") && strings.Contains(metrics, "herald_events_grown_total 1\n")
	}
	for end := time.Now().Add(time.Minute); time.Now().Before(end) && !placed(); time.Sleep(20 * time.Millisecond) {
		metrics, _ = getPage(t, base+"/metrics")
	}
	for _, line := range []string{`herald_polls_total{result="ok"} 2`, `herald_events_opened_total 1`,
		`herald_events_grown_total 1`, `herald_items_stored_total 2`, `herald_cluster_held_items 2`,
		`herald_http_requests_total{route="GET /events/{file}",status="200"} 1`} {
		if !strings.Contains(metrics, line+"\n") {
			t.Errorf("/metrics lacks %q:\n%s", line, metrics)
		}
	}
	if !regexp.MustCompile(`\nherald_cluster_duration_seconds_count [12]\n`).MatchString(metrics) {
		t.Errorf("/metrics does not count one or two clustering batches:\n%s", metrics)
	}
	checkPrometheusText(t, metrics)
}

// checkPrometheusText has the Prometheus project's own Python client parse
// the exposition (Debian python3-prometheus-client): a malformed line, a
// bad label or a histogram without its _count fails it.
func checkPrometheusText(t *testing.T, text string) {
	t.Helper()
	const script = `import sys
from prometheus_client.parser import text_string_to_metric_families
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        pass
    print(fam.name, fam.type, len(fam.samples))
`
	out := runPrometheusParser(t, script, text)
	for _, fam := range []string{"herald_polls counter", "herald_cluster_duration_seconds histogram", "herald_http_requests counter"} {
		if !strings.Contains(string(out), fam+" ") {
			t.Errorf("parsed families lack %q:\n%s", fam, out)
		}
	}
}

func getPage(t *testing.T, u string) (string, int) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), resp.StatusCode
}

// TestUnsubscribeLinkOverHTTP: a token signed as the digest signs it
// unsubscribes with a one-click POST; a forged or expired one gets 403 and
// changes nothing.
func TestUnsubscribeLinkOverHTTP(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "herald.db"))
	secret, err := st.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	srv := httptest.NewServer(web.New(st, web.Options{
		Unsubscriber: unsubscriber{store: st, secret: secret, now: func() time.Time { return now }}}))
	defer srv.Close()
	post := func(token string) int {
		resp, err := http.Post(srv.URL+"/unsubscribe?token="+url.QueryEscape(token), "application/x-www-form-urlencoded",
			strings.NewReader("List-Unsubscribe=One-Click"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	good := digest.NewToken(secret, "ada@example.org", now.Add(time.Hour))
	for name, token := range map[string]string{
		"forged":  digest.NewToken([]byte("another secret"), "ada@example.org", now.Add(time.Hour)),
		"expired": digest.NewToken(secret, "ada@example.org", now.Add(-time.Second)),
		"altered": good[:len(good)-2] + "xx",
	} {
		if code := post(token); code != http.StatusForbidden {
			t.Errorf("%s token: %d, want 403", name, code)
		}
	}
	if gone, err := st.Unsubscribed(ctx, "ada@example.org"); err != nil || gone {
		t.Fatalf("bad tokens unsubscribed: %v %v", gone, err)
	}
	if _, code := getPage(t, srv.URL+"/unsubscribe?token="+url.QueryEscape(good)); code != 200 {
		t.Errorf("confirm page: %d", code)
	}
	if gone, _ := st.Unsubscribed(ctx, "ada@example.org"); gone {
		t.Fatal("the confirm page (GET) unsubscribed")
	}
	if code := post(good); code != 200 {
		t.Errorf("one-click POST: %d", code)
	}
	if gone, err := st.Unsubscribed(ctx, "ada@example.org"); err != nil || !gone {
		t.Errorf("after one-click POST: unsubscribed %v, %v", gone, err)
	}
}
