package feeds

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"

	"github.com/mmcdole/gofeed"
)

// A document of more items than Herald takes (MaxItems) is parsed a slice
// of items at a time: gofeed builds a tree of everything it is given, about
// nine times the body's size (130 MB for a 15 MB feed of 100,000 items),
// while Herald keeps 2000 items. Each slice is the document's head, up to
// MaxItems item elements and its tail, so it is a whole document of the same
// format; the newest items of the slices seen so far are kept. Nothing the
// size of the document is made besides the body: a 148 MB feed of a million
// items peaks at about 1.7 times its size instead of 3 to 5 times.

// collectEvery is how many slices are parsed between two garbage
// collections (the first before the first slice, which clears what
// finding the items left). The body stays live throughout and each slice
// leaves some 7 MB of parse tree behind: left to itself the collector
// lets the heap grow to twice the body before it runs. The body holds no
// pointers, so a collection costs little.
const collectEvery = 4

// parseCapped parses b like parseFormat, in slices when it holds more than
// MaxItems items, and also returns how many items it left out.
func parseCapped(b []byte, contentType string) (*gofeed.Feed, Hints, int, error) {
	if !isJSON(b) {
		if items := countItems(b); items.n > MaxItems {
			// The split is made at the byte level; if a slice does not
			// parse into its items, the whole document is parsed instead.
			if gf, hints, dropped, err := parseInSlices(b, contentType, items); err == nil {
				return gf, hints, dropped, nil
			}
		}
	}
	gf, hints, err := parseFormat(b, contentType)
	return gf, hints, 0, err
}

// itemRange is what a first walk over a document's items finds: how many
// there are, where the first begins and where the last ends. The slices
// are cut on a second walk, so that no list of a million spans is kept.
type itemRange struct{ n, first, last int }

func countItems(b []byte) itemRange {
	r := itemRange{first: -1}
	eachItem(b, func(start, end int) {
		if r.first < 0 {
			r.first = start
		}
		r.n, r.last = r.n+1, end
	})
	return r
}

func parseInSlices(b []byte, contentType string, items itemRange) (*gofeed.Feed, Hints, int, error) {
	head, tail := b[:items.first], b[items.last:]
	var first *gofeed.Feed
	var hints Hints
	var kept []*gofeed.Item
	parse := func(from, to, n, k int) error {
		if k%collectEvery == 0 {
			runtime.GC()
		}
		gf, h, err := parseFormat(slices.Concat(head, b[from:to], tail), contentType)
		if err != nil {
			return err
		}
		if len(gf.Items) != n {
			return fmt.Errorf("a slice of %d items parsed as %d", n, len(gf.Items))
		}
		if first == nil {
			first, hints = gf, h
		}
		kept, _ = newestItems(append(kept, gf.Items...), MaxItems)
		return nil
	}
	var err error
	from, n, k := -1, 0, 0
	eachItem(b, func(start, end int) {
		if from < 0 {
			from = start
		}
		if n++; n == MaxItems && err == nil {
			err = parse(from, end, n, k)
			from, n, k = -1, 0, k+1
		}
	})
	if n > 0 && err == nil {
		err = parse(from, items.last, n, k)
	}
	if err != nil {
		return nil, Hints{}, 0, err
	}
	first.Items = kept
	return first, hints, items.n - len(kept), nil
}

// eachItem calls fn with the byte range of each item element of an RSS,
// RDF or Atom document: <item> or <entry> (with any prefix) as a child of
// the root or of the RSS channel, found at the byte level (scanTags).
func eachItem(b []byte, fn func(start, end int)) {
	depth, start, itemDepth := 0, -1, 0
	scanTags(b, func(kind tagKind, from, to int) bool {
		isItem := start < 0 && (depth == 1 || depth == 2) && kind != tagClose && isItemTag(b[from:])
		switch {
		case kind == tagClose:
			depth = max(depth-1, 0)
			if start >= 0 && depth == itemDepth {
				fn(start, to)
				start = -1
			}
		case kind == tagEmpty && isItem:
			fn(from, to)
		case kind == tagOpen:
			if isItem {
				start, itemDepth = from, depth
			}
			depth++
		}
		return true
	})
}

// isItemTag reports whether the start tag at the head of b is an item or
// an entry, with or without a namespace prefix.
func isItemTag(b []byte) bool {
	end := bytes.IndexAny(b[1:], " \t\r\n/>")
	if end < 0 {
		return false
	}
	name := b[1 : 1+end]
	if k := bytes.IndexByte(name, ':'); k >= 0 {
		name = name[k+1:]
	}
	return string(name) == "item" || string(name) == "entry"
}
