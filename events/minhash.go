package events

import "slices"

// Near duplicates (one wire story under several URLs, a headline edited
// between two polls) are found with MinHash: each item is reduced to the
// smallest hash values of its word pairs under sigSize hash functions, so
// the share of equal minima estimates the Jaccard overlap of the pair sets.
// Locality-sensitive hashing over bands of the signature finds the
// candidates without comparing against every earlier item.

const (
	sigSize  = 32 // hash functions; 1/32 resolution on the Jaccard estimate
	lshBands = 8  // bands of lshRows; a pair with Jaccard 0.6 meets in one of them with p≈0.7
	lshRows  = sigSize / lshBands
)

type signature [sigSize]uint32

// minhash computes the signature of a set of shingle hashes. An empty set
// gets the all-ones signature, which matches nothing by construction of
// the LSH index (see lsh.add).
func minhash(shingles []uint64) signature {
	s := emptySignature()
	for _, x := range shingles {
		s.fold(x)
	}
	return s
}

// minhashTerms is minhash(shingles(title followed by body)), without
// building either slice: it runs once per item.
func minhashTerms(title, body []uint32) signature {
	s := emptySignature()
	at := func(i int) uint64 {
		if i < len(title) {
			return uint64(title[i])
		}
		return uint64(body[i-len(title)])
	}
	n := len(title) + len(body)
	if n == 1 {
		s.fold(mix64(at(0)))
	}
	for i := 0; i+1 < n; i++ {
		s.fold(mix64(at(i)<<32 | at(i+1)))
	}
	return s
}

func emptySignature() signature {
	var s signature
	for i := range s {
		s[i] = ^uint32(0)
	}
	return s
}

// fold takes one shingle hash into the minima.
func (s *signature) fold(x uint64) {
	x = mix64(x)
	for i := range s {
		// One multiply-add per function: h_i(x) = (a_i·x + b_i) >> 32.
		if h := uint32((x*hashMul[i] + hashAdd[i]) >> 32); h < s[i] {
			s[i] = h
		}
	}
}

// hashMul and hashAdd parametrise the sigSize hash functions: odd
// multipliers and offsets drawn from SplitMix64, fixed so that signatures
// are stable across runs and restarts.
var hashMul, hashAdd = func() (m, a [sigSize]uint64) {
	for i := range m {
		m[i] = mix64(uint64(2*i+1)) | 1
		a[i] = mix64(uint64(2*i + 2))
	}
	return m, a
}()

// similarity estimates the Jaccard overlap of the two shingle sets.
func (s *signature) similarity(o *signature) float64 {
	same := 0
	for i := range s {
		if s[i] == o[i] {
			same++
		}
	}
	return float64(same) / sigSize
}

func (s *signature) empty() bool { return s[0] == ^uint32(0) }

// mix64 is the SplitMix64 finaliser: a cheap, well-spread 64-bit hash.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// shingles hashes adjacent term pairs; a one-term text is its term.
func shingles(terms []uint32) []uint64 {
	hs := make([]uint64, 0, len(terms))
	for i := range terms {
		if i+1 < len(terms) {
			hs = append(hs, mix64(uint64(terms[i])<<32|uint64(terms[i+1])))
		} else if len(terms) == 1 {
			hs = append(hs, mix64(uint64(terms[i])))
		}
	}
	return hs
}

// hashString is FNV-1a over the bytes of s.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// lsh indexes signatures by band so that similar ones meet in a bucket.
//
// Each doc gets a number, with lshBands slots (number*lshBands + band) in
// one flat array, and a bucket is a ring of slots in the order they came:
// next links each slot to the one after it, and the last one back to the
// first. The map keeps each ring's last slot under 32 bits of the band's
// hash, 8 bytes an entry where the whole hash and both ends took 16. Two
// bands may share those 32 bits, so a slot counts only when its doc's rows
// of the band equal the query's (the signatures are at hand in the docs).
type lsh struct {
	buckets map[uint32]uint32 // by band key: the ring's last slot, plus one
	next    []uint32          // by slot: the next slot of its ring, plus one
	docs    []*docState       // by number; nil while the number is free
	free    []uint32          // numbers free for reuse
	mark    []uint32          // by number: the candidates call that last met the doc
	calls   uint32            // candidates calls so far
	out     []*docState       // candidates' result, reused
}

