package events

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"slices"
)

// A snapshot is the clusterer's whole state written out, so that a restart
// reads it back instead of analysing every doc of the window again (the
// store's copy of each is re-read, re-split into words and re-weighed: some
// seconds per hundred thousand docs). A clusterer read from a snapshot and
// fed the rest of the stream ends in the state of one fed the whole stream
// (TestSnapshotMidStreamEqualsUninterruptedRun), to the byte of a second
// snapshot.
//
// The format is a version, then each structure in a fixed order: varints,
// maps in key order, pointers as numbers in those orders, and a CRC-32 of
// it all at the end. What only speeds a lookup up (the word cache, the
// resolved lexicon neighbours, a lookup's marks) is not written: it is
// rebuilt as it is used, to the same values.
//
// snapshotVersion changes with the format; SnapshotKey also names the
// options and the build, so a snapshot of other weights or other code (whose
// analysis may differ) is never read, only rebuilt.
const snapshotVersion = 6 // 2: held docs keep no text, names or counted-term list; 3: nor URL; 4: nor lead; 5: nor weight sum; 6: near-copy buckets are rings under 32-bit keys; 7: an event names its names by term; 8: nor title

var snapshotMagic = []byte("herald-clusterer\n")

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// SnapshotKey names what a snapshot can be read with: its format, the
// options and the build that wrote it (build names the running code; the
// Placer's caller gives it).
func SnapshotKey(opts Options, build string) string {
	opts = opts.withDefaults()
	h := sha256.New()
	fmt.Fprintf(h, "%#v\nbuild=%s\n", opts, build)
	return fmt.Sprintf("v%d-%s", snapshotVersion, hex.EncodeToString(h.Sum(nil)[:12]))
}

// WriteSnapshot writes the clusterer's state to w.
func (c *Clusterer) WriteSnapshot(w io.Writer) error {
	e := &encoder{w: w, crc: crc32.New(crcTable), buf: make([]byte, 0, flushAt+1024)}
	e.raw(snapshotMagic)
	e.uint(snapshotVersion)
	e.time(c.now)
	o := c.ordinals()
	e.uint(uint64(len(o.docIDs)))
	e.uint(uint64(len(o.eventIDs)))
	e.uint(uint64(len(o.storyIDs)))
	c.vocab.write(e)
	c.boiler.write(e)
	c.habits.write(e)
	for _, id := range o.docIDs {
		c.docs[id].write(e)
	}
	for _, id := range o.eventIDs {
		c.events[id].write(e, o)
	}
	for _, id := range o.storyIDs {
		c.stories[id].write(e, o)
	}
	e.strings(c.aliases)
	e.strings(c.storyAliases)
	c.dups.write(e, o)
	writeIndex(e, c.index, o.events)
	writeIndex(e, c.storyIndex, o.stories)
	if err := e.finish(); err != nil {
		return fmt.Errorf("write clusterer snapshot: %w", err)
	}
	return nil
}

// ReadSnapshot reads a clusterer written by WriteSnapshot, which must have
// been written with the same options (SnapshotKey). A snapshot that does
// not read back whole and consistent, or fails its checksum, is an error:
// the caller rebuilds the clusterer from the stored docs instead.
func ReadSnapshot(r io.Reader, opts Options) (*Clusterer, error) {
	d := &decoder{r: r, crc: crc32.New(crcTable)}
	c := New(opts)
	c.readFrom(d)
	d.checkSum()
	if d.err != nil {
		return nil, fmt.Errorf("read clusterer snapshot: %w", d.err)
	}
	return c, nil
}

func (c *Clusterer) readFrom(d *decoder) {
	magic := d.bytes(len(snapshotMagic))
	if !bytes.Equal(magic, snapshotMagic) || d.uint() != snapshotVersion {
		d.fail("not a clusterer snapshot of version %d", snapshotVersion)
		return
	}
	c.now = d.time()
	nDocs, nEvents, nStories := d.count(), d.count(), d.count()
	// Sized from the counts: grown one entry at a time, the maps rehash
	// as they double.
	c.docs = make(map[string]*docState, mapCap(nDocs))
	c.events = make(map[string]*eventState, mapCap(nEvents))
	c.stories = make(map[string]*storyline, mapCap(nStories))
	c.vocab.read(d)
	c.boiler.read(d)
	c.habits.read(d)
	// A damaged count allocates little: see capped.
	docs := make([]*docState, 0, capped(nDocs))
	for range d.each(nDocs) {
		docs = append(docs, readDoc(d, &c.labels))
		c.docs[docs[len(docs)-1].id] = docs[len(docs)-1]
	}
	stories := &storyRefs{n: nStories, byOrd: map[uint64]*storyline{}}
	evs := make([]*eventState, 0, capped(nEvents))
	for range d.each(nEvents) {
		evs = append(evs, readEvent(d, docs, stories, c.vocab))
		c.events[evs[len(evs)-1].id] = evs[len(evs)-1]
	}
	listed := 0
	for i := range d.each(nStories) {
		st := stories.at(uint64(i))
		st.read(d, evs)
		c.stories[st.id] = st
		stories.list = append(stories.list, st)
		listed += len(st.events)
	}
	if listed != len(evs) {
		d.fail("storylines list %d events of %d", listed, len(evs))
	}
	for _, ds := range docs {
		if ds.event == nil && d.err == nil {
			d.fail("doc %s is in no event", ds.id)
		}
	}
	c.aliases, c.storyAliases = d.strings(), d.strings()
	c.dups.read(d, docs)
	c.index = readIndex(d, evs, &eventState{})
	c.storyIndex = readIndex(d, stories.list, &storyline{})
}

// storyRefs are the storylines while events refer to them before they are
// read: each is made when first referred to.
type storyRefs struct {
	n     int
	byOrd map[uint64]*storyline
	list  []*storyline // in order, once read
}

func (s *storyRefs) at(ord uint64) *storyline {
	st := s.byOrd[ord]
	if st == nil {
		st = &storyline{}
		s.byOrd[ord] = st
	}
	return st
}

// ref reads a reference (refOf) to one of the storylines.
func (s *storyRefs) ref(d *decoder) *storyline {
	r := d.uint()
	if r < 2 || r-2 >= uint64(s.n) {
		d.fail("reference %d to one of %d storylines", r, s.n)
		return nil
	}
	return s.at(r - 2)
}

// ordinals numbers the held docs, events and storylines in id order: the
// snapshot refers to them by these numbers.
type ordinals struct {
	docIDs, eventIDs, storyIDs []string
	docs                       map[*docState]int
	events                     map[*eventState]int
	stories                    map[*storyline]int
}

func (c *Clusterer) ordinals() *ordinals {
	o := &ordinals{
		docIDs:   slices.Sorted(maps.Keys(c.docs)),
		eventIDs: slices.Sorted(maps.Keys(c.events)),
		storyIDs: slices.Sorted(maps.Keys(c.stories)),
		docs:     make(map[*docState]int, len(c.docs)),
		events:   make(map[*eventState]int, len(c.events)),
		stories:  make(map[*storyline]int, len(c.stories)),
	}
	for i, id := range o.docIDs {
		o.docs[c.docs[id]] = i
	}
	for i, id := range o.eventIDs {
		o.events[c.events[id]] = i
	}
	for i, id := range o.storyIDs {
		o.stories[c.stories[id]] = i
	}
	return o
}

// ErrDamagedSnapshot is what reading a snapshot that is not whole and
// consistent returns.
var ErrDamagedSnapshot = errors.New("clusterer snapshot is damaged or of another format")
