package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// firstHourConfig writes a config with one topic holding feeds; allow
// decides whether loopback feeds may be fetched.
func firstHourConfig(t *testing.T, path string, allow bool, feeds ...string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "storage: %s\n", filepath.Join(filepath.Dir(path), "herald.db"))
	if allow {
		b.WriteString("poll:\n  allow_networks: [127.0.0.0/8]\n")
	}
	b.WriteString("topics:\n  - name: korea\n    title: Korea\n    feeds:\n")
	for _, f := range feeds {
		fmt.Fprintf(&b, "      - url: %s\n", f)
	}
	b.WriteString("  - name: spare\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestOperatorsFirstHour walks what a new operator does: list the feeds
// of config.yaml before any poll, poll feeds the config does not allow
// yet (every one fails: a non-zero exit, each failure listed once), poll
// again (nothing due, and why), allow the network (the failing feeds are
// retried at once), and add a feed that is already there.
func TestOperatorsFirstHour(t *testing.T) {
	srv, _ := testFeed(t)
	ctx := context.Background()
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	a, b := srv.URL+"/a.rss", srv.URL+"/b.rss"
	firstHourConfig(t, cfg, false, a, b)

	if out, err := herald(t, ctx, "--config", cfg, "opml", "export"); err != nil || !strings.Contains(out, "/a.rss") {
		t.Fatalf("opml export before the first poll: %v\n%s", err, out)
	}
	out, err := herald(t, ctx, "--config", cfg, "feeds")
	if err != nil || strings.Count(out, "never_polled") != 2 || strings.Count(out, " due ") != 2 {
		t.Fatalf("feeds before the first poll: %v\n%s", err, out)
	}

	out, err = herald(t, ctx, "--config", cfg, "poll")
	if err == nil || !strings.Contains(err.Error(), "every feed polled failed (2") {
		t.Fatalf("poll with every feed refused: %v, want an error\n%s", err, out)
	}
	if n := strings.Count(out, a); n != 1 || !strings.Contains(out, "poll.allow_networks") {
		t.Errorf("poll lists %s %d times, want once with the fix:\n%s", a, n, out)
	}
	out, err = herald(t, ctx, "--config", cfg, "poll")
	if err != nil || !strings.Contains(out, "0 feeds due; 2 in backoff after failures until ") || !strings.Contains(out, "use --all") {
		t.Fatalf("poll with nothing due: %v\n%s", err, out)
	}

	firstHourConfig(t, cfg, true, a, b) // the fix
	out, err = herald(t, ctx, "--config", cfg, "poll")
	if err != nil || summaryRow(out) != "2 2 0 0 2" {
		t.Fatalf("poll after allowing the network: %v\n%s", err, out)
	}

	out, err = herald(t, ctx, "--config", cfg, "add", a, "--topic", "korea")
	if err != nil || !strings.Contains(out, "already subscribed: "+a+" (topic korea)") {
		t.Errorf("add of a feed already there: %v\n%s", err, out)
	}
	out, err = herald(t, ctx, "--config", cfg, "add", a, "--topic", "spare")
	if err != nil || !strings.Contains(out, "added "+a+" to topic spare (already subscribed in topic korea)") {
		t.Errorf("add of a feed to a second topic: %v\n%s", err, out)
	}
}

// Commands refuse what they cannot do, naming the valid choices; an empty
// list in JSON is [].
func TestCommandsRefuseBadArguments(t *testing.T) {
	ctx := context.Background()
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	firstHourConfig(t, cfg, false)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"poll", "--topic", "nosuch"}, `no topic "nosuch"`},
		{[]string{"poll", "--topic", "nosuch"}, "use one of korea, spare"},
		{[]string{"digest", "list", "--status", "bogus"}, "use one of pending, sent, failed, empty, cancelled"},
		{[]string{"poll", "now"}, `herald poll takes no arguments, but was given "now"`},
		{[]string{"feeds", "--json", "extra"}, "takes no arguments"},
		{[]string{"check-config", "extra"}, "takes no arguments"},
		{[]string{"digest", "list", "extra"}, "takes no arguments"},
		{[]string{"run", "extra"}, "takes no arguments"},
	} {
		out, err := herald(t, ctx, append([]string{"--config", cfg}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("herald %s: %v, want an error with %q\n%s", strings.Join(tc.args, " "), err, tc.want, out)
		}
	}
	out, err := herald(t, ctx, "--config", cfg, "feeds", "--json")
	var list []any
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || list == nil || strings.TrimSpace(out) != "[]" {
		t.Errorf("feeds --json on an empty store: %v %q, want []", err, out)
	}
}

