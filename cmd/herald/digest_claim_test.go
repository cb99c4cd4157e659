package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"herald/digest"
	"herald/mail/smtptest"
)

// pendingDigest renders ada's digest for the day into the outbox without
// sending it, and returns its row.
func pendingDigest(t *testing.T, d *daemon) digest.Record {
	t.Helper()
	ctx := context.Background()
	end := time.Date(2026, 11, 20, 7, 0, 0, 0, time.UTC)
	newSeeder(t, d.store).reports("ev-a", "world", "Talks agreed", 2, end.Add(-time.Hour))
	l := d.cur()
	sub, ok := l.digests.desk.Subscription("ada@example.org")
	if !ok {
		t.Fatal("ada@example.org is no subscriber")
	}
	row, err := l.digests.desk.Render(ctx, sub, digest.Period{Start: end.Add(-24 * time.Hour), End: end}, end)
	if err != nil || row.Status != digest.StatusPending {
		t.Fatalf("render: %+v, %v", row, err)
	}
	return row
}

// `herald digest send` finds the digest claimed by a sender that is gone
// (a killed process): it waits for the claim to run out, then sends it
// once. The wait is on the claim, not on any speed: smtp.timeout stays
// generous.
func TestDigestSendWaitsOutAClaim(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	cfg := digestConfig(t, srv, `  - {email: ada@example.org, topics: [world]}`)
	d := newTestDaemon(t, cfg, srv)
	row := pendingDigest(t, d)
	ctx := context.Background()
	now := time.Now()
	if ok, _, err := d.store.ClaimDigest(ctx, row.ID, "gone-host-1-dead", now, now.Add(1500*time.Millisecond)); !ok || err != nil {
		t.Fatalf("claim: %v, %v", ok, err)
	}
	var stdout, stderr bytes.Buffer
	e := &env{getenv: func(string) string { return "" }, stdout: &stdout, stderr: &stderr}
	r := &digestRun{cfg: cfg, st: d.store, g: d.cur().digests}
	if err := r.deliverNow(ctx, e, row.ID); err != nil {
		t.Fatalf("deliverNow: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "is held by gone-host-1-dead") || !strings.Contains(stdout.String(), "sent") {
		t.Errorf("stdout %q, stderr %q: want a wait for the claim, then sent", stdout.String(), stderr.String())
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages arrived, want 1", n)
	}
}
