package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"herald/digest"
	"herald/events"
	"herald/feeds"
)

func pendingDigest(sub string, end time.Time) digest.Record {
	return digest.Record{Subscriber: sub, PeriodStart: end.Add(-24 * time.Hour), PeriodEnd: end, Status: digest.StatusPending,
		MessageID: "<m-" + end.Format("0102") + "@x>", Subject: "Briefing", Message: []byte("Subject: Briefing\r\n\r\nbody\r\n"),
		CreatedAt: end}
}

// Rendering the same (subscriber, period) twice, even concurrently, keeps
// the first digest and its covered events: the second writer reads it back.
func TestSaveDigestIsIdempotentPerPeriod(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	first := pendingDigest("Ada@Example.org", t0)
	got, created, err := s.SaveDigest(ctx, first, []digest.Covered{{EventID: "ev-a", Sources: 3, Size: 4}})
	if err != nil || !created || got.ID == 0 || got.Subscriber != "ada@example.org" || string(got.Message) != string(first.Message) {
		t.Fatalf("first save: %+v created=%v err=%v", got, created, err)
	}
	second := first
	second.MessageID, second.Message = "<other@x>", []byte("other bytes")
	var wg sync.WaitGroup
	results := make([]digest.Record, 4)
	for i := range results {
		wg.Go(func() {
			var err error
			var created bool
			results[i], created, err = s.SaveDigest(ctx, second, []digest.Covered{{EventID: "ev-b", Sources: 1, Size: 1}})
			if err != nil || created {
				t.Errorf("repeat save: created=%v err=%v", created, err)
			}
		})
	}
	wg.Wait()
	for _, r := range results {
		if r.ID != got.ID || r.MessageID != first.MessageID || string(r.Message) != string(first.Message) {
			t.Fatalf("repeat save returned %+v, want the first digest", r)
		}
	}
	sent, err := s.SentEvents(ctx, "ada@example.org", t0.Add(-time.Hour))
	if err != nil || len(sent) != 1 || sent["ev-a"] != 3 {
		t.Fatalf("sent events = %v, %v; want only ev-a with 3 sources", sent, err)
	}
	if end, _ := s.LastDigestEnd(ctx, "ADA@example.org"); !end.Equal(t0) {
		t.Fatalf("last digest end = %v, want %v", end, t0)
	}
}

