package feeds

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/mmcdole/gofeed"
)

// A document of more items than Herald takes (MaxItems) is parsed a slice
// of items at a time: gofeed builds a tree of everything it is given, about
// nine times the body's size (130 MB for a 15 MB feed of 100,000 items),
// while Herald keeps 2000 items. Each slice is the document's head, up to
// MaxItems item elements and its tail, so it is a whole document of the same
// format; the newest items of the slices seen so far are kept.

// parseCapped parses b like parseFormat, in slices when it holds more than
// MaxItems items, and also returns how many items it left out.
func parseCapped(b []byte, contentType string) (*gofeed.Feed, Hints, int, error) {
	if !isJSON(b) {
		if spans := itemSpans(b); len(spans) > MaxItems {
			// The split is made at the byte level; if a slice does not
			// parse into its items, the whole document is parsed instead.
			if gf, hints, dropped, err := parseInSlices(b, contentType, spans); err == nil {
				return gf, hints, dropped, nil
			}
		}
	}
	gf, hints, err := parseFormat(b, contentType)
	return gf, hints, 0, err
}

func parseInSlices(b []byte, contentType string, spans [][2]int) (*gofeed.Feed, Hints, int, error) {
	head, tail := b[:spans[0][0]], b[spans[len(spans)-1][1]:]
	var first *gofeed.Feed
	var hints Hints
	var kept []*gofeed.Item
	for k := 0; k < len(spans); k += MaxItems {
		s := spans[k:min(k+MaxItems, len(spans))]
		gf, h, err := parseFormat(slices.Concat(head, b[s[0][0]:s[len(s)-1][1]], tail), contentType)
		if err != nil {
			return nil, Hints{}, 0, err
		}
		if len(gf.Items) != len(s) {
			return nil, Hints{}, 0, fmt.Errorf("a slice of %d items parsed as %d", len(s), len(gf.Items))
		}
		if first == nil {
			first, hints = gf, h
		}
		kept, _ = newestItems(append(kept, gf.Items...), MaxItems)
	}
	first.Items = kept
	return first, hints, len(spans) - len(kept), nil
}

// itemSpans returns the byte ranges of the item elements of an RSS, RDF or
// Atom document: <item> or <entry> (with any prefix) as a child of the root
// or of the RSS channel, found at the byte level (scanTags).
func itemSpans(b []byte) [][2]int {
	var spans [][2]int
	depth, start, itemDepth := 0, -1, 0
	scanTags(b, func(kind tagKind, from, to int) bool {
		isItem := start < 0 && (depth == 1 || depth == 2) && kind != tagClose && isItemTag(b[from:])
		switch {
		case kind == tagClose:
			depth = max(depth-1, 0)
			if start >= 0 && depth == itemDepth {
				spans, start = append(spans, [2]int{start, to}), -1
			}
		case kind == tagEmpty && isItem:
			spans = append(spans, [2]int{from, to})
		case kind == tagOpen:
			if isItem {
				start, itemDepth = from, depth
			}
			depth++
		}
		return true
	})
	return spans
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
