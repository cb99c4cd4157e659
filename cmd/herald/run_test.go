package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"herald/mail/smtptest"
	"herald/store"
)

// testFeed serves two RSS feeds that report the same event, plus a page
// that links to the first one for autodiscovery.
func testFeed(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	mux := http.NewServeMux()
	item := func(pub, title, link string) string {
		return fmt.Sprintf(`<?xml version="1.0"?><rss version="2.0"><channel><title>%s</title><link>https://%s.example/</link>
<item><title>%s</title><link>https://%s.example/talks</link><guid>%s-1</guid><pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate>
<description>North and South Korea agreed on Monday to seek talks to formally end the Korean War.</description></item>
</channel></rss>`, pub, pub, title, pub, pub)
	}
	mux.HandleFunc("/a.rss", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(item("Wire A", "North and South Korea agree to seek talks to end Korean War", "a")))
	})
	mux.HandleFunc("/b.rss", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(item("Wire B", "Koreas agree to pursue talks to end the Korean War", "b")))
	})
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<html><head><link rel="alternate" type="application/rss+xml" title="B" href="/b.rss"></head></html>`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &hits
}

// writeConfig writes a config for one topic with the given feeds into a
// temp dir and returns its path.
func writeConfig(t *testing.T, listen string, feeds ...string) string {
	dir := t.TempDir()
	var b strings.Builder
	// The test feeds are loopback servers, which Herald refuses by default.
	fmt.Fprintf(&b, "storage: %s\nhttp:\n  listen: %s\npoll:\n  allow_networks: [127.0.0.0/8]\ntopics:\n  - name: korea\n    schedule: \"@every 1h\"\n    feeds:\n",
		filepath.Join(dir, "herald.db"), listen)
	for _, f := range feeds {
		fmt.Fprintf(&b, "      - url: %s\n", f)
	}
	b.WriteString("  - name: spare\n")
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func herald(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(ctx, args, func(string) string { return "" }, &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestPollFeedsAndOPML(t *testing.T) {
	srv, _ := testFeed(t)
	cfg := writeConfig(t, "127.0.0.1:0", srv.URL+"/a.rss")
	ctx := context.Background()

	out, err := herald(t, ctx, "--config", cfg, "add", srv.URL+"/page", "--topic", "korea")
	if err != nil || !strings.Contains(out, "/b.rss") {
		t.Fatalf("add: %v\n%s", err, out)
	}
	out, err = herald(t, ctx, "--config", cfg, "poll")
	if err != nil || !strings.Contains(out, "new items") || summaryRow(out) != "2 2 0 0 2" {
		t.Fatalf("poll: %v\n%s", err, out)
	}
	out, err = herald(t, ctx, "--config", cfg, "feeds")
	if err != nil || strings.Count(out, " ok ") != 2 {
		t.Fatalf("feeds: %v\n%s", err, out)
	}
	opml, err := herald(t, ctx, "--config", cfg, "opml", "export")
	if err != nil || !strings.Contains(opml, `<outline text="korea"`) || !strings.Contains(opml, "/b.rss") {
		t.Fatalf("opml export: %v\n%s", err, opml)
	}
	// Import the export into a second installation.
	cfg2 := writeConfig(t, "127.0.0.1:0")
	file := filepath.Join(t.TempDir(), "subs.opml")
	os.WriteFile(file, []byte(opml[strings.Index(opml, "<?xml"):]), 0o600)
	out, err = herald(t, ctx, "--config", cfg2, "opml", "import", file)
	if err != nil || !strings.Contains(out, "imported 2 feeds") {
		t.Fatalf("opml import: %v\n%s", err, out)
	}
}

// summaryRow returns the figures of `herald poll`'s summary table.
func summaryRow(out string) string {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "feeds") && i+1 < len(lines) {
			return strings.Join(strings.Fields(lines[i+1]), " ")
		}
	}
	return ""
}

func TestTwoReportsBecomeOneEvent(t *testing.T) {
	srv, _ := testFeed(t)
	cfg := writeConfig(t, "127.0.0.1:0", srv.URL+"/a.rss", srv.URL+"/b.rss")
	ctx := context.Background()
	if out, err := herald(t, ctx, "--config", cfg, "poll"); err != nil {
		t.Fatalf("poll: %v\n%s", err, out)
	}
	st, err := store.Open(ctx, filepath.Join(filepath.Dir(cfg), "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, placed, err := st.EventCounts(ctx)
	if err != nil || evs != 1 || placed != 2 {
		t.Fatalf("events = %d, placed items = %d (%v); want both reports in one event", evs, placed, err)
	}
}

// TestDaemonPollsServesAndStops runs `herald run` until it has polled, checks
// its health endpoint, then stops it like SIGTERM would.
func TestDaemonPollsServesAndStops(t *testing.T) {
	srv, hits := testFeed(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := writeConfig(t, addr, srv.URL+"/a.rss")
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := herald(t, ctx, "--config", cfg, "run"); done <- err }()

	deadline := time.Now().Add(20 * time.Second)
	for hits.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if hits.Load() == 0 {
		t.Fatal("the daemon did not poll its feed at start")
	}
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	resp.Body.Close()
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("daemon stopped with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("daemon did not stop after its context ended")
	}
}

func TestUsageAndHelp(t *testing.T) {
	ctx := context.Background()
	if out, err := herald(t, ctx); err == nil || !strings.Contains(out, "Commands:") {
		t.Fatalf("no command: %v\n%s", err, out)
	}
	for _, c := range commands() {
		out, err := herald(t, ctx, c.name, "--help")
		if err != nil || !strings.Contains(out, "Usage: herald "+c.name) {
			t.Errorf("%s --help: %v\n%s", c.name, err, out)
		}
	}
	if _, err := herald(t, ctx, "frobnicate"); err == nil || !strings.Contains(err.Error(), "herald help") {
		t.Fatalf("unknown command: %v", err)
	}
	out, err := herald(t, ctx, "--config", "../../config.yaml", "check-config")
	if err != nil || !strings.Contains(out, "is valid") {
		t.Fatalf("check-config: %v\n%s", err, out)
	}
}

// buildHerald builds the herald binary once for a test that runs it as a
// subprocess (to kill it, or to run several).
func buildHerald(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "herald")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// certEnv writes the test SMTP server's certificate to a file and returns
// the environment entry that makes a herald subprocess trust it.
func certEnv(t *testing.T, mail *smtptest.Server) string {
	t.Helper()
	cert := filepath.Join(t.TempDir(), "smtp.pem")
	if err := os.WriteFile(cert, mail.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return "SSL_CERT_FILE=" + cert
}