// Two senders race for one digest: exactly one claim wins; the loser can
// settle nothing; an expired claim can be taken over.
func TestClaimDigest(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	d, _, err := s.SaveDigest(ctx, pendingDigest("a@x.org", t0), nil)
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Minute)
	var wins int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, who := range []string{"one", "two", "three"} {
		wg.Go(func() {
			ok, _, err := s.ClaimDigest(ctx, d.ID, who, now, now.Add(time.Minute))
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d senders claimed the digest, want 1", wins)
	}
	got, _ := s.Digest(ctx, d.ID)
	if err := s.SettleDigest(ctx, d.ID, "not-the-owner", digest.StatusSent, "", now); !errors.Is(err, ErrClaimLost) {
		t.Fatalf("a non-owner settled the digest: %v", err)
	}
	if due, _ := s.DueDigests(ctx, now, 10); len(due) != 0 {
		t.Fatalf("a claimed digest is listed as due: %+v", due)
	}
	// The owner died: after its claim expires another sender takes over.
	later := now.Add(2 * time.Minute)
	if due, _ := s.DueDigests(ctx, later, 10); len(due) != 1 {
		t.Fatalf("an expired claim is not due again: %+v", due)
	}
	if ok, _, err := s.ClaimDigest(ctx, d.ID, "heir", later, later.Add(time.Minute)); !ok || err != nil {
		t.Fatalf("taking over an expired claim: %v %v", ok, err)
	}
	if err := s.SettleDigest(ctx, d.ID, got.ClaimedBy, digest.StatusSent, "", later); !errors.Is(err, ErrClaimLost) {
		t.Fatalf("the first owner settled after losing its claim: %v", err)
	}
	if err := s.SettleDigest(ctx, d.ID, "heir", digest.StatusSent, "", later); err != nil {
		t.Fatal(err)
	}
	final, _ := s.Digest(ctx, d.ID)
	if final.Status != digest.StatusSent || final.Attempts != 2 || !final.SentAt.Equal(later) || final.ClaimedBy != "" {
		t.Fatalf("after sending: %+v", final)
	}
	if ok, _, _ := s.ClaimDigest(ctx, d.ID, "late", later.Add(time.Hour), later.Add(2*time.Hour)); ok {
		t.Fatal("a sent digest was claimed again")
	}
}

func TestRetryAndFailDigest(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	d, _, _ := s.SaveDigest(ctx, pendingDigest("a@x.org", t0), nil)
	s.ClaimDigest(ctx, d.ID, "me", t0, t0.Add(time.Minute))
	if err := s.RetryDigest(ctx, d.ID, "me", t0.Add(5*time.Minute), "451 try later", false); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := s.ClaimDigest(ctx, d.ID, "me", t0.Add(time.Minute), t0.Add(2*time.Minute)); ok {
		t.Fatal("claimed before its next attempt")
	}
	if ok, _, _ := s.ClaimDigest(ctx, d.ID, "me", t0.Add(5*time.Minute), t0.Add(6*time.Minute)); !ok {
		t.Fatal("not claimable at its next attempt")
	}
	if err := s.SettleDigest(ctx, d.ID, "me", digest.StatusFailed, "550 no such user", t0); err != nil {
		t.Fatal(err)
	}
	list, err := s.Digests(ctx, DigestFilter{Status: digest.StatusFailed})
	if err != nil || len(list) != 1 || list[0].LastError != "550 no such user" || list[0].Attempts != 2 || len(list[0].Message) != 0 {
		t.Fatalf("failed digests: %+v %v", list, err)
	}
	counts, err := s.OutboxCounts(ctx)
	if err != nil || counts[digest.StatusFailed] != 1 || len(counts) != 1 {
		t.Fatalf("outbox counts = %v, %v", counts, err)
	}
	// A failed digest's events were never read: they do not count as sent.
	if sent, _ := s.SentEvents(ctx, "a@x.org", time.Time{}); len(sent) != 0 {
		t.Fatalf("events of a failed digest count as sent: %v", sent)
	}
}

func TestUnsubscribeSecretAndSince(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	for range 2 {
		if err := s.Unsubscribe(ctx, "Ada@Example.org", t0); err != nil {
			t.Fatal(err)
		}
	}
	if u, err := s.Unsubscribed(ctx, "ada@example.org"); !u || err != nil {
		t.Fatalf("unsubscribed = %v, %v", u, err)
	}
	if u, _ := s.Unsubscribed(ctx, "bob@example.org"); u {
		t.Fatal("bob is unsubscribed")
	}
	a, err := s.Secret(ctx)
	b, _ := s.Secret(ctx)
	if err != nil || len(a) != 32 || string(a) != string(b) {
		t.Fatalf("secret %x then %x, %v: want one stable 32-byte secret", a, b, err)
	}
	first, _ := s.SubscriberSince(ctx, "ada@example.org", t0)
	again, _ := s.SubscriberSince(ctx, "ada@example.org", t0.Add(time.Hour))
	if !first.Equal(t0) || !again.Equal(t0) {
		t.Fatalf("since = %v then %v, want %v both times", first, again, t0)
	}
}

// Candidates are the events that gained a report stored in the period, in
// the subscriber's topics; an event sent under an id later folded into
// another counts as sent under the new id.
func TestDigestCandidatesAndFoldedSentEvents(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f, _ := s.AddFeed(ctx, FeedSpec{URL: "http://a.example/rss", Topic: "world"}, OriginCLI, t0)
	s.SavePoll(ctx, f, []feeds.Item{item("1", "http://a.example/1", "One")}, t0)
	s.SavePoll(ctx, f, []feeds.Item{item("2", "http://a.example/2", "Two"), item("3", "http://a.example/3", "Three")}, t0.Add(2*time.Hour))
	docs, _ := s.UnclusteredDocs(ctx, 10)
	evA := events.Event{ID: "ev-a", Headline: "One", FirstSeen: t0, LastUpdated: t0, Size: 1, Topics: []string{"world"}}
	evB := events.Event{ID: "ev-b", Headline: "Two", FirstSeen: t0, LastUpdated: t0, Size: 1, Topics: []string{"world"}}
	evC := events.Event{ID: "ev-c", Headline: "Three", FirstSeen: t0, LastUpdated: t0, Size: 1, Topics: []string{"sport"}}
	err := s.SaveClustering(ctx, events.Clustering{Assignments: []events.Assignment{{DocID: docs[0].ID, EventID: "ev-a"}, {DocID: docs[1].ID, EventID: "ev-b"},
		{DocID: docs[2].ID, EventID: "ev-c"}}, Events: []events.Event{evA, evB, evC}})
	if err != nil {
		t.Fatal(err)
	}
	none := int64(1 << 62) // no catch-up on placements
	got, err := s.DigestCandidates(ctx, []string{"world"}, t0.Add(time.Hour), t0.Add(3*time.Hour), none)
	if err != nil || len(got) != 1 || got[0].ID != "ev-b" || len(got[0].Sources) != 1 {
		t.Fatalf("candidates = %+v, %v; want ev-b with its source", got, err)
	}
	all, _ := s.DigestCandidates(ctx, nil, t0, t0.Add(3*time.Hour), none)
	if len(all) != 3 {
		t.Fatalf("candidates in every topic = %d, want 3", len(all))
	}
	// Placements after seq 1 (ev-b's and ev-c's items) are caught up on,
	// however early their reports were stored; those not stored before the
	// period's end are not.
	through, err := s.PlacedThrough(ctx)
	if err != nil || through != 3 {
		t.Fatalf("placed through %d, %v; want 3", through, err)
	}
	caught, _ := s.DigestCandidates(ctx, []string{"world"}, t0.Add(5*time.Hour), t0.Add(6*time.Hour), 1)
	if len(caught) != 1 || caught[0].ID != "ev-b" {
		t.Fatalf("caught up after placement 1 = %+v, want ev-b", caught)
	}
	if early, _ := s.DigestCandidates(ctx, []string{"world"}, t0.Add(-2*time.Hour), t0.Add(-time.Hour), 0); len(early) != 0 {
		t.Fatalf("reports stored after the period's end were offered: %+v", early)
	}
	if _, ok, err := s.DigestThrough(ctx, "a@x.org"); ok || err != nil {
		t.Fatalf("digest through before any digest: %v, %v", ok, err)
	}
	d := pendingDigest("a@x.org", t0)
	d.ThroughSeq = through
	s.SaveDigest(ctx, d, []digest.Covered{{EventID: "ev-b", Sources: 2, Size: 2}})
	if seq, ok, err := s.DigestThrough(ctx, "A@x.org"); !ok || err != nil || seq != through {
		t.Fatalf("digest through = %d, %v, %v; want %d", seq, ok, err, through)
	}
	if err := foldForTest(ctx, s, "ev-b", "ev-a"); err != nil {
		t.Fatal(err)
	}
	if sent, _ := s.SentEvents(ctx, "a@x.org", time.Time{}); sent["ev-a"] != 2 {
		t.Fatalf("sent after the fold = %v, want ev-a: 2", sent)
	}
}

// A claim after an attempt that handed the message over and recorded no
// answer counts it as unconfirmed; an answer (settle, retry) ends the
// handover.
func TestClaimCountsUnconfirmedHandovers(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	d, _, _ := s.SaveDigest(ctx, pendingDigest("a@x.org", t0), nil)
	claim := func(at time.Time) int {
		t.Helper()
		ok, n, err := s.ClaimDigest(ctx, d.ID, "me", at, at.Add(time.Minute))
		if !ok || err != nil {
			t.Fatalf("claim at %v: %v %v", at, ok, err)
		}
		return n
	}
	if n := claim(t0); n != 0 {
		t.Fatalf("first claim: %d unconfirmed", n)
	}
	if err := s.HandOver(ctx, d.ID, "me", t0); err != nil {
		t.Fatal(err)
	}
	// The sender dies with the message in the server's hands.
	if n := claim(t0.Add(2 * time.Minute)); n != 1 {
		t.Fatalf("claim after a lost handover: %d unconfirmed, want 1", n)
	}
	s.HandOver(ctx, d.ID, "me", t0.Add(2*time.Minute))
	if err := s.RetryDigest(ctx, d.ID, "me", t0.Add(3*time.Minute), "451 later", false); err != nil {
		t.Fatal(err)
	}
	if n := claim(t0.Add(4 * time.Minute)); n != 1 {
		t.Fatalf("claim after an answered handover: %d unconfirmed, want still 1", n)
	}
	if err := s.HandOver(ctx, d.ID, "other", t0); !errors.Is(err, ErrClaimLost) {
		t.Fatalf("handover by a sender without the claim: %v", err)
	}
	if n, _ := s.UnconfirmedDigests(ctx); n[digest.StatusPending] != 1 || len(n) != 1 {
		t.Fatalf("unconfirmed digests %v, want one pending", n)
	}
	if st, err := s.Stats(ctx, t0, t0); err != nil || st.Unconfirmed[digest.StatusPending] != 1 {
		t.Fatalf("Stats: unconfirmed %v (%v), want one pending (the herald_digests_unconfirmed gauge)", st.Unconfirmed, err)
	}
}

// A storyline's events listed across digests are counted once each, under
// the heading last shown; a storyline folded into another counts under
// the id it lives on, and a failed digest counts for nothing.
func TestMailedStorylines(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	first := []digest.Covered{{EventID: "ev-1", Sources: 2, Storyline: "sl-floyd", Heading: "George Floyd · Minneapolis"},
		{EventID: "ev-2", Sources: 1, Storyline: "sl-floyd", Heading: "George Floyd · Minneapolis"},
		{EventID: "ev-9", Sources: 1}}
	second := []digest.Covered{{EventID: "ev-2", Sources: 5, Update: true, Storyline: "sl-floyd", Heading: "George Floyd · protests"},
		{EventID: "ev-3", Sources: 1, Storyline: "sl-autopsy", Heading: "autopsy"}}
	for i, covered := range [][]digest.Covered{first, second} {
		if _, _, err := s.SaveDigest(ctx, pendingDigest("a@x.org", t0.Add(time.Duration(i)*24*time.Hour)), covered); err != nil {
			t.Fatal(err)
		}
	}
	failed := pendingDigest("a@x.org", t0.Add(48*time.Hour))
	failed.Status = digest.StatusFailed
	s.SaveDigest(ctx, failed, []digest.Covered{{EventID: "ev-4", Storyline: "sl-floyd", Heading: "never seen"}})

	got, err := s.MailedStorylines(ctx, "A@x.org", t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["sl-floyd"] != (digest.Mailed{Events: 2, Heading: "George Floyd · protests"}) ||
		got["sl-autopsy"] != (digest.Mailed{Events: 1, Heading: "autopsy"}) {
		t.Fatalf("mailed storylines: %+v", got)
	}
	if err := s.inTx(ctx, func(tx *txn) error { return foldStoryline(ctx, tx, "sl-autopsy", "sl-floyd") }); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.MailedStorylines(ctx, "a@x.org", time.Time{}); len(got) != 1 || got["sl-floyd"].Events != 3 {
		t.Fatalf("after sl-autopsy folded into sl-floyd: %+v", got)
	}
	if got, _ := s.MailedStorylines(ctx, "a@x.org", t0.Add(time.Hour)); got["sl-floyd"].Events != 2 {
		t.Fatalf("since the second digest: %+v", got)
	}
}
