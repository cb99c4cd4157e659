package events

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// devDir holds the labeled development sets; tests that need them skip
// when it is absent.
var devDir = filepath.Join("..", "..", "shared", "data", "clustering")

func devSet(t testing.TB, name string) []LabeledDoc {
	t.Helper()
	path := filepath.Join(devDir, name+".jsonl")
	if _, err := os.Stat(path); os.IsNotExist(err) {
		t.Skipf("dev set %s not found in %s (shared data is not checked out here)", name, devDir)
	}
	return readDocsFile(t, path)
}

var devSets = []string{"uci-newsagg-head-dev", "googlenews-ts-dev", "headlines-2020-dev"}

// inOrder returns the docs sorted as Stream sorts them.
func inOrder(docs []LabeledDoc) []Doc {
	out := make([]Doc, len(docs))
	for i, d := range docs {
		out[i] = d.Doc
	}
	slices.SortStableFunc(out, func(a, b Doc) int { return a.Published.Compare(b.Published) })
	return out
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
	recorded := map[string]string{}
	for i, d := range docs {
		a := live.Add(d)
		if i == half-1 {
			for _, d := range docs[:half] { // what the store holds at the restart
				recorded[d.ID], _ = live.EventOf(d.ID)
			}
		}
		if i >= half {
			liveTail = append(liveTail, a)
		}
	}
	restarted := New(DefaultOptions())
	for _, d := range docs[:half] {
		restarted.Restore(d, recorded[d.ID])
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

// When a doc shows two events to be one, the later is folded into the
// earlier: its docs move, and its id still finds the merged event.
func TestMergedEventsKeepTheirIDsAsAliases(t *testing.T) {
	docs := inOrder(devSet(t, "uci-newsagg-head-dev"))
	c := New(DefaultOptions())
	byEvent := map[string][]string{}
	merges := 0
	for _, d := range docs {
		a := c.Add(d)
		byEvent[a.EventID] = append(byEvent[a.EventID], d.ID)
		for _, old := range a.Merged {
			merges++
			if old == a.EventID {
				t.Fatalf("%s merged into itself", old)
			}
			ev, ok := c.Event(old)
			if !ok || ev.ID != a.EventID {
				t.Fatalf("merged id %s gives %q, %v; want the record of %s", old, ev.ID, ok, a.EventID)
			}
			for _, id := range byEvent[old] {
				if got, _ := c.EventOf(id); got != a.EventID {
					t.Fatalf("doc %s of merged event %s is in %s, want %s", id, old, got, a.EventID)
				}
			}
			byEvent[a.EventID] = append(byEvent[a.EventID], byEvent[old]...)
			delete(byEvent, old)
		}
	}
	if merges == 0 {
		t.Skip("no merge happened on this set")
	}
	for id, members := range byEvent {
		if ev, ok := c.Event(id); !ok || ev.Size != len(members) {
			t.Errorf("event %s: size %d, %d docs assigned", id, ev.Size, len(members))
		}
	}
}
