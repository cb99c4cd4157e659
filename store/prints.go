package store

import (
	"encoding/binary"
	"slices"

	"herald/feeds"
)

// A feed's prints (feeds.Feed.Prints) are stored as one value of 8 bytes
// each, little-endian, in increasing order; no prints are NULL.

func encodePrints(prints []uint64) []byte {
	if len(prints) == 0 {
		return nil
	}
	out := make([]byte, 0, 8*len(prints))
	for _, p := range prints {
		out = binary.LittleEndian.AppendUint64(out, p)
	}
	return out
}

// decodePrints reads what encodePrints wrote. A damaged value gives no
// prints: the feed's next document is then read in full, nothing is lost.
func decodePrints(b []byte) []uint64 {
	if len(b) == 0 || len(b)%8 != 0 {
		return nil
	}
	out := make([]uint64, len(b)/8)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	slices.Sort(out) // the reader searches them
	return out
}

// keptPrints are the prints the store keeps from a poll that read a
// document: those of its items but the ones it could not store (unread).
func keptPrints(items []feeds.Item, unread []uint64) []uint64 {
	return slices.DeleteFunc(feeds.PrintsOf(items), func(p uint64) bool { return slices.Contains(unread, p) })
}
