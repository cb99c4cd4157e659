package events

import (
	"encoding/binary"
	"hash"
	"io"
	"maps"
	"math"
	"slices"
	"time"
)

// The snapshot's primitives: unsigned and signed varints, fixed-width
// hashes and floats, length-prefixed strings and lists, maps in key order.

// encoder writes the snapshot's primitives into a buffer it hands to w,
// and its checksum, a block at a time; the first error sticks.
type encoder struct {
	w   io.Writer
	crc hash.Hash32
	buf []byte
	err error
}

// flushAt is the size of the blocks handed to the writer.
const flushAt = 1 << 16

// more flushes the buffer when it is full; every primitive calls it first.
func (e *encoder) more() {
	if len(e.buf) >= flushAt {
		e.flush()
	}
}

func (e *encoder) flush() {
	if e.err == nil && len(e.buf) > 0 {
		e.crc.Write(e.buf)
		_, e.err = e.w.Write(e.buf)
	}
	e.buf = e.buf[:0]
}

// finish writes what is left and the checksum.
func (e *encoder) finish() error {
	e.flush()
	if e.err == nil {
		_, e.err = e.w.Write(binary.LittleEndian.AppendUint32(nil, e.crc.Sum32()))
	}
	return e.err
}

func (e *encoder) raw(p []byte)  { e.more(); e.buf = append(e.buf, p...) }
func (e *encoder) uint(v uint64) { e.more(); e.buf = binary.AppendUvarint(e.buf, v) }
func (e *encoder) int(v int64)   { e.more(); e.buf = binary.AppendVarint(e.buf, v) }
func (e *encoder) u32(v uint32)  { e.more(); e.buf = binary.LittleEndian.AppendUint32(e.buf, v) }
func (e *encoder) u64(v uint64)  { e.more(); e.buf = binary.LittleEndian.AppendUint64(e.buf, v) }
func (e *encoder) str(s string)  { e.uint(uint64(len(s))); e.buf = append(e.buf, s...) }
func (e *encoder) f64(v float64) { e.u64(math.Float64bits(v)) }

func (e *encoder) bool(b bool) {
	if b {
		e.uint(1)
	} else {
		e.uint(0)
	}
}

// time writes an instant as Unix nanoseconds, the zero time as a flag.
func (e *encoder) time(t time.Time) {
	e.bool(t.IsZero())
	if !t.IsZero() {
		e.int(t.UnixNano())
	}
}

func (e *encoder) uints(vs []uint32) {
	e.uint(uint64(len(vs)))
	for _, v := range vs {
		e.uint(uint64(v))
	}
}

func (e *encoder) strings(m map[string]string) {
	e.uint(uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		e.str(k)
		e.str(m[k])
	}
}

// sparse writes a vector's ids as steps from the one before (they are
// sorted), which keeps them to a byte or two.
func (e *encoder) sparse(v sparse) {
	e.uint(uint64(len(v)))
	e.entries(v)
}

// entries writes v's entries, without their count.
func (e *encoder) entries(v sparse) {
	prev := uint32(0)
	for _, x := range v {
		e.uint(uint64(x.id - prev))
		e.int(int64(x.w))
		prev = x.id
	}
}

func (e *encoder) centroids(c *centroids) {
	if c == nil {
		c = &centroids{}
	}
	e.uint(uint64(len(c.terms)))
	prev := uint32(0)
	for _, t := range c.terms {
		e.uint(uint64(t.id - prev))
		e.int(int64(t.count))
		e.int(int64(t.all))
		e.int(int64(t.title))
		prev = t.id
	}
	e.int(c.allNorm2)
	e.int(c.tNorm2)
}
