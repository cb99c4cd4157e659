package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"herald/feeds"
	"herald/store/pgtest"
)

// openTest opens a fresh store for one test. Every test in this package goes
// through it, so the suite runs against each backend: TestMain runs it once
// on SQLite and, when HERALD_TEST_POSTGRES is set, once more on PostgreSQL.
func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// addFeedA adds the feed most tests save their items to:
// http://a.example/rss in topic world, at t0.
func addFeedA(t testing.TB, s *Store) feeds.Feed {
	t.Helper()
	f, err := s.AddFeed(context.Background(), FeedSpec{URL: "http://a.example/rss", Topic: "world"}, OriginCLI, t0)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// testDSN names a fresh, empty database on the backend under test: for
// tests that open it more than once.
func testDSN(t testing.TB) string {
	t.Helper()
	if testBackend == "postgres" {
		return pgtest.Schema(t)
	}
	return filepath.Join(t.TempDir(), "herald.db")
}

// testBackend is the backend openTest opens; set by TestMain only.
var testBackend = "sqlite"

func TestMain(m *testing.M) {
	code := m.Run()
	if !pgtest.Enabled() {
		if err := pgtest.Skipped("store"); err != nil {
			fmt.Println(err)
			code = 1
		}
		os.Exit(code)
	}
	testBackend = "postgres"
	fmt.Println("store: running the suite again on PostgreSQL")
	if pg := m.Run(); pg != 0 {
		code = pg
	}
	os.Exit(code)
}

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func item(guid, url, title string) feeds.Item {
	return feeds.Item{GUID: guid, URL: url, Title: title, Hash: "h-" + title, Published: t0}
}

func TestSavePollIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f := addFeedA(t, s)
	items := []feeds.Item{item("1", "http://a.example/1", "One"), item("2", "", "Two")}
	res, err := s.SavePoll(ctx, f, items, t0)
	if err != nil || res.New != 2 {
		t.Fatalf("first save: %+v, %v", res, err)
	}
	res, err = s.SavePoll(ctx, f, items, t0)
	if err != nil || res.New != 0 || res.Skipped != 2 {
		t.Fatalf("second save: %+v, %v", res, err)
	}
	items[0].Title, items[0].Hash = "One (edited)", "h2"
	res, err = s.SavePoll(ctx, f, items, t0)
	if err != nil || res.Edited != 1 || res.New != 0 {
		t.Fatalf("edit: %+v, %v", res, err)
	}
	if n, _ := s.CountItems(ctx); n != 2 {
		t.Fatalf("items stored = %d, want 2", n)
	}
}

func TestSameURLInTwoFeedsIsOneItem(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	a, _ := s.AddFeed(ctx, FeedSpec{URL: "http://a.example/rss", Topic: "world"}, OriginCLI, t0)
	b, _ := s.AddFeed(ctx, FeedSpec{URL: "http://b.example/rss", Topic: "tech"}, OriginCLI, t0)
	if _, err := s.SavePoll(ctx, a, []feeds.Item{item("a-1", "http://news.example/story", "Story")}, t0); err != nil {
		t.Fatal(err)
	}
	res, err := s.SavePoll(ctx, b, []feeds.Item{item("b-9", "http://news.example/story", "Story")}, t0)
	if err != nil || res.Linked != 1 || res.New != 0 {
		t.Fatalf("second feed: %+v, %v", res, err)
	}
	keys, _ := s.ItemKeys(ctx)
	if n, _ := s.CountItems(ctx); n != 1 || len(keys) != 2 {
		t.Fatalf("items = %d, memberships = %d; want 1 and 2", n, len(keys))
	}
}

