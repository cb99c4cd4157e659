package events

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
// It holds no pointer per entry, so the garbage collector has little to
// walk however many docs it holds: each doc gets a number, with lshBands
// slots (number*lshBands + band) in one flat array, and a bucket is a
// chain of slots, oldest first, whose ends the map keeps.
type lsh struct {
	buckets map[uint64]chain // by band key
	next    []uint32         // by slot: the next slot of its chain, plus one; 0 ends it
	ids     []string         // by number: the doc id, "" while the number is free
	free    []uint32         // numbers free for reuse
	mark    []uint32         // by number: the candidates call that last met the doc
	calls   uint32           // candidates calls so far
	out     []string         // candidates' result, reused
}

// chain is a bucket's first and last slot, plus one.
type chain struct{ first, last uint32 }

func newLSH() *lsh { return &lsh{buckets: make(map[uint64]chain)} }

func bandKey(s *signature, b int) uint64 {
	h := uint64(b) + 1
	for _, v := range s[b*lshRows : (b+1)*lshRows] {
		h = mix64(h ^ uint64(v))
	}
	return h
}

func (x *lsh) add(id string, s *signature) {
	if s.empty() {
		return
	}
	var n uint32
	if k := len(x.free); k > 0 {
		n, x.free = x.free[k-1], x.free[:k-1]
		x.ids[n] = id
	} else {
		n = uint32(len(x.ids))
		x.ids = append(x.ids, id)
		x.mark = append(x.mark, 0)
		x.next = append(x.next, make([]uint32, lshBands)...)
	}
	for b := 0; b < lshBands; b++ {
		k, slot := bandKey(s, b), n*lshBands+uint32(b)
		x.next[slot] = 0
		if c, ok := x.buckets[k]; ok {
			x.next[c.last-1] = slot + 1
			x.buckets[k] = chain{c.first, slot + 1}
		} else {
			x.buckets[k] = chain{slot + 1, slot + 1}
		}
	}
}

func (x *lsh) remove(id string, s *signature) {
	if s.empty() {
		return
	}
	n := ^uint32(0)
	for b := 0; b < lshBands; b++ {
		k := bandKey(s, b)
		c, ok := x.buckets[k]
		if !ok {
			continue
		}
		prev := uint32(0)
		for cur := c.first; cur != 0; prev, cur = cur, x.next[cur-1] {
			m := (cur - 1) / lshBands
			// Once the doc's number is known, numbers are compared, not
			// strings: a string compare reads the id's bytes elsewhere in
			// memory.
			if n != ^uint32(0) && m != n || n == ^uint32(0) && x.ids[m] != id {
				continue
			}
			n = m
			x.unlink(k, c, prev, cur)
			break
		}
	}
	if n != ^uint32(0) {
		x.ids[n] = ""
		x.free = append(x.free, n)
	}
}

// unlink takes slot cur (plus one), which follows prev (0 for none), out
// of bucket k's chain c.
func (x *lsh) unlink(k uint64, c chain, prev, cur uint32) {
	after := x.next[cur-1]
	switch {
	case prev == 0 && after == 0:
		delete(x.buckets, k)
		return
	case prev == 0:
		c.first = after
	default:
		x.next[prev-1] = after
	}
	if c.last == cur {
		c.last = prev
	}
	x.buckets[k] = c
}

// candidates lists the ids sharing at least one band with s, each once,
// in a deterministic order (band by band, oldest first). The result is
// only valid until the next call.
func (x *lsh) candidates(s *signature) []string {
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
		for cur := x.buckets[bandKey(s, b)].first; cur != 0; cur = x.next[cur-1] {
			if n := (cur - 1) / lshBands; x.mark[n] != x.calls {
				x.mark[n] = x.calls
				out = append(out, x.ids[n])
			}
		}
	}
	clear(out[len(out):cap(out)]) // pins no id once it is gone
	x.out = out
	return out
}
