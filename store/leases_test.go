package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"herald/feeds"
)

func addFeeds(t *testing.T, s *Store, n int, topic string) {
	t.Helper()
	for i := range n {
		sp := FeedSpec{URL: fmt.Sprintf("http://%s.example/%d", topic, i), Topic: topic}
		if _, err := s.AddFeed(context.Background(), sp, OriginCLI, t0); err != nil {
			t.Fatal(err)
		}
	}
}

// Four instances leasing in small batches at the same moment split the due
// feeds: each feed goes to exactly one, and none is left over.
func TestLeaseDueFeedsSplitsWork(t *testing.T) {
	ctx := context.Background()
	dsn := testDSN(t)
	var stores []*Store
	for range 4 { // one store (one pool) per instance, as in separate processes
		s, err := Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	addFeeds(t, stores[0], 200, "world")
	got := make([][]int64, len(stores))
	var wg sync.WaitGroup
	errs := make(chan error, len(stores))
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				fs, err := lease(s, fmt.Sprint("instance-", i), "", t0, 7)
				if err != nil {
					errs <- err
					return
				}
				if len(fs) == 0 {
					return
				}
				for _, f := range fs {
					got[i] = append(got[i], f.ID)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[int64]int{}
	for i, ids := range got {
		t.Logf("instance-%d leased %d feeds", i, len(ids))
		for _, id := range ids {
			seen[id]++
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("feed %d leased %d times", id, n)
		}
	}
	if len(seen) != 200 {
		t.Fatalf("%d feeds leased, want all 200", len(seen))
	}
}

// A leased feed is not handed out again until its poll is saved (then it
// is no longer due) or its lease expires (its owner died).
func TestLeaseReleaseAndExpiry(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addFeeds(t, s, 3, "world")
	addFeeds(t, s, 2, "tech")
	one, err := s.LeaseDueFeeds(ctx, LeaseQuery{Owner: "a", URL: "http://tech.example/1", Pass: t0, Now: t0,
		Lease: time.Minute, Limit: 10})
	if err != nil || len(one) != 1 || one[0].URL != "http://tech.example/1" {
		t.Fatalf("lease by URL = %+v, %v; want that one feed", one, err)
	}
	if fs, _ := lease(s, "a", "tech", t0, 10); len(fs) != 1 || fs[0].Topics[0] != "tech" {
		t.Fatalf("tech lease = %+v, want the other tech feed", fs)
	}
	fs, err := lease(s, "a", "", t0, 10)
	if err != nil || len(fs) != 3 {
		t.Fatalf("lease = %d feeds, %v; want the 3 world feeds", len(fs), err)
	}
	if again, _ := lease(s, "b", "", t0.Add(59*time.Second), 10); len(again) != 0 {
		t.Fatalf("leased feeds handed out again: %d", len(again))
	}
	leases, _ := s.Leases(ctx, t0)
	if len(leases) != 5 || leases[fs[0].ID].Owner != "a" {
		t.Fatalf("leases = %+v", leases)
	}
	done := fs[0]
	done.NextPoll, done.LastStatus = t0.Add(time.Hour), "ok"
	if _, err := s.SavePoll(ctx, done, nil, t0); err != nil {
		t.Fatal(err)
	}
	if leases, _ := s.Leases(ctx, t0); len(leases) != 4 {
		t.Fatalf("saving a poll did not release its lease: %+v", leases)
	}
	// a died: after the expiry b takes over the 4 unsaved feeds, not the saved one.
	after, err := lease(s, "b", "", t0.Add(time.Minute), 10)
	if err != nil || len(after) != 4 {
		t.Fatalf("after expiry: %d feeds, %v; want 4", len(after), err)
	}
	for _, f := range after {
		if f.ID == done.ID {
			t.Fatalf("saved feed %d leased again before its next poll", f.ID)
		}
	}
	if err := s.ReleaseLeases(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if leases, _ := s.Leases(ctx, t0.Add(time.Minute)); len(leases) != 0 {
		t.Fatalf("released leases remain: %+v", leases)
	}
	// A SQLite daemon voids the leases a killed run left.
	if fs, _ := lease(s, "dead", "", t0.Add(2*time.Minute), 10); len(fs) == 0 {
		t.Fatal("nothing to lease for the killed run")
	}
	if err := s.ReleaseAllLeases(ctx); err != nil {
		t.Fatal(err)
	}
	if leases, _ := s.Leases(ctx, t0.Add(2*time.Minute)); len(leases) != 0 {
		t.Fatalf("leases after ReleaseAllLeases: %+v", leases)
	}
}

// Instances opening one fresh database at the same moment apply each
// migration once and all start.
func TestConcurrentStartMigratesOnce(t *testing.T) {
	ctx := context.Background()
	dsn := testDSN(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, dsn)
			if err != nil {
				errs <- err
				return
			}
			s.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s := openTest(t)
	s.Close()
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	list, err := s.Migrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	s.db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n)
	if n != len(list) {
		t.Fatalf("schema_migrations has %d rows for %d migrations", n, len(list))
	}
	for _, m := range list {
		if m.Applied.IsZero() {
			t.Errorf("migration %s not applied", m.Name)
		}
	}
}

func TestHeartbeatAndInstances(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addFeeds(t, s, 3, "world")
	if _, err := lease(s, "host-2-b", "", t0, 2); err != nil {
		t.Fatal(err)
	}
	for _, hb := range []struct {
		id     string
		leader bool
	}{{"host-1-a", true}, {"host-2-b", false}, {"host-2-b", true}, {"old-9-z", false}} {
		if err := s.Heartbeat(ctx, hb.id, t0, t0.Add(time.Second), hb.leader); err != nil {
			t.Fatal(err)
		}
	}
	s.Heartbeat(ctx, "old-9-z", t0.Add(-time.Hour), t0.Add(-time.Hour), false)
	list, err := s.Instances(ctx, t0, t0)
	if err != nil || len(list) != 2 {
		t.Fatalf("instances = %+v, %v; want the two seen since t0", list, err)
	}
	if list[0].ID != "host-2-b" || !list[0].Leader || list[0].Leases != 2 || list[1].Leader {
		t.Fatalf("instances = %+v; want host-2-b leading with 2 leases, host-1-a no longer leading", list)
	}
	if err := s.RemoveInstance(ctx, "host-1-a"); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Instances(ctx, t0, t0); len(list) != 1 {
		t.Fatalf("removed instance still listed: %+v", list)
	}
}

// One instance leads at a time; when its connection dies, leadership is
// lost and another instance takes it. SQLite has one instance: it leads.
func TestLeaderLockOneAtATime(t *testing.T) {
	ctx := context.Background()
	dsn := testDSN(t)
	a, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	la, err := a.TryLead(ctx)
	if err != nil || la == nil {
		t.Fatalf("first instance: leadership %v, %v; want it", la, err)
	}
	if a.Dialect() == "sqlite" {
		if err := la.Check(ctx); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if lb, err := b.TryLead(ctx); err != nil || lb != nil {
		t.Fatalf("second instance led while the first holds the lock: %v, %v", lb, err)
	}
	la.Release(ctx)
	lb, err := b.TryLead(ctx)
	if err != nil || lb == nil {
		t.Fatalf("second instance after release: %v, %v; want leadership", lb, err)
	}
	// The leader's database session dies (a crash, a network cut).
	var n int
	err = a.db.QueryRowContext(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND objsubid = 2 AND granted`,
		leaderLockKey, a.lockSpace).Scan(&n)
	if err != nil || n != 1 {
		t.Fatalf("terminate the leader's session: %d, %v", n, err)
	}
	if err := lb.Check(ctx); err == nil {
		t.Fatal("leadership still reported held after its session died")
	}
	lb.Release(ctx)
	// The server frees the lock when the terminated backend has exited,
	// a moment after pg_terminate_backend returns: instances retry, and
	// so does the test (bounded).
	for try := 0; ; try++ {
		if la, err = a.TryLead(ctx); err == nil && la != nil {
			break
		}
		if try == 50 {
			t.Fatalf("first instance 5 s after the leader died: %v, %v; want leadership", la, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	la.Release(ctx)
}

// Instances starting together sync the same config feeds at once: all
// succeed and each feed is stored once.
func TestConcurrentSyncFeeds(t *testing.T) {
	ctx := context.Background()
	dsn := testDSN(t)
	var specs []FeedSpec
	for i := range 300 {
		specs = append(specs, FeedSpec{URL: fmt.Sprintf("http://a.example/%d", i), Topic: "world"})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, dsn)
			if err == nil {
				err = s.SyncFeeds(ctx, OriginConfig, specs, t0)
				s.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fs, err := s.Feeds(ctx); err != nil || len(fs) != 300 {
		t.Fatalf("feeds = %d, %v; want 300", len(fs), err)
	}
}

// A pass polls each due feed once: a feed polled since the pass began is
// not leased again even when it is due again at once (no freshness hints).
func TestLeaseSkipsFeedsPolledThisPass(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addFeeds(t, s, 2, "world")
	fs, _ := lease(s, "a", "", t0, 1)
	if len(fs) != 1 {
		t.Fatalf("leased %d feeds, want 1", len(fs))
	}
	polled := fs[0]
	polled.LastPoll, polled.NextPoll, polled.LastStatus = t0.Add(time.Second), t0.Add(time.Second), feeds.StatusOK
	if _, err := s.SavePoll(ctx, polled, nil, t0); err != nil {
		t.Fatal(err)
	}
	rest, _ := lease(s, "a", "", t0, 10)
	if len(rest) != 1 || rest[0].ID == polled.ID {
		t.Fatalf("rest of the pass = %+v; want only the other feed", rest)
	}
	if next, _ := lease(s, "a", "", t0.Add(2*time.Second), 10); len(next) != 1 || next[0].ID != polled.ID {
		t.Fatalf("next pass = %+v; want the polled feed again", next)
	}
	// Renewal keeps the leases of a running batch beyond their first expiry.
	if err := s.RenewLeases(ctx, "a", []int64{polled.ID}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	taken, _ := lease(s, "b", "", t0.Add(30*time.Minute), 10)
	if len(taken) != 1 || taken[0].ID == polled.ID {
		t.Fatalf("after renewing one lease, b took %+v; want only the other, unrenewed feed", taken)
	}
}

// lease asks for due feeds as a pass that began at now would, with a
// one-minute lease.
func lease(s *Store, owner, topic string, now time.Time, limit int) ([]feeds.Feed, error) {
	return s.LeaseDueFeeds(context.Background(), LeaseQuery{Owner: owner, Topic: topic, Pass: now, Now: now,
		Lease: time.Minute, Limit: limit})
}

// A batch leased late in a long pass is leased from the clock, not from
// the pass's start: another instance cannot take it at once.
func TestLeaseLateInALongPass(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addFeeds(t, s, 1, "world")
	late := t0.Add(10 * time.Minute)
	q := LeaseQuery{Owner: "a", Pass: t0, Now: late, Lease: time.Minute, Limit: 10}
	if fs, err := s.LeaseDueFeeds(ctx, q); err != nil || len(fs) != 1 {
		t.Fatalf("late lease: %d feeds, %v", len(fs), err)
	}
	if fs, _ := lease(s, "b", "", late.Add(30*time.Second), 10); len(fs) != 0 {
		t.Fatalf("feed leased late in a pass was taken by another instance 30 s later")
	}
	if fs, _ := lease(s, "b", "", late.Add(time.Minute), 10); len(fs) != 1 {
		t.Fatalf("feed not taken over after its lease expired")
	}
}

// A PostgreSQL URL that cannot be read is refused without echoing its
// password.
func TestBadPostgresURLHidesPassword(t *testing.T) {
	_, err := Open(context.Background(), "postgres://herald:s3cret@db:5432/herald\x7f")
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "not a PostgreSQL URL") {
		t.Fatalf("err = %v; want a refusal that does not show the password", err)
	}
}
