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
	var s signature
	for i := range s {
		s[i] = ^uint32(0)
	}
	for _, x := range shingles {
		x = mix64(x)
		for i := range s {
			// One multiply-add per function: h_i(x) = (a_i·x + b_i) >> 32.
			if h := uint32((x*hashMul[i] + hashAdd[i]) >> 32); h < s[i] {
				s[i] = h
			}
		}
	}
	return s
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
type lsh struct {
	buckets map[uint64][]string
}

func newLSH() *lsh { return &lsh{buckets: make(map[uint64][]string)} }

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
	for b := 0; b < lshBands; b++ {
		k := bandKey(s, b)
		x.buckets[k] = append(x.buckets[k], id)
	}
}

func (x *lsh) remove(id string, s *signature) {
	if s.empty() {
		return
	}
	for b := 0; b < lshBands; b++ {
		k := bandKey(s, b)
		ids := x.buckets[k]
		for i, v := range ids {
			if v == id {
				ids = append(ids[:i], ids[i+1:]...)
				break
			}
		}
		if len(ids) == 0 {
			delete(x.buckets, k)
		} else {
			x.buckets[k] = ids
		}
	}
}

// candidates lists the ids sharing at least one band with s, each once,
// in a deterministic order (band by band, oldest first).
func (x *lsh) candidates(s *signature) []string {
	if s.empty() {
		return nil
	}
	var out []string
	seen := make(map[string]bool)
	for b := 0; b < lshBands; b++ {
		for _, id := range x.buckets[bandKey(s, b)] {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}
