package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"herald/digest"
	"herald/mail/smtptest"
	"herald/store"
)

// TestDigestKillsUnderASlowServer kills `herald digest send` with SIGKILL
// again and again while the SMTP server holds each message 1.5 s before it
// answers (and keeps it anyway), then lets each subscriber's send finish.
// Every digest arrives, none more than twice, and the outbox says which
// went twice. (Before the handover was recorded, every kill while the
// server held a message made one more copy: up to five of one digest.)
func TestDigestKillsUnderASlowServer(t *testing.T) {
	if testing.Short() {
		t.Skip("the slow-server kill test runs about a minute; skipped with -short")
	}
	const hold = 1500 * time.Millisecond
	subs := []string{"ada@example.org", "bob@example.org", "cy@example.org", "di@example.org"}
	srv := smtptest.Start(t, smtptest.Options{})
	srv.SetFail(func(stage string, _ int, _ string) error {
		if stage == "data" {
			time.Sleep(hold) // a slow server: the message is in, the answer late
		}
		return nil
	})
	bin := buildHerald(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "herald.db")
	if err := copyFile(seededStore(t), db); err != nil {
		t.Fatal(err)
	}
	trust := certEnv(t, srv)
	cfg := filepath.Join(dir, "config.yaml")
	raw := strings.Replace(crashConfig(db, srv.Port), "timeout: 1s", "timeout: 3s", 1)
	for _, s := range subs[1:] {
		raw += fmt.Sprintf("  - {email: %s, topics: [world], schedule: \"0 7 * * *\"}\n", s)
	}
	if err := os.WriteFile(cfg, []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	send := func(sub string) *exec.Cmd {
		cmd := exec.Command(bin, "--config", cfg, "digest", "send", "--subscriber", sub, "--at", "2026-11-20T07:00:00Z")
		cmd.Env = append(os.Environ(), trust, "HERALD_DATABASE_URL=")
		return cmd
	}
	rng := rand.New(rand.NewPCG(17, 17))
	const kills = 24
	for i := range kills {
		cmd := send(subs[i%len(subs)])
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(200+rng.IntN(2300)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	for _, sub := range subs {
		if out, err := send(sub).CombinedOutput(); err != nil {
			t.Fatalf("final send for %s: %v\n%s", sub, err, out)
		}
	}
	checkAtMostTwice(t, srv, db, subs, kills)
}

// checkAtMostTwice: each subscriber's digest arrived once or twice, always
// the same bytes, and a digest that arrived twice is one the outbox marks
// as sent again or maybe sent.
func checkAtMostTwice(t *testing.T, srv *smtptest.Server, db string, subs []string, kills int) {
	t.Helper()
	copies := map[string]int{}
	first := map[string][]byte{}
	for _, m := range srv.Messages() {
		copies[m.MessageID]++
		if f, ok := first[m.MessageID]; ok && string(f) != string(m.Data) {
			t.Errorf("two different messages under %s", m.MessageID)
		}
		first[m.MessageID] = m.Data
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Digests(context.Background(), store.DigestFilter{})
	if err != nil || len(rows) != len(subs) {
		t.Fatalf("outbox: %d digests, %v; want one per subscriber", len(rows), err)
	}
	twice := 0
	for _, d := range rows {
		n := copies[d.MessageID]
		switch {
		case n == 0 && d.Status != digest.StatusMaybeSent:
			t.Errorf("%s: the digest never arrived (outbox: %s)", d.Subscriber, d.Status)
		case n > 2:
			t.Errorf("%s: the digest arrived %d times", d.Subscriber, n)
		case n == 2 && d.Unconfirmed == 0:
			t.Errorf("%s: the digest arrived twice, but the outbox does not say it may have (%s)", d.Subscriber, d.Status)
		case d.Status != digest.StatusSent && d.Status != digest.StatusMaybeSent:
			t.Errorf("%s: outbox status %s", d.Subscriber, d.Status)
		}
		if n == 2 {
			twice++
		}
		t.Logf("%s: %d cop%s, %s, %d attempts, %d unconfirmed", d.Subscriber, n, map[bool]string{true: "y", false: "ies"}[n == 1],
			d.Status, d.Attempts, d.Unconfirmed)
	}
	t.Logf("%d kills, %d messages for %d digests, %d digests twice", kills, len(srv.Messages()), len(rows), twice)
}
