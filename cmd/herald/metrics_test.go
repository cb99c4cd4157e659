package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"herald/digest"
	"herald/mail/smtptest"
	"herald/store"
)

// parsePrometheus has the Prometheus project's Python client parse an
// exposition (Debian python3-prometheus-client) and returns its samples
// by series, written name{label="value",...} with labels sorted.
func parsePrometheus(t *testing.T, text string) map[string]float64 {
	t.Helper()
	const script = `import sys, json
from prometheus_client.parser import text_string_to_metric_families
out = {}
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(s.labels.items()))
        out[s.name + ("{" + labels + "}" if labels else "")] = s.value
print(json.dumps(out))
`
	samples := map[string]float64{}
	if err := json.Unmarshal(runPrometheusParser(t, script, text), &samples); err != nil {
		t.Fatal(err)
	}
	return samples
}

// runPrometheusParser runs script, a Python program that reads an
// exposition on stdin, and returns what it prints. The test is skipped
// where Debian's python3-prometheus-client is missing, except in CI; it
// fails when the parser rejects the text.
func runPrometheusParser(t *testing.T, script, text string) []byte {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import prometheus_client").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3-prometheus-client is missing in CI: %v", err)
		}
		t.Skipf("skipping the Prometheus parser check: /usr/bin/python3 lacks prometheus_client (apt-get install python3-prometheus-client): %v", err)
	}
	cmd := exec.Command("/usr/bin/python3", "-c", script)
	cmd.Stdin = strings.NewReader(text)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the Prometheus parser rejects /metrics: %v\n%s\n%s", err, stderr.String(), text)
	}
	return out
}

// TestMetricsGaugesFollowTheStore scrapes /metrics of a daemon's web
// server, parses it with Python's prometheus_client, and checks that the
// store gauges move: when a feed fails, when a digest waits in the outbox
// and when it is sent; and that the send is timed.
func TestMetricsGaugesFollowTheStore(t *testing.T) {
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bad.rss" {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Good</title>
<item><title>Talks agreed</title><link>https://good.example/talks</link><guid>g1</guid></item></channel></rss>`)
	}))
	defer feedSrv.Close()
	smtpSrv := smtptest.Start(t, smtptest.Options{})
	raw := fmt.Sprintf(`storage: %s
poll: {allow_networks: [127.0.0.0/8]}
topics:
  - name: world
    feeds: [{url: "%s/good.rss"}, {url: "%s/bad.rss"}]
smtp: {host: 127.0.0.1, port: %d, username: %s, password: "%s", from: "Herald <news@herald.example>", timeout: 1m}
subscribers:
  - {email: ada@example.org, topics: [world]}
`, filepath.Join(t.TempDir(), "herald.db"), feedSrv.URL, feedSrv.URL, smtpSrv.Port, smtptest.Username, smtptest.Password)
	cfg, err := ParseConfig("test.yaml", []byte(raw), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Storage)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := slog.New(slog.DiscardHandler)
	d := &daemon{env: &env{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard},
		log: log, store: st, coord: store.NewCoordinator(st, log, time.Minute, time.Now())}
	d.metrics = newMetrics(st, time.Duration(cfg.Poll.ClusterWin), 0, log) // no cache: each scrape reads
	l, err := d.build(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.digests.email.Mailer.TLSConfig = smtpSrv.Client
	d.live.Store(l)
	web := httptest.NewServer(l.web)
	defer web.Close()
	scrape := func() map[string]float64 {
		body, code := getPage(t, web.URL+"/metrics")
		if code != 200 {
			t.Fatalf("/metrics: %d", code)
		}
		return parsePrometheus(t, body)
	}
	expect := func(when string, got map[string]float64, want map[string]float64) {
		t.Helper()
		for series, v := range want {
			if g, ok := got[series]; !ok || g != v {
				t.Errorf("%s: %s = %v (present %v), want %v", when, series, g, ok, v)
			}
		}
	}

	if err := syncConfig(ctx, cfg, st); err != nil {
		t.Fatal(err)
	}
	expect("before the first poll", scrape(), map[string]float64{`herald_feeds{status="never_polled"}`: 2,
		`herald_feeds{status="backoff"}`: 0, `herald_items`: 0, `herald_digests{status="sent"}`: 0,
		`herald_digests_unconfirmed{status="pending"}`: 0, `herald_store_writable{backend="sqlite"}`: 1,
		`herald_store_write_failures{backend="sqlite"}`: 0})

	if err := d.pass(ctx, ""); err != nil {
		t.Fatal(err)
	}
	after := scrape()
	expect("after a poll where one feed failed", after, map[string]float64{`herald_feeds{status="ok"}`: 1,
		`herald_feeds{status="backoff"}`: 1, `herald_feeds{status="never_polled"}`: 0, `herald_items`: 1,
		`herald_polls_total{result="error"}`: 1, `herald_poll_duration_seconds_count`: 2})
	if after["herald_oldest_item_age_seconds"] < 0 || after["go_goroutines"] <= 0 || after["process_resident_memory_bytes"] <= 0 {
		t.Errorf("item age, Go and process collectors: %v %v %v", after["herald_oldest_item_age_seconds"],
			after["go_goroutines"], after["process_resident_memory_bytes"])
	}

	row := pendingDigest(t, d)
	waiting := scrape()
	expect("with a digest in the outbox", waiting, map[string]float64{`herald_digests{status="pending"}`: 1,
		`herald_digests{status="sent"}`: 0})
	if waiting["herald_oldest_pending_digest_age_seconds"] <= 0 {
		t.Errorf("oldest pending digest age %v, want > 0", waiting["herald_oldest_pending_digest_age_seconds"])
	}
	if err := l.digests.desk.DeliverDue(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Digest(ctx, row.ID); got.Status != digest.StatusSent {
		t.Fatalf("digest %s: %s", got.Status, got.LastError)
	}
	expect("once the digest is sent", scrape(), map[string]float64{`herald_digests{status="pending"}`: 0,
		`herald_digests{status="sent"}`: 1, `herald_oldest_pending_digest_age_seconds`: 0,
		`herald_digest_send_duration_seconds_count`: 1})
}
