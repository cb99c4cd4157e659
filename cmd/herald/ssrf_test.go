package main

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
)

// loopbackOnly is the allow list of tests that build a Fetcher themselves.
var loopbackOnly = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// setAllowNetworks rewrites writeConfig's poll.allow_networks line.
func setAllowNetworks(t *testing.T, cfg, value string) {
	t.Helper()
	raw, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const line = "  allow_networks: [127.0.0.0/8]\n"
	if !strings.Contains(string(raw), line) {
		t.Fatalf("config %s has no %q line to replace", cfg, line)
	}
	fixed := strings.Replace(string(raw), line, value, 1)
	if err := os.WriteFile(cfg, []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A feed at an address outside poll.allow_networks fails on its own, with
// the refusal and its fix shown by `herald feeds`; the allowed feed in the
// same poll is stored as usual.
func TestPollRefusesInternalFeedOthersSucceed(t *testing.T) {
	srv, hits := testFeed(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	internal := "http://127.0.0.2:" + port + "/b.rss" // loopback, but not allowed below
	cfg := writeConfig(t, "127.0.0.1:0", srv.URL+"/a.rss", internal)
	setAllowNetworks(t, cfg, "  allow_networks: [127.0.0.1]\n")
	ctx := context.Background()

	out, err := herald(t, ctx, "--config", cfg, "poll")
	if err != nil || summaryRow(out) != "2 1 0 1 1" {
		t.Fatalf("poll: %v, summary %q, want 2 feeds, 1 ok, 0 not modified, 1 failed, 1 new item\n%s", err, summaryRow(out), out)
	}
	if hits.Load() != 1 {
		t.Errorf("the feed server was hit %d times, want once (the refused feed must not connect)", hits.Load())
	}
	out, err = herald(t, ctx, "--config", cfg, "feeds")
	if err != nil {
		t.Fatalf("feeds: %v\n%s", err, out)
	}
	row := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, internal) {
			row = l
		}
	}
	if !strings.Contains(row, "address 127.0.0.2 is loopback") {
		t.Errorf("feeds: the refused feed's row %q does not show the refusal\n%s", row, out)
	}
	out, err = herald(t, ctx, "--config", cfg, "feeds", "--json")
	if err != nil || !strings.Contains(out, "add it to poll.allow_networks in config.yaml") {
		t.Fatalf("feeds --json: the stored error should name the fix: %v\n%s", err, out)
	}
	if strings.Count(out, "poll.allow_networks") != 1 {
		t.Errorf("feeds --json: want exactly one feed refused\n%s", out)
	}
}

// Without poll.allow_networks, `herald add` refuses a loopback page.
func TestAddRefusesLoopbackByDefault(t *testing.T) {
	srv, hits := testFeed(t)
	cfg := writeConfig(t, "127.0.0.1:0")
	setAllowNetworks(t, cfg, "")
	out, err := herald(t, context.Background(), "--config", cfg, "add", srv.URL+"/page", "--topic", "korea")
	if err == nil || !strings.Contains(out+err.Error(), "address 127.0.0.1 is loopback") {
		t.Fatalf("add of a loopback page: %v, want the refusal\n%s", err, out)
	}
	if hits.Load() != 0 {
		t.Errorf("the feed server was hit %d times, want none", hits.Load())
	}
}
