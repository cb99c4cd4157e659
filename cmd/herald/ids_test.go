package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"herald/events"
	"herald/mail/smtptest"
	"herald/store"
	"herald/store/pgtest"
)

// TestPrunedIDsNeverComeBack is the reproduction of issue 17's point 10,
// command by command, on a real herald binary: story X, dated ten days ago,
// is polled and mailed; `herald run` with a four-day retention prunes it;
// the feed adds story Y; the next poll must give Y an event of its own,
// and the digest preview must list it. (When SQLite handed X's item id to
// Y, Y joined X's event id and the preview said "Nothing new".)
func TestPrunedIDsNeverComeBack(t *testing.T) {
	bin := buildHerald(t)
	t.Run("sqlite", func(t *testing.T) { prunedIDs(t, bin, "") })
	t.Run("postgres", func(t *testing.T) { prunedIDs(t, bin, pgtest.Require(t)) })
}

func prunedIDs(t *testing.T, bin, dsn string) {
	ctx := context.Background()
	now := time.Now().UTC()
	var withY atomic.Bool
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		items := rssItem("x", "Dam breach floods the valley", now.Add(-10*24*time.Hour))
		if withY.Load() {
			items += rssItem("y", "Parliament passes the budget", now)
		}
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><link>https://wire.example/</link>%s</channel></rss>`, items)
	}))
	defer feed.Close()
	mail := smtptest.Start(t, smtptest.Options{})
	dir := t.TempDir()
	trust := certEnv(t, mail)
	db := filepath.Join(dir, "herald.db")
	if dsn != "" {
		db = dsn
	}
	config := func(retention string) string {
		path := filepath.Join(dir, "config-"+retention+".yaml")
		raw := fmt.Sprintf(`storage: %s
retention: %s
http: {listen: "127.0.0.1:0"}
poll: {allow_networks: [127.0.0.0/8]}
topics:
  - name: world
    feeds: [{url: "%s/rss"}]
smtp: {host: 127.0.0.1, port: %d, username: %s, password: "%s", from: "Herald <news@herald.example>", timeout: 10s}
subscribers:
  - {email: ada@example.org, topics: [world]}
`, filepath.Join(dir, "herald.db"), retention, feed.URL, mail.Port, smtptest.Username, smtptest.Password)
		if err := os.WriteFile(path, []byte(raw), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	env := append(os.Environ(), trust, "HERALD_DATABASE_URL="+dsn)
	herald := func(cfg string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--config", cfg}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("herald %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	long, short := config("30d"), config("4d")

	herald(long, "poll", "--all")
	time.Sleep(1100 * time.Millisecond) // --at has whole seconds: the digest's end falls after the poll
	herald(long, "digest", "send", "--subscriber", "ada@example.org")
	if msgs := mail.Messages(); len(msgs) != 1 || !strings.Contains(string(msgs[0].Data), "Dam breach") {
		t.Fatalf("the first digest did not mail story X: %d messages", len(msgs))
	}
	st := openStore(t, db)
	mailedX := mailedEvents(t, st)
	st.Close()

	runUntilPruned(t, bin, short, db, env)
	withY.Store(true)
	herald(short, "poll", "--all")
	time.Sleep(1100 * time.Millisecond)
	preview := herald(short, "digest", "preview", "--subscriber", "ada@example.org")
	if !strings.Contains(preview, "Parliament passes the budget") {
		t.Errorf("the preview does not list story Y:\n%s", preview)
	}
	st = openStore(t, db)
	defer st.Close()
	evs, err := st.Events(ctx, events.Query{})
	if err != nil || len(evs) != 1 {
		t.Fatalf("events after the second poll: %+v, %v; want Y's alone", evs, err)
	}
	if mailedX[evs[0].ID] {
		t.Errorf("story Y went into event %s, the id of story X, which was mailed and pruned", evs[0].ID)
	}
}

func rssItem(guid, title string, at time.Time) string {
	return fmt.Sprintf(`<item><title>%s</title><link>https://wire.example/%s</link><guid>%s</guid><pubDate>%s</pubDate>
<description>%s, the wire reports.</description></item>`, title, guid, guid, at.Format(time.RFC1123Z), title)
}

// mailedEvents returns the ids of the events the outbox lists.
func mailedEvents(t *testing.T, st *store.Store) map[string]bool {
	t.Helper()
	ctx := context.Background()
	rows, err := st.Digests(ctx, store.DigestFilter{})
	if err != nil || len(rows) != 1 {
		t.Fatalf("outbox: %+v, %v", rows, err)
	}
	sent, err := st.SentEvents(ctx, "ada@example.org", time.Time{})
	if err != nil || len(sent) != 1 {
		t.Fatalf("events mailed: %v, %v; want story X's", sent, err)
	}
	out := map[string]bool{}
	for id := range sent {
		out[id] = true
	}
	return out
}

// runUntilPruned runs the daemon, whose prune at start deletes what the
// retention has passed, until the store holds no item, then stops it.
func runUntilPruned(t *testing.T, bin, cfg, db string, env []string) {
	t.Helper()
	cmd := exec.Command(bin, "--config", cfg, "run")
	cmd.Env = env
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, db)
	pruned := waitUntil(60*time.Second, func() bool {
		n, err := st.CountItems(context.Background())
		return err == nil && n == 0
	})
	st.Close()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil || !pruned {
		t.Fatalf("herald run: pruned %v, exit %v\n%s", pruned, err, log.String())
	}
}
