package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"herald/feeds"
)

// A store that cannot write says so until a write goes through again, and
// a failed poll stores none of its items.
func TestWriteHealth(t *testing.T) {
	if testBackend != "sqlite" {
		t.Skip("the fault is injected through SQLite's page limit")
	}
	ctx := context.Background()
	s := openTest(t)
	f := addFeedA(t, s)
	pages, _ := s.PageCount(ctx)
	if err := s.LimitPages(ctx, pages); err != nil {
		t.Fatal(err)
	}
	var items []feeds.Item
	for i := range 300 {
		it := item(fmt.Sprint(i), fmt.Sprint("http://a.example/", i), fmt.Sprint("Story ", i))
		it.Text = strings.Repeat("words ", 200)
		items = append(items, it)
	}
	saved, err := s.SavePoll(ctx, f, items, t0)
	if err == nil || !IsStorageFailure(err) || saved != (feeds.Saved{}) {
		t.Fatalf("save on a full store: %+v, %v; want a storage failure and nothing counted", saved, err)
	}
	if s.WriteError() == nil || s.WriteFailures() != 1 {
		t.Fatalf("write error %v after %d failures; want the full disk", s.WriteError(), s.WriteFailures())
	}
	if n, _ := s.CountItems(ctx); n != 0 {
		t.Fatalf("%d items stored by the failed poll", n)
	}
	s.LimitPages(ctx, 0)
	if _, err := s.SavePoll(ctx, f, items[:1], t0); err != nil || s.WriteError() != nil {
		t.Fatalf("a write after the space returned: %v; write error still %v", err, s.WriteError())
	}
}
