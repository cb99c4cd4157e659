package events

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Clustering is what one batch of placements decided: where each doc went,
// and the new state of every event and storyline it touched.
type Clustering struct {
	Assignments []Assignment
	Events      []Event
	Storylines  []Storyline
	Related     map[string][]Relation // by event id
}

// PlacedDoc is a doc placed earlier, with its event and the event's
// storyline, as a restarted placer reads it back.
type PlacedDoc struct {
	Doc                  Doc
	EventID, StorylineID string
}

// Store is what the placer needs of the database: the docs no event holds
// yet, oldest first, a place to keep its decisions, and the docs it placed
// in the last window, to restore its state after a restart.
type Store interface {
	UnclusteredDocs(ctx context.Context, limit int) ([]Doc, error)
	SaveClustering(ctx context.Context, cl Clustering) error
	LatestPlaced(ctx context.Context) (time.Time, error)
	PlacedDocsSince(ctx context.Context, since time.Time, each func(PlacedDoc)) error
}

// Snapshots is where a placer keeps its clusterer between runs, so that a
// restart reads it back and replays only the docs placed after it, rather
// than analysing the whole window again (snapshot.go). The placement
// number (PlacedThrough, PlacedDocsAfter) orders placements in the store.
type Snapshots interface {
	SaveSnapshot(ctx context.Context, key string, seq int64, write func(io.Writer) error) error
	LoadSnapshot(ctx context.Context, key string, read func(seq int64, r io.Reader) error) (found bool, err error)
	DropSnapshot(ctx context.Context) error
	PlacedThrough(ctx context.Context) (int64, error)
	PlacedDocsAfter(ctx context.Context, seq int64, each func(PlacedDoc)) error
}

// Placer is the deduplicator as a service: it feeds a Clusterer the docs
// the store holds unplaced and stores its decisions. It keeps the
// clusterer from round to round; after a restart, a failed save or Reset,
// it rebuilds it from the stored decisions, which gives the same events as
// before. Place is not safe for concurrent use: one loop owns a Placer.
type Placer struct {
	Store  Store
	Log    *slog.Logger
	Window time.Duration // how long an event stays open (Options.Window)
	// MaxHeld, when above 0, bounds the docs the clusterer holds: past it,
	// the events updated longest ago go before their window ends, down to
	// nine tenths of it (Clusterer.Bound).
	MaxHeld int
	// Full reports a save that failed for lack of space (nil: none does):
	// the next batches are smaller, so that placing catches up in what
	// space there is.
	Full func(error) bool
	// Placed, when set, is told of every stored batch and how long it took
	// (from the goroutine that runs Place: it may ask Held).
	Placed func(as []Assignment, took time.Duration)
	// Snapshots, when set, keeps the clusterer between runs. Place saves
	// it at most every SnapshotEvery, counted from its restore (0: only
	// when Snapshot is called).
	Snapshots     Snapshots
	SnapshotEvery time.Duration
	// Build names the running code in the snapshot's key, so that a
	// snapshot written by other code is rebuilt, not read. It is asked
	// only when a snapshot is read or saved (nil: the options and the
	// format alone name it).
	Build func() string

	c     *Clusterer // nil until restored
	batch int        // docs per save; 0 means batchSize
	// unsaved counts the docs placed since the stored snapshot, which a
	// restart would replay; -1 when no snapshot of this clusterer is stored.
	unsaved  int
	lastSave time.Time
}

// batchSize bounds one save of decisions; after a save failed for lack of
// space the next are smaller (down to minBatch), and each success doubles
// them again.
const (
	batchSize = 2000
	minBatch  = 50
)

// Held is how many docs the clusterer holds (0 before it is restored).
// Like Place, it must not run concurrently with Place.
func (p *Placer) Held() int {
	if p.c == nil {
		return 0
	}
	return p.c.Held()
}

// Reset drops the clusterer: the next Place rebuilds it from the store
// (another instance may have placed docs meanwhile).
func (p *Placer) Reset() { p.c = nil }