func newLSH() *lsh { return &lsh{buckets: make(map[uint32]uint32)} }

func bandKey(s *signature, b int) uint32 {
	h := uint64(b) + 1
	for _, v := range band(s, b) {
		h = mix64(h ^ uint64(v))
	}
	return uint32(h >> 32)
}

func band(s *signature, b int) []uint32 { return s[b*lshRows : (b+1)*lshRows] }

func (x *lsh) add(ds *docState) {
	s := &ds.an.sig
	if s.empty() {
		return
	}
	var n uint32
	if k := len(x.free); k > 0 {
		n, x.free = x.free[k-1], x.free[:k-1]
		x.docs[n] = ds
	} else {
		n = uint32(len(x.docs))
		x.docs = append(x.docs, ds)
		x.mark = append(x.mark, 0)
		x.next = append(x.next, make([]uint32, lshBands)...)
	}
	for b := 0; b < lshBands; b++ {
		k, slot := bandKey(s, b), n*lshBands+uint32(b)+1
		if last, ok := x.buckets[k]; ok {
			x.next[slot-1], x.next[last-1] = x.next[last-1], slot
		} else {
			x.next[slot-1] = slot
		}
		x.buckets[k] = slot
	}
}

func (x *lsh) remove(ds *docState) {
	s := &ds.an.sig
	if s.empty() {
		return
	}
	n, ok := x.number(ds, bandKey(s, 0))
	if !ok {
		return
	}
	for b := 0; b < lshBands; b++ {
		x.unlink(bandKey(s, b), n*lshBands+uint32(b)+1)
	}
	x.docs[n] = nil
	x.free = append(x.free, n)
}

// number finds the doc's number in the ring of its first band.
func (x *lsh) number(ds *docState, k uint32) (uint32, bool) {
	last, ok := x.buckets[k]
	if !ok {
		return 0, false
	}
	for cur := x.next[last-1]; ; cur = x.next[cur-1] {
		if n := (cur - 1) / lshBands; (cur-1)%lshBands == 0 && x.docs[n] == ds {
			return n, true
		}
		if cur == last {
			return 0, false
		}
	}
}

// unlink takes slot (plus one) out of bucket k's ring.
func (x *lsh) unlink(k, slot uint32) {
	last, ok := x.buckets[k]
	if !ok {
		return
	}
	prev := last
	for x.next[prev-1] != slot {
		if prev = x.next[prev-1]; prev == last {
			return // not in this ring
		}
	}
	switch {
	case prev == slot: // the ring's only slot
		delete(x.buckets, k)
	case slot == last:
		x.next[prev-1] = x.next[slot-1]
		x.buckets[k] = prev
	default:
		x.next[prev-1] = x.next[slot-1]
	}
	x.next[slot-1] = 0
}

// candidates lists the docs sharing at least one band with s, each once,
// in a deterministic order (band by band, oldest first). The result is
// only valid until the next call.
func (x *lsh) candidates(s *signature) []*docState {
	if s.empty() {
		return nil
	}
	x.calls++
	if x.calls == 0 { // wrapped: old marks could be taken for this call's
		clear(x.mark)
		x.calls = 1
	}
	out := x.out[:0]
	for b := 0; b < lshBands; b++ {
		last, ok := x.buckets[bandKey(s, b)]
		if !ok {
			continue
		}
		rows := band(s, b)
		for cur := x.next[last-1]; ; cur = x.next[cur-1] {
			n := (cur - 1) / lshBands
			if int(cur-1)%lshBands == b && x.mark[n] != x.calls && slices.Equal(band(&x.docs[n].an.sig, b), rows) {
				x.mark[n] = x.calls
				out = append(out, x.docs[n])
			}
			if cur == last {
				break
			}
		}
	}
	clear(out[len(out):cap(out)]) // pins no doc once it is gone
	x.out = out
	return out
}
