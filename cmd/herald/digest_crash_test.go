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
	bin := buildHerald(t)
	template := seededStore(t)
	const runs, parallel = 100, 8
	start := time.Now()
	errs := make(chan error, runs)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := crashRun(t, bin, template, digest.CrashPoints[i%len(digest.CrashPoints)]); err != nil {
				errs <- fmt.Errorf("run %d (%s): %w", i, digest.CrashPoints[i%len(digest.CrashPoints)], err)
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

// crashRun runs one crash and recovery against its own SMTP server and
// copy of the store.
func crashRun(t *testing.T, bin, template, point string) error {
	srv := smtptest.Start(t, smtptest.Options{})
	dir, err := os.MkdirTemp(t.TempDir(), "run")
	if err != nil {
		return err
	}
	db := filepath.Join(dir, "herald.db")
	if err := copyFile(template, db); err != nil {
		return err
	}
	cert := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(cert, srv.CertPEM, 0o644); err != nil {
		return err
	}
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(crashConfig(db, srv.Port)), 0o644); err != nil {
		return err
	}
	send := func(crashAt string) error {
		cmd := exec.Command(bin, "--config", cfg, "digest", "send", "--subscriber", "ada@example.org", "--at", "2026-11-20T07:00:00Z")
		cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+cert, "HERALD_CRASH_AT="+crashAt, "HERALD_DATABASE_URL=")
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
	return checkDelivered(srv, db, point)
}

func checkDelivered(srv *smtptest.Server, db, point string) error {
	msgs := srv.Messages()
	want := 1
	if point == "after-accept" {
		want = 2 // accepted, killed before the mark, resent
	}
	if len(msgs) != want {
		return fmt.Errorf("%d messages arrived, want %d", len(msgs), want)
	}
	for _, m := range msgs[1:] {
		if m.MessageID != msgs[0].MessageID || !bytes.Equal(m.Data, msgs[0].Data) {
			return fmt.Errorf("a second, different message arrived: %s then %s", msgs[0].MessageID, m.MessageID)
		}
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := st.Digests(context.Background(), store.DigestFilter{})
	if err != nil {
		return err
	}
	if len(rows) != 1 || rows[0].Status != digest.StatusSent || rows[0].MessageID != msgs[0].MessageID {
		return fmt.Errorf("outbox %+v, want one sent digest with Message-ID %s", rows, msgs[0].MessageID)
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