// An OPML import takes each feed's title and site, its topic from the
// enclosing outline (a topic's name or title), reports what it skipped
// and why, and a second import of the same file changes nothing and
// says so.
func TestOPMLImportReportsAndRepeats(t *testing.T) {
	ctx := context.Background()
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	firstHourConfig(t, cfg, false)
	file := filepath.Join(t.TempDir(), "subs.opml")
	os.WriteFile(file, []byte(`<?xml version="1.0"?><opml version="2.0"><body>
<outline text="KOREA"><outline text="Wire A" xmlUrl="https://a.example/rss" htmlUrl="https://a.example/"/>
<outline text="Bad" xmlUrl="javascript:alert(1)"/></outline>
<outline text="Korea"><outline title="Wire B" xmlUrl="https://b.example/rss"/></outline>
</body></opml>`), 0o600)
	out, err := herald(t, ctx, "--config", cfg, "opml", "import", file)
	if err != nil || !strings.Contains(out, "imported 2 feeds from "+file+": 2 new") ||
		!strings.Contains(out, `skipped "Bad" (javascript:alert(1)): javascript: URLs are not feeds`) {
		t.Fatalf("opml import: %v\n%s", err, out)
	}
	js, err := herald(t, ctx, "--config", cfg, "feeds", "--json")
	if err != nil || !strings.Contains(js, `"title": "Wire A"`) || !strings.Contains(js, `"site_url": "https://a.example/"`) ||
		!strings.Contains(js, `"title": "Wire B"`) || strings.Count(js, `"korea"`) != 2 {
		t.Errorf("feeds after the import: %v\n%s", err, js)
	}
	out, err = herald(t, ctx, "--config", cfg, "opml", "import", file)
	if err != nil || !strings.Contains(out, "nothing changed: the 2 feeds of "+file+" are already subscribed") {
		t.Errorf("second import: %v\n%s", err, out)
	}
	if js2, _ := herald(t, ctx, "--config", cfg, "feeds", "--json"); js2 != js {
		t.Errorf("the second import changed the feeds:\n%s\n%s", js, js2)
	}
	export, err := herald(t, ctx, "--config", cfg, "opml", "export")
	if err != nil || !strings.Contains(export, `htmlUrl="https://a.example/"`) {
		t.Errorf("export keeps htmlUrl: %v\n%s", err, export)
	}
}

// check-config warns, without failing, about feeds on loopback or private
// networks that poll.allow_networks does not allow, naming the key to set;
// and it says what retention keeps.
func TestCheckConfigWarnsAboutInternalFeeds(t *testing.T) {
	raw := `poll:
  allow_networks: [10.0.0.0/8]
topics:
  - name: home
    feeds:
      - url: http://127.0.0.1:8080/a.rss
      - url: http://192.168.1.10/feed
      - url: http://router.lan/feed
      - url: http://nas.lan/feed
      - url: https://news.example/rss
      - url: http://localhost/rss
`
	cfg, err := ParseConfig("config.yaml", []byte(raw), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	resolve := func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "router.lan":
			return []netip.Addr{netip.MustParseAddr("192.168.1.1")}, nil
		case "nas.lan":
			return []netip.Addr{netip.MustParseAddr("10.0.0.7")}, nil // allowed
		}
		return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
	}
	got := cfg.FeedAddressWarnings(context.Background(), resolve)
	want := []string{
		"config.yaml:6: topics[0].feeds[0].url: http://127.0.0.1:8080/a.rss points at 127.0.0.1, a loopback address",
		"config.yaml:7: topics[0].feeds[1].url: http://192.168.1.10/feed points at 192.168.1.10, a private address",
		"config.yaml:8: topics[0].feeds[2].url: http://router.lan/feed points at 192.168.1.1, a private address",
		"config.yaml:11: topics[0].feeds[5].url: http://localhost/rss points at 127.0.0.1, a loopback address",
	}
	if len(got) != len(want) {
		t.Fatalf("%d warnings, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) || !strings.Contains(got[i], "add the address or its network to poll.allow_networks") {
			t.Errorf("warning %d:\n got %s\nwant %s...", i, got[i], want[i])
		}
	}

	// The command, on addresses only: names would ask the machine's DNS.
	path := filepath.Join(t.TempDir(), "config.yaml")
	noNames := strings.NewReplacer("      - url: http://router.lan/feed\n", "", "      - url: http://nas.lan/feed\n", "").Replace(raw)
	os.WriteFile(path, []byte(noNames), 0o600)
	out, err := herald(t, context.Background(), "--config", path, "check-config")
	if err != nil || strings.Count(out, "warning: ") != 3 || !strings.Contains(out, "is valid") ||
		!strings.Contains(out, "# Retention: events last updated more than 30d ago are deleted with their items") {
		t.Errorf("check-config: %v\n%s", err, out)
	}
}