func TestDueFeedsAndState(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f, _ := s.AddFeed(ctx, FeedSpec{URL: "http://a.example/rss", Topic: "world"}, OriginCLI, t0)
	due, err := s.DueFeeds(ctx, "world", t0)
	if err != nil || len(due) != 1 {
		t.Fatalf("due = %v, %v; want the new feed", due, err)
	}
	f.NextPoll, f.ETag, f.LastStatus = t0.Add(time.Hour), `"v1"`, feeds.StatusOK
	f.URL = "https://a.example/feed" // moved permanently
	if _, err := s.SavePoll(ctx, f, nil, t0); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueFeeds(ctx, "", t0.Add(30*time.Minute)); len(due) != 0 {
		t.Fatalf("feed due before its next poll: %v", due)
	}
	if due, _ := s.DueFeeds(ctx, "tech", t0.Add(2*time.Hour)); len(due) != 0 {
		t.Fatalf("feed due in a topic it is not in: %v", due)
	}
	got, err := s.Feed(ctx, f.ID)
	if err != nil || got.ETag != `"v1"` || got.URL != "https://a.example/feed" || !got.NextPoll.Equal(f.NextPoll) {
		t.Fatalf("state not saved: %+v, %v", got, err)
	}
	got.Disabled = true
	s.SavePoll(ctx, got, nil, t0)
	if due, _ := s.DueFeeds(ctx, "", t0.Add(48*time.Hour)); len(due) != 0 {
		t.Fatalf("disabled feed is due: %v", due)
	}
	if _, err := s.AddFeed(ctx, FeedSpec{URL: got.URL, Topic: "world"}, OriginCLI, t0); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueFeeds(ctx, "", t0); len(due) != 1 {
		t.Fatalf("adding a gone feed again did not re-enable it: %v", due)
	}
}

func TestSyncFeedsFollowsConfig(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	specs := []FeedSpec{{URL: "http://a.example/rss", Topic: "world"}, {URL: "http://b.example/rss", Topic: "world"}}
	if err := s.SyncFeeds(ctx, OriginConfig, specs, t0); err != nil {
		t.Fatal(err)
	}
	s.AddFeed(ctx, FeedSpec{URL: "http://c.example/rss", Topic: "world"}, OriginCLI, t0)
	if err := s.SyncFeeds(ctx, OriginConfig, specs[:1], t0); err != nil {
		t.Fatal(err)
	}
	fs, _ := s.Feeds(ctx)
	var urls []string
	for _, f := range fs {
		urls = append(urls, f.URL)
	}
	if got := strings.Join(urls, " "); got != "http://a.example/rss http://c.example/rss" {
		t.Fatalf("feeds after sync = %s", got)
	}
}

func TestReopenKeepsDataAndRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "herald.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.AddFeed(ctx, FeedSpec{URL: "http://a.example/rss", Topic: "world"}, OriginCLI, t0)
	s.db.Exec(`INSERT INTO schema_migrations (version, applied_at) VALUES (99999, 0)`)
	s.Close()
	_, err = Open(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "upgrade Herald") {
		t.Fatalf("newer schema: err = %v, want a refusal that says to upgrade", err)
	}
}

// Polls larger than one statement batch, and two entries of one poll that
// carry the same story, are stored exactly once each.
func TestSavePollBatchesAndRepeatedURLs(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f, _ := s.AddFeed(ctx, FeedSpec{URL: "http://a.example/rss", Topic: "world"}, OriginCLI, t0)
	var items []feeds.Item
	for i := range 2*batch + 5 {
		items = append(items, item(fmt.Sprint("g", i), fmt.Sprint("http://a.example/", i), fmt.Sprint("T", i)))
	}
	items = append(items, item("again", "http://a.example/0", "T0 again"))
	res, err := s.SavePoll(ctx, f, items, t0)
	if err != nil || res.New != 2*batch+5 || res.Linked != 1 {
		t.Fatalf("first save: %+v, %v", res, err)
	}
	res, err = s.SavePoll(ctx, f, items, t0)
	if err != nil || res.New != 0 || res.Skipped != len(items) {
		t.Fatalf("second save: %+v, %v", res, err)
	}
	keys, _ := s.ItemKeys(ctx)
	if n, _ := s.CountItems(ctx); n != 2*batch+5 || len(keys) != len(items) {
		t.Fatalf("items = %d, memberships = %d", n, len(keys))
	}
}
