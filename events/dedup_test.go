package events

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// Wire copy republished by several sites, and a headline edited between
// two polls, collapse into one event and are marked as copies.
func TestSyndicatedCopiesCollapse(t *testing.T) {
	docs := readFixture(t, "syndication.jsonl")
	c := New(DefaultOptions())
	got := map[string]Assignment{}
	var as []Assignment
	for _, d := range docs {
		a := c.Add(d.Doc)
		got[d.ID] = a
		as = append(as, a)
	}
	if p, want := partition(as), goldPartition(docs); !slices.EqualFunc(p, want, slices.Equal) {
		t.Fatalf("events = %v, want %v", p, want)
	}
	for id, want := range map[string]string{"s2": "s1", "s3": "s1", "s5": "s4"} {
		if got[id].DuplicateOf != want {
			t.Errorf("%s: DuplicateOf = %q, want %q", id, got[id].DuplicateOf, want)
		}
	}
	if got["s1"].DuplicateOf != "" || got["s4"].DuplicateOf != "" {
		t.Errorf("the originals are marked as copies: %+v %+v", got["s1"], got["s4"])
	}
	ev, _ := c.Event(got["s1"].EventID)
	if ev.Size != 3 || !ev.Sources[1].Duplicate || ev.Sources[0].Duplicate {
		t.Errorf("event record %+v: want 3 sources, the later ones duplicates", ev)
	}
}

// channelDocs builds a video channel's feed: unrelated stories, each with
// the channel's long description appended, as YouTube feeds do.
func channelDocs() []Doc {
	const blurb = "Subscribe to our channel for the latest news and analysis from around the world. " +
		"Follow us on social media and watch our live coverage every weekday evening at six on the news network."
	titles := []string{
		"Farmers struggle as drought dries up reservoirs in the south",
		"Striker signs a three-year contract with the champions",
		"Museum reopens its ancient Egypt gallery after restoration",
		"Central bank holds interest rates steady amid inflation fears",
		"Wildfire forces evacuation of mountain villages overnight",
		"Tech company unveils a foldable phone with a larger battery",
		"Teachers vote to strike over pay and class sizes",
		"Scientists map the genome of an ancient wheat variety",
	}
	t0 := time.Date(2020, 4, 28, 8, 0, 0, 0, time.UTC)
	var docs []Doc
	for i, title := range titles {
		docs = append(docs, Doc{
			ID: fmt.Sprintf("yt-%d", i), Source: "News Channel", Title: title,
			Summary:   "Our reporter explains the story. " + blurb,
			Published: t0.Add(time.Duration(i) * 37 * time.Minute),
		})
	}
	return docs
}

// Text a feed repeats under all its items must not make them similar.
func TestChannelBoilerplateDoesNotMerge(t *testing.T) {
	checkFurniture(t, channelDocs())
}

// checkFurniture streams one source's unrelated items and checks that
// what they share (a blurb, title furniture) neither joins them nor makes
// the last two alike, while without the learning it does make them alike:
// the test can fail.
func checkFurniture(t *testing.T, docs []Doc) {
	t.Helper()
	run := func(opts Options) (int, float64) {
		c := New(opts)
		// Other sources' news first, so that the furniture's words are
		// rare in the stream, as a channel's are among many feeds.
		for i, d := range inOrder(readFixture(t, "korea.jsonl")) {
			d.Published = docs[0].Published.Add(-time.Duration(i+1) * time.Hour)
			c.Add(d)
		}
		seen := map[string]bool{}
		for _, d := range docs {
			seen[c.Add(d).EventID] = true
		}
		a, b := c.docs[docs[len(docs)-2].ID], c.docs[docs[len(docs)-1].ID]
		return len(seen), a.an.vec().cosine(b.an.vec())
	}
	n := len(docs)
	// The first two items meet the furniture before it is known.
	events, cos := run(DefaultOptions())
	if events < n-1 {
		t.Errorf("%d unrelated items from one source made %d events, want at least %d", n, events, n-1)
	}
	noLearning := DefaultOptions()
	noLearning.BoilerplateItems, noLearning.HabitShare = -1, 0
	_, rawCos := run(noLearning)
	if rawCos < 0.1 || cos > rawCos/3 {
		t.Errorf("cosine of the last two unrelated items: %.2f learned, %.2f without learning; want the furniture (at least 0.1 of the raw cosine) to account for most of it", cos, rawCos)
	}
}
