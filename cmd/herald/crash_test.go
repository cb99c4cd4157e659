package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"herald/mail/smtptest"
	"herald/store"
)

// TestDaemonSurvivesKills runs `herald run` on a SQLite file against a
// loopback feed server and an SMTP server, kills it with SIGKILL at random
// moments 50 times, restarting it each time, then lets a last run finish
// and checks: every story served is stored exactly once, every item is in
// exactly one existing event whose size counts its items, every digest
// recorded as sent arrived and no period was mailed twice as different
// messages, and SQLite's integrity check passes.
func TestDaemonSurvivesKills(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test runs about a minute; skipped with -short")
	}
	const kills = 50
	farm := newCycleFarm(t)
	farm.period = 2 * time.Second
	var urls []string
	for i := range 20 {
		urls = append(urls, farm.url(i))
	}
	mail := smtptest.Start(t, smtptest.Options{})
	dir := t.TempDir()
	trust := certEnv(t, mail)
	db := filepath.Join(dir, "herald.db")
	cfg := writeCrashConfig(t, dir, db, urls, mail)
	bin := buildHerald(t)
	rng := rand.New(rand.NewPCG(7, 7))
	for n := range kills {
		in := startInstance(t, bin, cfg, "", n, trust)
		time.Sleep(time.Duration(100+rng.IntN(900)) * time.Millisecond)
		if err := in.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		in.cmd.Wait()
	}
	// A last run that is left to catch up: every story served so far
	// stored and placed, and the digests due mailed.
	last := startInstance(t, bin, cfg, "", kills, trust)
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	waitFor(t, time.Minute, "the last run to start", func() bool { return strings.Contains(tail(last.log), "herald running") })
	waitFor(t, time.Minute, "a digest delivered", func() bool { return len(mail.Messages()) > 0 })
	farm.freeze() // no new stories: the last run can catch up with all of them
	var state string
	ok := waitUntil(time.Minute, func() bool {
		n, _ := st.CountItems(context.Background())
		_, placed, _ := st.EventCounts(context.Background())
		farm.mu.Lock()
		served := len(farm.served)
		farm.mu.Unlock()
		state = fmt.Sprintf("%d stories served, %d stored, %d placed", served, n, placed)
		return n == served && placed == n
	})
	if !ok {
		checkStored(t, st, farm)
		t.Fatalf("the last run did not catch up in a minute: %s; log:\n%s", state, tail(last.log))
	}
	if err := last.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := last.cmd.Wait(); err != nil {
		t.Errorf("last run stopped with %v; log:\n%s", err, tail(last.log))
	}
	checkStored(t, st, farm)
	checkEventsConsistent(t, db)
	checkDigestsOnce(t, st, mail, 1)
}

func writeCrashConfig(t *testing.T, dir, db string, urls []string, mail *smtptest.Server) string {
	var b strings.Builder
	fmt.Fprintf(&b, "storage: %s\nlog:\n  format: json\nhttp:\n  listen: 127.0.0.1:0\n"+
		"poll:\n  workers: 8\n  per_host: 32\n  timeout: 5s\n  allow_networks: [127.0.0.0/8]\n"+
		"smtp: {host: 127.0.0.1, port: %d, username: %s, password: %q, from: \"Herald <news@herald.example>\"}\n"+
		"subscribers:\n  - {email: ada@example.org, schedule: \"@every 5s\"}\n"+
		"topics:\n  - name: wires\n    schedule: \"@every 1s\"\n    feeds:\n",
		db, mail.Port, smtptest.Username, smtptest.Password)
	for _, u := range urls {
		fmt.Fprintf(&b, "      - url: %s\n", u)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkEventsConsistent: every item is in an event that exists, every
// event's size is the number of its items, and SQLite finds the file sound.
func checkEventsConsistent(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct{ what, query string }{
		{"items in no event", `SELECT COUNT(*) FROM items WHERE event_id IS NULL`},
		{"items in a missing event", `SELECT COUNT(*) FROM items i LEFT JOIN events e ON e.id = i.event_id
			WHERE i.event_id IS NOT NULL AND e.id IS NULL`},
		{"events whose size is not their item count", `SELECT COUNT(*) FROM events e
			WHERE e.size != (SELECT COUNT(*) FROM items i WHERE i.event_id = e.id)`},
		{"events with no item", `SELECT COUNT(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.event_id = e.id)`},
	} {
		var n int
		if err := db.QueryRow(c.query).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d (%v)", c.what, n, err)
		}
	}
	var ok string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("integrity_check: %q, %v", ok, err)
	}
}

// waitUntil polls cond every 50 ms until it holds or limit passes.
func waitUntil(limit time.Duration, cond func() bool) bool {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}