// Place places every unplaced doc and returns how many it placed.
func (p *Placer) Place(ctx context.Context) (int, error) {
	placed := 0
	for {
		docs, err := p.Store.UnclusteredDocs(ctx, cmp.Or(p.batch, batchSize))
		if err != nil {
			return placed, err
		}
		if len(docs) == 0 {
			if p.SnapshotEvery > 0 && time.Since(p.lastSave) >= p.SnapshotEvery {
				p.saveLogged(ctx)
			}
			return placed, nil
		}
		if p.c == nil {
			if err := p.restore(ctx); err != nil {
				return placed, err
			}
		}
		if err := p.placeBatch(ctx, docs); err != nil {
			p.c = nil // the clusterer saw decisions the store did not keep
			if p.Full != nil && p.Full(err) {
				p.batch = max(cmp.Or(p.batch, batchSize)/2, minBatch)
			}
			return placed, err
		}
		p.batch = min(2*cmp.Or(p.batch, batchSize), batchSize)
		if p.unsaved >= 0 {
			p.unsaved += len(docs)
		}
		placed += len(docs)
	}
}

func (p *Placer) placeBatch(ctx context.Context, docs []Doc) error {
	start := time.Now()
	as := make([]Assignment, 0, len(docs))
	for _, d := range docs {
		as = append(as, p.c.Add(d))
	}
	cl := p.c.Changes(as)
	if err := p.Store.SaveClustering(ctx, cl); err != nil {
		return fmt.Errorf("save clustering: %w", err)
	}
	p.c.Evict(docs[len(docs)-1].Published.Add(-p.Window))
	if held := p.c.Held(); p.c.Bound(p.MaxHeld) {
		p.log().Info("clustering bounded: evicted events before their window ended", "held_before", held,
			"held", p.c.Held(), "max_held", p.MaxHeld)
	}
	if p.Placed != nil {
		p.Placed(as, time.Since(start))
	}
	p.log().Info("clustered", "items", len(docs), "events_touched", len(cl.Events),
		"storylines_touched", len(cl.Storylines), "duration_ms", time.Since(start).Milliseconds())
	return nil
}

// restore resumes the clusterer from its snapshot, or else rebuilds it
// from the decisions stored for the last window of docs.
func (p *Placer) restore(ctx context.Context) error {
	opts := DefaultOptions()
	opts.Window = p.Window
	start := time.Now()
	latest, err := p.Store.LatestPlaced(ctx)
	if err != nil {
		return err
	}
	if p.Snapshots != nil {
		if ok, err := p.resume(ctx, opts, latest); ok || err != nil {
			return err
		}
	}
	c := New(opts)
	n := 0
	err = p.Store.PlacedDocsSince(ctx, latest.Add(-p.Window), func(pd PlacedDoc) {
		c.Restore(pd.Doc, pd.EventID, pd.StorylineID)
		c.Bound(p.MaxHeld) // while reading: a bounded window never holds more
		n++
	})
	if err != nil {
		return err
	}
	p.c, p.unsaved, p.lastSave = c, -1, time.Now()
	p.log().Info("restored clustering", "items", n, "from", "store", "duration_ms", time.Since(start).Milliseconds())
	return nil
}

func (p *Placer) log() *slog.Logger {
	if p.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Log
}

// Changes gathers what a batch of assignments touched: the records of
// their events, with the events' relations, and of their storylines.
func (c *Clusterer) Changes(as []Assignment) Clustering {
	cl := Clustering{Assignments: as, Related: map[string][]Relation{}}
	events, stories := map[string]bool{}, map[string]bool{}
	for _, a := range as {
		if events[a.EventID] {
			continue
		}
		events[a.EventID] = true
		ev, ok := c.Event(a.EventID)
		if !ok {
			continue
		}
		cl.Events = append(cl.Events, ev)
		cl.Related[ev.ID] = c.Related(ev.ID)
		if stories[ev.Storyline] {
			continue
		}
		stories[ev.Storyline] = true
		if st, ok := c.Storyline(ev.Storyline); ok {
			cl.Storylines = append(cl.Storylines, st)
		}
	}
	return cl
}
