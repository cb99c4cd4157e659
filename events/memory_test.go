package events

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// unlabeledPath is the 2020 archive of real headlines and summaries.
var unlabeledPath = filepath.Join(devDir, "..", "news", "gesab001-headlines-2020-unlabeled.jsonl.gz")

// readUnlabeled reads the archive's items as the store hands them over:
// the summary's plain text as Text.
func readUnlabeled(tb testing.TB) []Doc {
	f, err := os.Open(unlabeledPath)
	if err != nil {
		tb.Skipf("the unlabeled archive is not here (%v): shared data is not checked out", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	var docs []Doc
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l struct{ ID, Title, Summary, Source, Published string }
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			tb.Fatal(err)
		}
		t, _ := time.Parse(time.RFC3339, l.Published)
		docs = append(docs, Doc{ID: l.ID, Source: l.Source, Title: l.Title, Text: l.Summary, Published: t, Topics: []string{"news"}})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return docs
}

// BenchmarkHeldMemory measures what the clusterer holds per item of its
// window: the whole archive is held (a window of a century), and the heap
// after a collection is divided by the items held. The docs themselves are
// dropped first, so only what the clusterer keeps of them counts.
func BenchmarkHeldMemory(b *testing.B) {
	for range b.N {
		docs := readUnlabeled(b)
		opts := DefaultOptions()
		opts.Window = 100 * 365 * 24 * time.Hour
		base := heapInUse()
		c := New(opts)
		for i := range docs {
			c.Add(docs[i])
			docs[i] = Doc{}
		}
		docs = nil
		held := len(c.docs)
		b.ReportMetric(float64(heapInUse()-base)/float64(held), "bytes/held-item")
		b.ReportMetric(float64(held), "held-items")
		runtime.KeepAlive(c)
	}
}

func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
