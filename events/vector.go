package events

import (
	"cmp"
	"math"
	"slices"
)

// Items and events are compared as TF-IDF vectors. Document frequencies
// are learned from the stream, so what is distinctive adapts to the feeds
// actually read: "coronavirus" weighs little in a pandemic spring.

// Vectors are stored in fixed point: an event's centroid is a sum of its
// members' vectors, and integer sums do not depend on the order of the
// additions. That makes the events rebuilt by Restore (one doc at a time)
// bit-identical to those grown and merged in an uninterrupted run.
const unit = 1 << 12

// entry is one weighted term of a sparse vector; w is in units of 1/unit.
type entry struct {
	id uint32
	w  int32
}

// sparse is a vector as entries sorted by id, of length about unit.
type sparse []entry

// weight is a term's raw weight while a vector is built.
type weight struct {
	id uint32
	w  float64
}

type weights []weight

// addTF appends the log term frequencies of terms, times factor.
func (ws *weights) addTF(terms []uint32, factor float64) {
	sorted := slices.Clone(terms)
	slices.Sort(sorted)
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		*ws = append(*ws, weight{sorted[i], factor * (1 + math.Log(float64(j-i)))})
		i = j
	}
}

// merge sorts by id and sums the weights of equal ids.
func (ws weights) merge() weights {
	slices.SortStableFunc(ws, func(a, b weight) int { return cmp.Compare(a.id, b.id) })
	out := ws[:0]
	for _, x := range ws {
		if n := len(out); n > 0 && out[n-1].id == x.id {
			out[n-1].w += x.w
		} else {
			out = append(out, x)
		}
	}
	return out
}

// dedup sorts by id and keeps the first weight of equal ids.
func (ws weights) dedup() weights {
	slices.SortStableFunc(ws, func(a, b weight) int { return cmp.Compare(a.id, b.id) })
	out := ws[:0]
	for _, x := range ws {
		if n := len(out); n == 0 || out[n-1].id != x.id {
			out = append(out, x)
		}
	}
	return out
}

// quantize turns raw weights, sorted by id, into a unit-length fixed-point
// vector, appended to dst (nil when every weight is 0).
func (ws weights) quantize(dst sparse) sparse {
	var norm float64
	for _, x := range ws {
		norm += x.w * x.w
	}
	if norm == 0 {
		return nil
	}
	scale := unit / math.Sqrt(norm)
	out := slices.Grow(dst, len(ws))
	for _, x := range ws {
		if q := int32(math.Round(x.w * scale)); q > 0 {
			out = append(out, entry{x.id, q})
		}
	}
	return out
}

// dot is the inner product of two vectors, in units of 1/unit².
func (a sparse) dot(b sparse) int64 {
	var s int64
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i].id < b[j].id:
			i++
		case a[i].id > b[j].id:
			j++
		default:
			s += int64(a[i].w) * int64(b[j].w)
			i++
			j++
		}
	}
	return s
}

// cosine of two unit vectors.
func (a sparse) cosine(b sparse) float64 { return float64(a.dot(b)) / (unit * unit) }

// has reports whether the vector holds the term.
func (a sparse) has(id uint32) bool {
	_, ok := slices.BinarySearchFunc(a, id, func(e entry, id uint32) int { return cmp.Compare(e.id, id) })
	return ok
}

// topInto writes the k heaviest entries (ties by id) into buf, sorted by
// id again.
func (a sparse) topInto(buf sparse, k int) sparse {
	if len(a) <= k {
		return append(buf, a...)
	}
	c := append(buf, a...)
	slices.SortFunc(c, func(x, y entry) int {
		if x.w != y.w {
			return int(y.w - x.w)
		}
		return cmp.Compare(x.id, y.id)
	})
	c = c[:k]
	slices.SortFunc(c, func(x, y entry) int { return cmp.Compare(x.id, y.id) })
	return c
}
