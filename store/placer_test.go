package store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	"herald/events"
	"herald/feeds"
)

// Two sets of running stories: the items of each story are enough alike
// to gather in one event.
var (
	storiesA = []string{
		"Chile earthquake kills %d in coastal towns, rescuers search rubble",
		"Central bank raises interest rates by %d basis points to fight inflation",
		"Floods cut off %d villages in Bangladesh as rivers burst their banks",
	}
	storiesB = []string{
		"Wildfire forces %d evacuations in suburbs north of Athens",
		"Striking dockworkers leave %d container ships waiting off Rotterdam",
		"Parliament passes budget bill by %d votes after all-night session",
	}
)

// newsBatch is n items of the stories, published a minute apart from
// minute from on.
func newsBatch(from, n int, stories []string) []feeds.Item {
	var out []feeds.Item
	for i := from; i < from+n; i++ {
		title := fmt.Sprintf(stories[i%len(stories)], 10+i)
		out = append(out, feeds.Item{GUID: fmt.Sprint("n", i), URL: fmt.Sprintf("http://a.example/n%d", i),
			Title: title, Summary: title + ". More to follow.", Hash: "h-" + title,
			Published: t0.Add(time.Duration(i) * time.Minute)})
	}
	return out
}

// placements maps each placed item's title (newsBatch's are unique) to its event.
func placements(t *testing.T, s *Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := s.PlacedDocsSince(context.Background(), time.Time{}, func(pd events.PlacedDoc) { out[pd.Doc.Title] = pd.EventID })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func newTestPlacer(s *Store, log io.Writer, snapshots bool) *events.Placer {
	p := &events.Placer{Store: s, Window: 72 * time.Hour, Log: slog.New(slog.NewTextHandler(log, nil))}
	if snapshots {
		p.Snapshots = s
	}
	return p
}

func saveAndPlace(t *testing.T, s *Store, p *events.Placer, items []feeds.Item) {
	t.Helper()
	ctx := context.Background()
	f, err := s.FeedByURL(ctx, "http://a.example/rss")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SavePoll(ctx, f, items, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Place(ctx); err != nil {
		t.Fatal(err)
	}
}

// A placer restarted from its snapshot, with the items placed after the
// snapshot replayed, places the next items as one that never stopped.
func TestPlacerResumesFromItsSnapshot(t *testing.T) {
	ctx := context.Background()
	straight, resumed := openTest(t), openTest(t)
	addFeedA(t, straight)
	addFeedA(t, resumed)
	var log bytes.Buffer

	p := newTestPlacer(straight, io.Discard, false)
	// The items placed after the snapshot open events of their own, which
	// the last batch joins: only a replay of them places it right.
	batches := [][]feeds.Item{newsBatch(0, 30, storiesA), newsBatch(30, 12, storiesB), newsBatch(42, 18, storiesB)}
	for _, b := range batches {
		saveAndPlace(t, straight, p, b)
	}

	first := newTestPlacer(resumed, &log, true)
	saveAndPlace(t, resumed, first, batches[0])
	if err := first.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	saveAndPlace(t, resumed, first, batches[1]) // placed after the snapshot
	second := newTestPlacer(resumed, &log, true)
	saveAndPlace(t, resumed, second, batches[2])

	if !strings.Contains(log.String(), "from=snapshot replayed=12") {
		t.Fatalf("the restart did not resume from the snapshot with 12 items replayed:\n%s", log.String())
	}
	want, got := placements(t, straight), placements(t, resumed)
	if !maps.Equal(got, want) {
		t.Fatalf("resumed placements differ:\n got %v\nwant %v", got, want)
	}
	if events := len(distinct(want)); events < 6 || events > 40 {
		t.Fatalf("%d events of 60 items: the batch does not exercise joining", events)
	}
}

func distinct(m map[string]string) map[string]bool {
	out := map[string]bool{}
	for _, v := range m {
		out[v] = true
	}
	return out
}

// A damaged snapshot is dropped and the clusterer rebuilt from the store:
// placing goes on as if there had been none.
func TestPlacerRebuildsOverADamagedSnapshot(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addFeedA(t, s)
	var log bytes.Buffer
	saveAndPlace(t, s, newTestPlacer(s, io.Discard, true), newsBatch(0, 30, storiesA))
	opts := events.DefaultOptions()
	opts.Window = 72 * time.Hour
	garbage := []byte("herald-clusterer\n\x01 this is not a snapshot")
	if err := s.SaveSnapshot(ctx, events.SnapshotKey(opts, ""), 1, writeAll(garbage)); err != nil {
		t.Fatal(err)
	}
	p := newTestPlacer(s, &log, true)
	saveAndPlace(t, s, p, newsBatch(30, 6, storiesA))
	if !strings.Contains(log.String(), "clustering snapshot unreadable") || !strings.Contains(log.String(), "from=store") {
		t.Fatalf("the damaged snapshot was not reported and rebuilt over:\n%s", log.String())
	}
	if found, _, _ := loadSnapshot(t, s, events.SnapshotKey(opts, "")); found {
		t.Fatal("the damaged snapshot is still stored")
	}
	if n := len(placements(t, s)); n != 36 {
		t.Fatalf("%d items placed, want 36", n)
	}
	if err := p.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	if found, _, _ := loadSnapshot(t, s, events.SnapshotKey(opts, "")); !found {
		t.Fatal("no snapshot after the rebuilt clusterer was saved")
	}
}

// A snapshot is saved again only when a restart would replay more than a
// tenth of the held items placed after the stored one.
func TestPlacerSavesWhenReplayWouldCost(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	addFeedA(t, s)
	p := newTestPlacer(s, io.Discard, true)
	opts := events.DefaultOptions()
	opts.Window = 72 * time.Hour
	storedSeq := func() int64 {
		t.Helper()
		_, seq, _ := loadSnapshot(t, s, events.SnapshotKey(opts, ""))
		return seq
	}
	steps := []struct {
		from, n int
		saves   bool
	}{{0, 60, true}, {60, 3, false}, {63, 3, false}, {66, 4, true}}
	for _, st := range steps {
		before := storedSeq()
		saveAndPlace(t, s, p, newsBatch(st.from, st.n, storiesA))
		if err := p.Snapshot(ctx); err != nil {
			t.Fatal(err)
		}
		if saved := storedSeq() != before; saved != st.saves {
			t.Fatalf("after items %d to %d: saved %v, want %v", st.from, st.from+st.n, saved, st.saves)
		}
	}
}

// A placer given SnapshotEvery saves on its own once it has caught up and
// that long has passed since its restore.
func TestPlacerSavesOnItsSchedule(t *testing.T) {
	opts := events.DefaultOptions()
	opts.Window = 72 * time.Hour
	for _, every := range []time.Duration{time.Nanosecond, time.Hour} {
		s := openTest(t)
		addFeedA(t, s)
		p := newTestPlacer(s, io.Discard, true)
		p.SnapshotEvery = every
		saveAndPlace(t, s, p, newsBatch(0, 30, storiesA))
		if found, _, _ := loadSnapshot(t, s, events.SnapshotKey(opts, "")); found != (every < time.Hour) {
			t.Errorf("every %v: snapshot stored %v", every, found)
		}
	}
}

// A placer bounded to MaxHeld holds no more docs than that, letting go of
// the events updated longest ago; rebuilt from the store after a restart,
// it is bounded while it reads, and every item is placed.
func TestPlacerHoldsAtMostMaxHeld(t *testing.T) {
	s := openTest(t)
	addFeedA(t, s)
	var log bytes.Buffer
	p := newTestPlacer(s, &log, false)
	p.MaxHeld = 1000
	saveAndPlace(t, s, p, append(newsBatch(0, 900, storiesA), newsBatch(900, 600, storiesB)...))
	if held := p.Held(); held == 0 || held > 1000 || !strings.Contains(log.String(), "clustering bounded") {
		t.Fatalf("after 1,500 items the placer holds %d, want 1 to 1,000 and the bound logged:\n%s", held, log.String())
	}
	saveAndPlace(t, s, p, newsBatch(1500, 300, storiesA))
	if held := p.Held(); held > 1000 {
		t.Fatalf("after 1,800 items the placer holds %d, want at most 1,000", held)
	}
	restarted := newTestPlacer(s, io.Discard, false)
	restarted.MaxHeld = 1000
	saveAndPlace(t, s, restarted, newsBatch(1800, 10, storiesB))
	if held := restarted.Held(); held == 0 || held > 1000 {
		t.Fatalf("restarted, the placer holds %d, want 1 to 1,000", held)
	}
	if n := len(placements(t, s)); n != 1810 {
		t.Fatalf("%d items placed, want all 1,810", n)
	}
}
