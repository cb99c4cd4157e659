package events

import (
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"
)

func TestMemProfTmp(t *testing.T) {
	runtime.MemProfileRate = 2048
	docs := readUnlabeled(t)
	opts := DefaultOptions()
	opts.Window = 100 * 365 * 24 * time.Hour
	c := New(opts)
	for i := range docs {
		c.Add(docs[i])
		docs[i] = Doc{}
	}
	docs = nil
	runtime.GC()
	f, _ := os.Create("/tmp/heap.out")
	pprof.WriteHeapProfile(f)
	f.Close()
	runtime.KeepAlive(c)
}
