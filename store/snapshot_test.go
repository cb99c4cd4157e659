package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"herald/events"
)

// payload returns n pseudo-random bytes, the same for the same seed.
func payload(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	r.Read(b)
	return b
}

// writeAll returns a write func that writes data in pieces of a size that
// does not divide a part, as an encoder would.
func writeAll(data []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		for len(data) > 0 {
			n := min(len(data), 100_003)
			if _, err := w.Write(data[:n]); err != nil {
				return err
			}
			data = data[n:]
		}
		return nil
	}
}

func saveSnapshot(t *testing.T, s *Store, key string, seq int64, data []byte) {
	t.Helper()
	if err := s.SaveSnapshot(context.Background(), key, seq, writeAll(data)); err != nil {
		t.Fatal(err)
	}
}

// loadSnapshot reads the snapshot stored under key whole.
func loadSnapshot(t *testing.T, s *Store, key string) (found bool, seq int64, data []byte) {
	t.Helper()
	found, err := s.LoadSnapshot(context.Background(), key, func(n int64, r io.Reader) error {
		seq = n
		var err error
		data, err = io.ReadAll(r)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found, seq, data
}

func countParts(t *testing.T, s *Store) int64 {
	t.Helper()
	n, err := s.count(context.Background(), "clusterer_snapshot_parts")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSnapshotRoundTrip(t *testing.T) {
	s := openTest(t)
	if found, _, _ := loadSnapshot(t, s, "v1"); found {
		t.Fatal("an empty store has a snapshot")
	}
	want := payload(5<<20+123, 1)
	saveSnapshot(t, s, "v1", 42, want)
	found, seq, got := loadSnapshot(t, s, "v1")
	if !found || seq != 42 || !bytes.Equal(got, want) {
		t.Fatalf("read back found=%v seq=%d, %d bytes equal=%v; want seq 42 and the %d bytes written",
			found, seq, len(got), bytes.Equal(got, want), len(want))
	}
	if n := countParts(t, s); n != 6 {
		t.Errorf("%d parts stored for 5 MB and a bit; want 6 of 1 MB", n)
	}
	if found, _, _ := loadSnapshot(t, s, "v2"); found {
		t.Error("a snapshot written under another key was found")
	}
}

func TestSnapshotFailedWriteKeepsThePrevious(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	want := payload(3<<20, 2)
	saveSnapshot(t, s, "v1", 7, want)
	broken := errors.New("encoder broke")
	err := s.SaveSnapshot(ctx, "v1", 9, func(w io.Writer) error {
		if err := writeAll(payload(5<<19, 3))(w); err != nil { // 2.5 MB: two parts inserted
			return err
		}
		return broken
	})
	if !errors.Is(err, broken) {
		t.Fatalf("save with a failing write: %v; want its error", err)
	}
	found, seq, got := loadSnapshot(t, s, "v1")
	if !found || seq != 7 || !bytes.Equal(got, want) {
		t.Fatalf("after a failed save: found=%v seq=%d equal=%v; want the previous snapshot (seq 7)", found, seq, bytes.Equal(got, want))
	}
	if n := countParts(t, s); n != 3 {
		t.Errorf("%d parts stored; want the previous snapshot's 3", n)
	}
}

// A full disk fails the save even when write ignores the error it got
// (SQLite only: its file can be capped).
func TestSnapshotFullDiskKeepsThePrevious(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if s.Dialect() != "sqlite" {
		t.Skip("fault injection by page count is SQLite's")
	}
	want := payload(100_000, 10)
	saveSnapshot(t, s, "v1", 3, want)
	pages, err := s.PageCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.LimitPages(ctx, pages+300); err != nil { // room for about 1 MB
		t.Fatal(err)
	}
	err = s.SaveSnapshot(ctx, "v1", 4, func(w io.Writer) error {
		writeAll(payload(4<<20, 11))(w) // the error it returns is ignored
		return nil
	})
	if !IsStorageFailure(err) {
		t.Fatalf("save beyond the file's cap: %v; want a storage failure", err)
	}
	if err := s.LimitPages(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if found, seq, got := loadSnapshot(t, s, "v1"); !found || seq != 3 || !bytes.Equal(got, want) {
		t.Fatalf("after a failed save: found=%v seq=%d equal=%v; want the previous snapshot (seq 3)", found, seq, bytes.Equal(got, want))
	}
}

func TestSnapshotReplacedLeavesNothingOfTheOld(t *testing.T) {
	s := openTest(t)
	saveSnapshot(t, s, "v1", 5, payload(5<<20, 4))
	want := payload(100_000, 5)
	saveSnapshot(t, s, "v2", 8, want)
	found, seq, got := loadSnapshot(t, s, "v2")
	if !found || seq != 8 || !bytes.Equal(got, want) {
		t.Fatalf("the new snapshot reads back found=%v seq=%d, %d bytes; want seq 8, %d bytes equal", found, seq, len(got), len(want))
	}
	if n := countParts(t, s); n != 1 {
		t.Errorf("%d parts stored; want the new snapshot's 1", n)
	}
	if found, _, _ := loadSnapshot(t, s, "v1"); found {
		t.Error("the replaced snapshot's key still finds a snapshot")
	}
}

func TestSnapshotReadErrorIsReturned(t *testing.T) {
	s := openTest(t)
	saveSnapshot(t, s, "v1", 1, payload(1000, 6))
	bad := errors.New("unknown format version")
	found, err := s.LoadSnapshot(context.Background(), "v1", func(int64, io.Reader) error { return bad })
	if !found || !errors.Is(err, bad) {
		t.Fatalf("load with a failing read: found=%v, %v; want found and its error", found, err)
	}
}

// A snapshot replaced while it is read gives the reader an error, never
// the rest of the new one after the start of the old one; even a reader
// that ignores the error sees LoadSnapshot fail.
func TestSnapshotReplacedWhileRead(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	saveSnapshot(t, s, "v1", 1, payload(6<<20, 7))
	newer := payload(6<<20, 8)
	var readErr error
	_, err := s.LoadSnapshot(ctx, "v1", func(_ int64, r io.Reader) error {
		if _, err := r.Read(make([]byte, 10)); err != nil {
			return err
		}
		if err := s.SaveSnapshot(ctx, "v1", 2, writeAll(newer)); err != nil {
			return err
		}
		_, readErr = io.ReadAll(r)
		return nil
	})
	if !errors.Is(readErr, ErrSnapshotReplaced) || !errors.Is(err, ErrSnapshotReplaced) {
		t.Fatalf("reading a replaced snapshot: read %v, load %v; want ErrSnapshotReplaced from both", readErr, err)
	}
	if found, seq, got := loadSnapshot(t, s, "v1"); !found || seq != 2 || !bytes.Equal(got, newer) {
		t.Fatalf("loading again: found=%v seq=%d equal=%v; want the newer snapshot", found, seq, bytes.Equal(got, newer))
	}
}

func TestDropSnapshot(t *testing.T) {
	s := openTest(t)
	saveSnapshot(t, s, "v1", 1, payload(2<<20, 9))
	if err := s.DropSnapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	if found, _, _ := loadSnapshot(t, s, "v1"); found || countParts(t, s) != 0 {
		t.Fatalf("after drop: found=%v, %d parts; want nothing", found, countParts(t, s))
	}
}

// PlacedDocsAfter gives the items placed after a placement number in the
// order they were placed, which is not the order of their ids.
func TestPlacedDocsAfter(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	docs := unplacedDocs(t, s, 5)
	place := func(docs ...events.Doc) {
		t.Helper()
		var cl events.Clustering
		for _, d := range docs {
			cl.Assignments = append(cl.Assignments, events.Assignment{DocID: d.ID, EventID: "ev-" + d.ID})
			cl.Events = append(cl.Events, events.Event{ID: "ev-" + d.ID, Headline: d.Title, FirstSeen: t0, LastUpdated: t0, Size: 1})
		}
		if err := s.SaveClustering(ctx, cl); err != nil {
			t.Fatal(err)
		}
	}
	place(docs[3], docs[0])
	seq, err := s.PlacedThrough(ctx)
	if err != nil {
		t.Fatal(err)
	}
	place(docs[4], docs[1])
	place(docs[2])
	after := func(seq int64) []string {
		var ids []string
		if err := s.PlacedDocsAfter(ctx, seq, func(pd events.PlacedDoc) { ids = append(ids, pd.Doc.ID+" "+pd.EventID) }); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	want := fmt.Sprint([]string{docs[4].ID + " ev-" + docs[4].ID, docs[1].ID + " ev-" + docs[1].ID, docs[2].ID + " ev-" + docs[2].ID})
	if got := fmt.Sprint(after(seq)); got != want {
		t.Errorf("placed after %d: %s; want %s", seq, got, want)
	}
	if got := after(0); len(got) != 5 || got[0] != docs[3].ID+" ev-"+docs[3].ID {
		t.Errorf("placed after 0: %v; want all 5, %s first", got, docs[3].ID)
	}
	last, _ := s.PlacedThrough(ctx)
	if got := after(last); len(got) != 0 {
		t.Errorf("placed after the latest placement: %v; want none", got)
	}
}
