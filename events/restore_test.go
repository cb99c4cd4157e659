package events

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// devDir holds the labeled development sets; tests that need them skip
// when it is absent.
var devDir = filepath.Join("..", "..", "shared", "data", "clustering")

func devSet(t testing.TB, name string) []labeledDoc {
	t.Helper()
	path := filepath.Join(devDir, name+".jsonl")
	if _, err := os.Stat(path); os.IsNotExist(err) {
		t.Skipf("dev set %s not found in %s (shared data is not checked out here)", name, devDir)
	}
	return readDocsFile(t, path)
}

var devSets = []string{"uci-newsagg-head-dev", "googlenews-ts-dev", "headlines-2020-dev"}

// inOrder returns the docs sorted as Stream sorts them.
func inOrder(docs []labeledDoc) []Doc {
	out := make([]Doc, len(docs))
	for i, d := range docs {
		out[i] = d.Doc
	}
	return byPublication(out)
}

// A restart in the middle of a stream, with the first half restored from
// the recorded events, gives exactly the events of an uninterrupted run.
func TestRestoreMidStreamEqualsUninterruptedRun(t *testing.T) {
	streams := map[string][]Doc{"korea": inOrder(readFixture(t, "korea.jsonl"))}
	if _, err := os.Stat(devDir); err == nil {
		for _, name := range devSets {
			streams[name] = inOrder(devSet(t, name))
		}
	}
	for name, docs := range streams {
		t.Run(name, func(t *testing.T) { checkRestore(t, docs) })
	}
}

func checkRestore(t *testing.T, docs []Doc) {
	half := len(docs) / 2
	live := New(DefaultOptions())
	var liveTail []Assignment
	recorded := map[string][2]string{}
	for i, d := range docs {
		a := live.Add(d)
		if i == half-1 {
			for _, d := range docs[:half] { // what the store holds at the restart
				ev, _ := live.EventOf(d.ID)
				st, _ := live.StorylineOf(ev)
				recorded[d.ID] = [2]string{ev, st}
			}
		}
		if i >= half {
			liveTail = append(liveTail, a)
		}
	}
	restarted := New(DefaultOptions())
	for _, d := range docs[:half] {
		restarted.Restore(d, recorded[d.ID][0], recorded[d.ID][1])
	}
	for i, d := range docs[half:] {
		if a := restarted.Add(d); !reflect.DeepEqual(a, liveTail[i]) {
			t.Fatalf("doc %d after the restart: %+v, uninterrupted run: %+v", half+i, a, liveTail[i])
		}
	}
	for _, d := range docs {
		want, _ := live.EventOf(d.ID)
		if got, _ := restarted.EventOf(d.ID); got != want {
			t.Fatalf("doc %s ends in %s after a restart, %s without", d.ID, got, want)
		}
	}
	for _, d := range docs {
		id, _ := live.EventOf(d.ID)
		want, _ := live.Event(id)
		got, _ := restarted.Event(id)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("event %s differs after a restart:\n%+v\n%+v", id, got, want)
		}
	}
}

// When a doc shows two storylines to be one thread, the later is folded
// into the other: its events move, and its id still finds the merged
// storyline.
func TestMergedStorylinesKeepTheirIDsAsAliases(t *testing.T) {
	docs := inOrder(devSet(t, "uci-newsagg-head-dev"))
	c := New(DefaultOptions())
	byStory := map[string][]string{} // storyline -> events
	merges := 0
	for _, d := range docs {
		a := c.Add(d)
		if a.NewEvent {
			byStory[a.StorylineID] = append(byStory[a.StorylineID], a.EventID)
		}
		for _, old := range a.MergedStorylines {
			merges++
			if old == a.StorylineID {
				t.Fatalf("%s merged into itself", old)
			}
			st, ok := c.Storyline(old)
			if !ok || st.ID != a.StorylineID {
				t.Fatalf("merged id %s gives %q, %v; want the record of %s", old, st.ID, ok, a.StorylineID)
			}
			for _, ev := range byStory[old] {
				if got, _ := c.StorylineOf(ev); got != a.StorylineID {
					t.Fatalf("event %s of merged storyline %s is in %s, want %s", ev, old, got, a.StorylineID)
				}
			}
			byStory[a.StorylineID] = append(byStory[a.StorylineID], byStory[old]...)
			delete(byStory, old)
		}
	}
	if merges == 0 {
		t.Fatal("no storylines merged on this set")
	}
	for id, evs := range byStory {
		if st, ok := c.Storyline(id); !ok || len(st.Events) != len(evs) {
			t.Errorf("storyline %s: %d events, %d assigned", id, len(st.Events), len(evs))
		}
	}
}
