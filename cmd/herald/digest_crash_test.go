package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"herald/digest"
	"herald/mail/smtptest"
	"herald/store"
)

// TestDigestCrashRecovery kills a real herald process at each crash point,
// 100 times in all, then runs it again without the fault. Every digest
// reaches the SMTP server; a second copy exists only after a crash between
// the server's acceptance and the mark, and it is byte for byte the same
// message with the same Message-ID.
func TestDigestCrashRecovery(t *testing.T) {
	crashRuns(t, 100, func() crashReceiver { return &smtpReceiver{srv: smtptest.Start(t, smtptest.Options{})} })
}

// crashReceiver is where the crash runs' digests go: a real SMTP server or
// a webhook endpoint.
type crashReceiver interface {
	config(db string) string                 // a herald config that sends ada's digests to it
	env(dir string) ([]string, error)        // what the herald process needs to reach it
	delivered(db string, point string) error // what arrived, checked against the outbox
}

// crashRuns runs the crash and recovery runs, 8 at a time, cycling
// through the crash points, each against its own receiver and copy of the
// store.
func crashRuns(t *testing.T, runs int, receiver func() crashReceiver) {
	bin := buildHerald(t)
	template := seededStore(t)
	const parallel = 8
	start := time.Now()
	errs := make(chan error, runs)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			point := digest.CrashPoints[i%len(digest.CrashPoints)]
			if err := crashRun(t, bin, template, point, receiver()); err != nil {
				errs <- fmt.Errorf("run %d (%s): %w", i, point, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d crash runs in %v", runs, time.Since(start).Round(time.Millisecond))
}

// crashRun runs one crash and recovery against rcv.
func crashRun(t *testing.T, bin, template, point string, rcv crashReceiver) error {
	dir, err := os.MkdirTemp(t.TempDir(), "run")
	if err != nil {
		return err
	}
	db := filepath.Join(dir, "herald.db")
	if err := copyFile(template, db); err != nil {
		return err
	}
	env, err := rcv.env(dir)
	if err != nil {
		return err
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(rcv.config(db)), 0o644); err != nil {
		return err
	}
	send := func(crashAt string) error {
		cmd := exec.Command(bin, "--config", cfg, "digest", "send", "--subscriber", "ada@example.org", "--at", "2026-11-20T07:00:00Z")
		cmd.Env = append(append(os.Environ(), env...), "HERALD_CRASH_AT="+crashAt, "HERALD_DATABASE_URL=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	}
	var exit *exec.ExitError
	if err := send(point); !errors.As(err, &exit) || exit.ExitCode() != -1 { // -1: killed by a signal
		return fmt.Errorf("the crashing run was not killed: %v", err)
	}
	if err := expireClaims(db); err != nil {
		return err
	}
	if err := send(""); err != nil {
		return fmt.Errorf("recovery: %w", err)
	}
	if err := send(""); err != nil { // a third run finds nothing left to do
		return fmt.Errorf("third run: %w", err)
	}
	return rcv.delivered(db, point)
}

// smtpReceiver is the crash runs' SMTP server.
type smtpReceiver struct{ srv *smtptest.Server }

func (r *smtpReceiver) config(db string) string { return crashConfig(db, r.srv.Port) }

func (r *smtpReceiver) env(dir string) ([]string, error) {
	cert := filepath.Join(dir, "cert.pem")
	return []string{"SSL_CERT_FILE=" + cert}, os.WriteFile(cert, r.srv.CertPEM, 0o644)
}

func (r *smtpReceiver) delivered(db, point string) error {
	msgs := r.srv.Messages()
	if err := wantCopies(len(msgs), point); err != nil {
		return err
	}
	for _, m := range msgs[1:] {
		if m.MessageID != msgs[0].MessageID || !bytes.Equal(m.Data, msgs[0].Data) {
			return fmt.Errorf("a second, different message arrived: %s then %s", msgs[0].MessageID, m.MessageID)
		}
	}
	return checkOutboxSent(db, msgs[0].MessageID)
}

// wantCopies checks how many copies arrived: one, and two only after a
// kill between the receiver's acceptance and the mark (resent).
func wantCopies(n int, point string) error {
	want := 1
	if point == "after-accept" {
		want = 2
	}
	if n != want {
		return fmt.Errorf("%d copies arrived, want %d", n, want)
	}
	return nil
}

// checkOutboxSent checks the outbox holds one digest, sent, with key.
func checkOutboxSent(db, key string) error {
	st, err := store.Open(context.Background(), db)
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := st.Digests(context.Background(), store.DigestFilter{})
	if err != nil {
		return err
	}
	if len(rows) != 1 || rows[0].Status != digest.StatusSent || rows[0].MessageID != key {
		return fmt.Errorf("outbox %+v, want one sent digest with key %s", rows, key)
	}
	return nil
}

// expireClaims moves the clock past the killed sender's claim on its
// digest (twice smtp.timeout, 2 min here), as waiting would: the recovery
// then finds the claim run out. The wait itself is TestDigestSendWaitsOutAClaim's.
// (The test once used a 1 s smtp.timeout to keep that wait short; on a
// loaded machine a send then ran out of time and was put off for minutes.)
func expireClaims(db string) error {
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Exec(`UPDATE digests SET claimed_until = 1 WHERE claimed_until > 0`)
	return err
}

func crashConfig(db string, port int) string {
	return fmt.Sprintf(`storage: %s
log: {level: warn}
topics:
  - name: world
    feeds: [{url: "http://feeds.example/world"}]
smtp: {host: 127.0.0.1, port: %d, username: %s, password: "%s", from: "Herald <news@herald.example>", timeout: 1m}
subscribers:
  - {email: ada@example.org, name: Ada, topics: [world], schedule: "0 7 * * *"}
`, db, port, smtptest.Username, smtptest.Password)
}

// seededStore makes a store file with three events in the digest's period.
func seededStore(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "template.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	seed := newSeeder(t, st)
	at := time.Date(2026, 11, 19, 12, 0, 0, 0, time.UTC)
	seed.reports("ev-a", "world", "Talks agreed", 3, at)
	seed.reports("ev-b", "world", "Storm warning", 1, at.Add(time.Hour))
	seed.reports("ev-c", "world", "Café reopens in Zürich", 2, at.Add(2*time.Hour))
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}
