package feeds

import (
	"crypto/sha256"
	"encoding/binary"
	"io"
	"net/url"
	"slices"

	"github.com/mmcdole/gofeed"
)

// A feed that changed usually lists one or two new entries beside dozens
// it listed before, and sanitizing an entry's HTML and extracting its text
// is the dearest part of reading it. So the poller fingerprints each entry
// as its document wrote it (its print), the store keeps the prints of the
// entries it holds from a feed's last document (Feed.Prints), and an entry
// read again with a print the feed already had is not normalized again:
// it comes back Unchanged, and the store skips it as it would skip an
// entry whose content hash had not changed.

// normalizeVersion is part of every print. Bump it when a change to
// normalizing (sanitizing, plain text, content hashes) must reach the
// entries already read: they are then read again once.
const normalizeVersion = 1

// printer fingerprints entries and knows the prints of the last document.
type printer struct {
	seed string   // the settings the document is read with (Poller.settings)
	last []uint64 // Feed.Prints, in increasing order
}

// print fingerprints entry r, whose identity and head it has read into it,
// with everything its body is made from: what normalizeBody reads and the
// base its links are resolved against.
func (pr *printer) print(r *gofeed.Item, it *Item, base *url.URL) uint64 {
	baseURL := ""
	if base != nil {
		baseURL = base.String()
	}
	h := sha256.New()
	var buf []byte
	for _, s := range []string{pr.seed, baseURL, it.GUID, it.URL, it.Title, r.Description, r.Content} {
		buf = binary.AppendUvarint(buf[:0], uint64(len(s))) // lengths keep the fields apart
		h.Write(buf)
		io.WriteString(h, s)
	}
	buf = binary.AppendUvarint(buf[:0], normalizeVersion)
	h.Write(buf)
	return binary.LittleEndian.Uint64(h.Sum(nil))
}

// known reports whether the last document held an entry with print p.
func (pr *printer) known(p uint64) bool {
	_, found := slices.BinarySearch(pr.last, p)
	return found
}

// PrintsOf returns the prints of items in increasing order, each once: what
// the store keeps as Feed.Prints of the document they came from.
func PrintsOf(items []Item) []uint64 {
	var out []uint64
	for _, it := range items {
		if it.Print != 0 {
			out = append(out, it.Print)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
