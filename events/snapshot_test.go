package events

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"time"
)

// placeStream feeds docs as the placer does: in batches, evicting what
// fell out of the window after each, so that eviction, the index's
// compaction and the vocabulary's forgetting all happen.
func placeStream(c *Clusterer, docs []Doc, window time.Duration, batch int) []Assignment {
	var out []Assignment
	for len(docs) > 0 {
		n := min(batch, len(docs))
		for _, d := range docs[:n] {
			out = append(out, c.Add(d))
		}
		c.Evict(docs[n-1].Published.Add(-window))
		docs = docs[n:]
	}
	return out
}

func snapshotOf(t testing.TB, c *Clusterer) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := c.WriteSnapshot(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A clusterer read from a snapshot taken mid-stream and fed the rest
// decides what an uninterrupted one decides, and ends in its state: their
// snapshots are equal to the byte.
func TestSnapshotMidStreamEqualsUninterruptedRun(t *testing.T) {
	streams := map[string][]Doc{"korea": inOrder(readFixture(t, "korea.jsonl"))}
	if _, err := os.Stat(devDir); err == nil {
		for _, name := range devSets {
			streams[name] = inOrder(devSet(t, name))
		}
		// Real feeds' 2020 week: boilerplate and habits of many sources.
		streams["unlabeled-2020"] = byPublication(readUnlabeled(t))
	}
	opts := DefaultOptions()
	opts.Window = 24 * time.Hour // more eviction within a set's span
	for name, docs := range streams {
		t.Run(name, func(t *testing.T) {
			batch := max(1, min(300, len(docs)/4))
			half := len(docs) / (2 * batch) * batch // a batch boundary near the middle
			live := New(opts)
			want := placeStream(live, docs, opts.Window, batch)

			first := New(opts)
			placeStream(first, docs[:half], opts.Window, batch)
			snap := snapshotOf(t, first)
			resumed, err := ReadSnapshot(bytes.NewReader(snap), opts)
			if err != nil {
				t.Fatal(err)
			}
			if again := snapshotOf(t, resumed); !bytes.Equal(again, snap) {
				t.Fatalf("a snapshot read back writes %d bytes, not the %d read", len(again), len(snap))
			}
			got := placeStream(resumed, docs[half:], opts.Window, batch)
			for i := range got {
				if !reflect.DeepEqual(got[i], want[half+i]) {
					t.Fatalf("doc %d after the snapshot: %+v, uninterrupted run: %+v", half+i, got[i], want[half+i])
				}
			}
			if a, b := snapshotOf(t, live), snapshotOf(t, resumed); !bytes.Equal(a, b) {
				t.Fatalf("states differ at the end: snapshots of %d and %d bytes", len(a), len(b))
			}
			for _, id := range []string{got[len(got)-1].EventID, want[len(want)/2+half/2].EventID} {
				a, _ := live.Event(id)
				b, _ := resumed.Event(id)
				if !reflect.DeepEqual(a, b) {
					t.Fatalf("event %s differs:\n%+v\n%+v", id, b, a)
				}
			}
		})
	}
}

// A damaged snapshot is an error, never a panic or a half-read clusterer:
// the placer then rebuilds from the store.
func TestDamagedSnapshotIsAnError(t *testing.T) {
	opts := DefaultOptions()
	c := New(opts)
	placeStream(c, inOrder(readFixture(t, "korea.jsonl")), opts.Window, 2)
	snap := snapshotOf(t, c)
	for _, n := range []int{0, 1, len(snapshotMagic) + 1, len(snap) / 3, len(snap) / 2, len(snap) - 5, len(snap) - 1} {
		if _, err := ReadSnapshot(bytes.NewReader(snap[:n]), opts); !errors.Is(err, ErrDamagedSnapshot) {
			t.Errorf("cut to %d of %d bytes: %v, want a damaged-snapshot error", n, len(snap), err)
		}
	}
	for i := 0; i < len(snap); i += max(1, len(snap)/97) {
		bad := bytes.Clone(snap)
		bad[i] ^= 0x5a
		if _, err := ReadSnapshot(bytes.NewReader(bad), opts); !errors.Is(err, ErrDamagedSnapshot) {
			t.Errorf("byte %d of %d changed: %v, want a damaged-snapshot error", i, len(snap), err)
		}
	}
}

// Whatever the bytes, reading a snapshot returns; damage is an error.
func FuzzReadSnapshot(f *testing.F) {
	opts := DefaultOptions()
	c := New(opts)
	placeStream(c, inOrder(readFixture(f, "korea.jsonl")), opts.Window, 2)
	f.Add(snapshotOf(f, c))
	f.Add([]byte(nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, err := ReadSnapshot(bytes.NewReader(data), opts); err == nil {
			snapshotOf(t, c)
		}
	})
}

// Other options or another build name another snapshot.
func TestSnapshotKeyNamesTheOptions(t *testing.T) {
	a := DefaultOptions()
	b := a
	b.Join += 0.01
	if SnapshotKey(a, "x") == SnapshotKey(b, "x") {
		t.Fatal("two join thresholds share a snapshot key")
	}
	if SnapshotKey(a, "x") == SnapshotKey(a, "y") {
		t.Fatal("two builds share a snapshot key")
	}
	if SnapshotKey(a, "x") != SnapshotKey(DefaultOptions(), "x") {
		t.Fatal("the same options give two keys")
	}
}

// byPublication sorts docs as Stream does.
func byPublication(docs []Doc) []Doc {
	slices.SortStableFunc(docs, func(a, b Doc) int { return a.Published.Compare(b.Published) })
	return docs
}

// BenchmarkSnapshot compares, for the whole 2020 archive held (53,199
// items), rebuilding the clusterer doc by doc (what a restart did) with
// writing and reading its snapshot.
func BenchmarkSnapshot(b *testing.B) {
	docs := byPublication(readUnlabeled(b))
	opts := DefaultOptions()
	opts.Window = 100 * 365 * 24 * time.Hour
	for range b.N {
		base := heapInUse()
		start := time.Now()
		c := New(opts)
		for _, d := range docs {
			c.Restore(d, "ev-"+d.ID, "")
		}
		restore := time.Since(start)
		rebuilt := heapInUse() - base
		var buf bytes.Buffer
		buf.Grow(2 << 10 * len(docs)) // the buffer's growth is not the snapshot's
		start = time.Now()
		if err := c.WriteSnapshot(&buf); err != nil {
			b.Fatal(err)
		}
		write := time.Since(start)
		c = nil
		base = heapInUse()
		allocs := totalAlloc()
		start = time.Now()
		c, err := ReadSnapshot(bytes.NewReader(buf.Bytes()), opts)
		if err != nil {
			b.Fatal(err)
		}
		read := time.Since(start)
		b.ReportMetric(float64(totalAlloc()-allocs)/float64(len(docs)), "read-alloc-bytes/item")
		b.ReportMetric(float64(rebuilt)/float64(len(docs)), "rebuilt-heap-bytes/item")
		b.ReportMetric(float64(heapInUse()-base)/float64(len(docs)), "read-heap-bytes/item")
		runtime.KeepAlive(c)
		b.ReportMetric(float64(buf.Len())/float64(len(docs)), "snapshot-bytes/item")
		b.ReportMetric(restore.Seconds()*1000, "restore-ms")
		b.ReportMetric(write.Seconds()*1000, "write-ms")
		b.ReportMetric(read.Seconds()*1000, "read-ms")
	}
}

// totalAlloc is the bytes allocated so far: what a step allocates beyond
// what it keeps is garbage, which lifts the peak above the live heap.
func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}
