package events

import (
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"iter"
	"math"
	"time"
)

// decoder reads the snapshot's primitives from a buffer it refills from r,
// summing what it consumed; the first error sticks, and every read after
// it yields zeros.
type decoder struct {
	r     io.Reader
	crc   hash.Hash32
	buf   []byte // buf[pos:] is read but not consumed; buf[:pos] is consumed, not summed
	pos   int
	eof   bool
	err   error
	terms uint32 // the vocabulary's size: every term id is below it
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrDamagedSnapshot}, args...)...)
	}
}

// fill makes at least n bytes available unless the stream ends first, and
// reports whether they are.
func (d *decoder) fill(n int) bool {
	if len(d.buf)-d.pos >= n {
		return true
	}
	d.crc.Write(d.buf[:d.pos])
	d.buf = d.buf[:copy(d.buf, d.buf[d.pos:])]
	d.pos = 0
	for len(d.buf) < n && !d.eof {
		if cap(d.buf)-len(d.buf) < flushAt {
			d.buf = append(d.buf, make([]byte, flushAt)...)[:len(d.buf)]
		}
		k, err := d.r.Read(d.buf[len(d.buf):cap(d.buf)])
		d.buf = d.buf[:len(d.buf)+k]
		if err == io.EOF {
			d.eof = true
		} else if err != nil {
			d.fail("%v", err)
			return false
		}
	}
	return len(d.buf) >= n
}

// bytes returns the next n bytes, valid until the next read.
func (d *decoder) bytes(n int) []byte {
	if d.err != nil {
		return nil
	}
	if !d.fill(n) {
		d.fail("ends early")
		return nil
	}
	p := d.buf[d.pos : d.pos+n]
	d.pos += n
	return p
}

func (d *decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	d.fill(binary.MaxVarintLen64)
	v, n := binary.Uvarint(d.buf[d.pos:])
	if n <= 0 {
		d.fail("bad number")
		return 0
	}
	d.pos += n
	return v
}

// int reads a signed varint: zig-zag encoded, as binary.AppendVarint
// writes it.
func (d *decoder) int() int64 {
	u := d.uint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (d *decoder) u32() uint32 {
	if p := d.bytes(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if p := d.bytes(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

// maxCount bounds a count read before its elements: a damaged one must
// not allocate more than the snapshot could hold.
const maxCount = 1 << 28

func (d *decoder) count() int {
	n := d.uint()
	if n > maxCount {
		d.fail("count %d is too large", n)
		return 0
	}
	return int(n)
}

// each counts to n while the snapshot reads well: a damaged count ends
// with the first error, not after n empty reads.
func (d *decoder) each(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; i < n && d.err == nil; i++ {
			if !yield(i) {
				return
			}
		}
	}
}

// mapCap is a map's initial size for n entries, bounded as capped is.
func mapCap(n int) int { return min(n, 1<<20) }

// capped is a slice capacity for n elements that a damaged count cannot
// make large: longer slices grow as their elements are read. Every
// element read takes a byte of input or more, and a list whose count is
// larger than what follows ends the read, so what a damaged count
// allocates is bounded by the input plus one capped list.
func capped(n int) int { return min(n, 1<<16) }

func (d *decoder) str() string {
	n := d.count()
	if n == 0 {
		return ""
	}
	return string(d.bytes(n))
}

func (d *decoder) bool() bool { return d.uint() != 0 }

func (d *decoder) time() time.Time {
	if d.bool() {
		return time.Time{}
	}
	return time.Unix(0, d.int()).UTC()
}

// slot reads an index slot number below n.
func (d *decoder) slot(n int) int32 {
	v := d.int()
	if v < 0 || v >= int64(n) {
		d.fail("slot %d out of %d", v, n)
		return 0
	}
	return int32(v)
}

func (d *decoder) term(id uint64) uint32 {
	if id >= uint64(d.terms) {
		d.fail("term %d out of %d", id, d.terms)
		return 0
	}
	return uint32(id)
}

func (d *decoder) uints() []uint32 {
	n := d.count()
	if n == 0 {
		return nil
	}
	out := make([]uint32, 0, capped(n))
	for range d.each(n) {
		out = append(out, uint32(d.uint()))
	}
	return out
}

func (d *decoder) termIDs() []uint32 {
	out := d.uints()
	for i, id := range out {
		out[i] = d.term(uint64(id))
	}
	return out
}

func (d *decoder) strings() map[string]string {
	n := d.count()
	m := make(map[string]string, mapCap(n))
	for range d.each(n) {
		k := d.str()
		m[k] = d.str()
	}
	return m
}

func (d *decoder) sparse() sparse {
	n := d.count()
	if n == 0 {
		return nil
	}
	return d.entries(make(sparse, 0, capped(n)), n)
}

// entries appends n entries to v.
func (d *decoder) entries(v sparse, n int) sparse {
	id := uint64(0)
	for range d.each(n) {
		id += d.uint()
		v = append(v, entry{d.term(id), int32(d.int())})
	}
	return v
}

func (d *decoder) centroids() centroids {
	var c centroids
	n := d.count()
	c.ids, c.terms = make([]uint32, 0, capped(n)), make([]termStat, 0, capped(n))
	id := uint64(0)
	for range d.each(n) {
		id += d.uint()
		st := termStat{id: d.term(id), count: int32(d.int()), all: int32(d.int()), title: int32(d.int())}
		c.ids = append(c.ids, st.id)
		c.terms = append(c.terms, st)
	}
	c.allNorm2, c.tNorm2 = d.int(), d.int()
	return c
}

func readCounts[N uint16 | int32](d *decoder) map[uint64]N {
	n := d.count()
	m := make(map[uint64]N, mapCap(n))
	for range d.each(n) {
		k := d.u64()
		m[k] = N(d.int())
	}
	return m
}

// checkSum reads the trailing checksum and compares it with the sum of
// what was read.
func (d *decoder) checkSum() {
	if d.err != nil {
		return
	}
	if !d.fill(4) {
		d.fail("no checksum")
		return
	}
	d.crc.Write(d.buf[:d.pos])
	if binary.LittleEndian.Uint32(d.buf[d.pos:]) != d.crc.Sum32() {
		d.fail("checksum mismatch")
	}
}

func (d *decoder) f64() float64 { return math.Float64frombits(d.u64()) }

// refTo reads a reference (refOf) that must be to an element of list;
// it yields the zero value when it is not.
func refTo[T any](d *decoder, list []T) T {
	var zero T
	r := d.uint()
	if r < 2 || r-2 >= uint64(len(list)) {
		d.fail("reference %d to one of %d", r, len(list))
		return zero
	}
	return list[r-2]
}

// ordOf reads an ordinal into list; it yields the zero value when it is
// out of range.
func ordOf[T any](d *decoder, list []T) T {
	var zero T
	v := d.uint()
	if v >= uint64(len(list)) {
		d.fail("ordinal %d out of %d", v, len(list))
		return zero
	}
	return list[v]
}
