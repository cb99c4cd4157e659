package events

import (
	"bufio"
	"cmp"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// A chain of reports where each shares words with the next and the ends
// share none is not one happening: an event compares a newcomer with
// what it is (its first reports), not with a centroid each join moves, so
// it does not drift from A to D.
func TestChainDoesNotDrift(t *testing.T) {
	t0 := time.Date(2022, 7, 20, 8, 0, 0, 0, time.UTC)
	titles := []string{
		"Ministers meet in Geneva to discuss the grain export corridor",
		"Geneva talks on the grain export corridor end with a shipping deal",
		"Shipping deal sends insurers racing to cover Black Sea tankers",
		"Insurers raise premiums for Black Sea tankers as freighters queue",
		"Freighters queue at Istanbul strait as port workers strike",
	}
	c := New(DefaultOptions())
	var events []string
	for i, title := range titles {
		a := c.Add(Doc{ID: string(rune('A' + i)), Source: "Paper " + string(rune('A'+i)), Title: title, Published: t0.Add(time.Duration(i) * 20 * time.Minute)})
		events = append(events, a.EventID)
	}
	if events[0] == events[len(events)-1] {
		t.Fatalf("the chain drifted into one event: %v", events)
	}
	if len(slices.Compact(slices.Clone(events))) < 2 {
		t.Fatalf("all %d links of the chain in one event: %v", len(titles), events)
	}
}

// The week the dev window was cut from, run whole as the daemon would,
// keeps its largest labeled events pure (most of their labeled reports
// are one gold event), no event or storyline swallows the week, and the
// figures are logged for the README.
func TestDevWeekLargestEventsArePure(t *testing.T) {
	week := weekDocs(t)
	gold := map[string]string{}
	for _, d := range devSet(t, "headlines-2020-dev") {
		gold[d.ID] = d.Event
	}
	c := New(DefaultOptions())
	for _, d := range week {
		c.Add(d)
	}
	members, stories, titles := map[string][]string{}, map[string]int{}, map[string]string{}
	for _, d := range week {
		titles[d.ID] = d.Title
		ev, _ := c.EventOf(d.ID)
		st, _ := c.StorylineOf(ev)
		members[ev] = append(members[ev], d.ID)
		stories[st]++
	}
	type row struct {
		id                 string
		size, labeled, top int
	}
	var rows []row
	biggest := 0
	for id, ms := range members {
		biggest = max(biggest, len(ms))
		counts := map[string]int{}
		for _, m := range ms {
			if g, ok := gold[m]; ok {
				counts[g]++
			}
		}
		r := row{id: id, size: len(ms)}
		for _, n := range counts {
			r.labeled += n
			r.top = max(r.top, n)
		}
		if r.labeled >= 2 {
			rows = append(rows, r)
		}
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Or(b.size-a.size, strings.Compare(a.id, b.id)) })
	rows = rows[:min(10, len(rows))]
	labeled, pure := 0, 0
	for _, r := range rows {
		ev, _ := c.Event(r.id)
		t.Logf("%3d items (%2d labeled), purity %.2f: %s", r.size, r.labeled, float64(r.top)/float64(r.labeled), titles[ev.HeadlineDoc])
		labeled, pure = labeled+r.labeled, pure+r.top
	}
	purity := float64(pure) / float64(labeled)
	t.Logf("purity of the %d largest labeled events (their labeled reports in their main gold event): %.2f", len(rows), purity)
	if purity < 0.8 {
		t.Errorf("the largest labeled events are impure: %.2f of their labeled reports in their main gold event, want 0.8", purity)
	}
	// A 48-hour event of this week has at most some tens of reports; a
	// hundred would be a storyline swallowed whole. A storyline holding a
	// tenth of the week would be the season's background.
	if biggest > 100 {
		t.Errorf("an event holds %d of the week's %d reports", biggest, len(week))
	}
	for id, n := range stories {
		if n > len(week)/10 {
			st, _ := c.Storyline(id)
			t.Errorf("storyline %q holds %d of the week's %d reports", st.Name, n, len(week))
		}
	}
}

// weekDocs reads the dev week's items (shared/data/news), with the ids
// the clustering sets give them, in stream order; undated items are left
// out, as they are from the labeled window.
func weekDocs(t testing.TB) []Doc {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "data", "news", "gesab001-headlines-2020-04-28_2020-05-04", "items.jsonl")
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		t.Skipf("news week %s not found (shared data is not checked out here)", path)
	} else if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return readItems(t, f)
}

// readItems reads items in the news archive's flattening.
func readItems(t testing.TB, r io.Reader) []Doc {
	var out []Doc
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	for sc.Scan() {
		var it struct {
			Source, FeedKey, Title, Summary, Link, Guid string
			Published                                   *string
		}
		var raw map[string]any
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			t.Fatal(err)
		}
		it.Source, _ = raw["source"].(string)
		it.FeedKey, _ = raw["feed_key"].(string)
		it.Title, _ = raw["title"].(string)
		it.Summary, _ = raw["summary"].(string)
		it.Link, _ = raw["link"].(string)
		it.Guid, _ = raw["guid"].(string)
		p, _ := raw["published"].(string)
		at, err := time.Parse(time.RFC3339, strings.Replace(p, " ", "T", 1))
		if err != nil || it.Title == "" {
			continue
		}
		key := it.Guid
		if key == "" {
			key = it.Link
		}
		sum := sha1.Sum([]byte(it.FeedKey + "\x00" + key))
		out = append(out, Doc{ID: hex.EncodeToString(sum[:])[:16], Source: it.Source, Title: it.Title,
			Summary: it.Summary, Published: at.UTC()})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(out, func(a, b Doc) int { return a.Published.Compare(b.Published) })
	return out
}
