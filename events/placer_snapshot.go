package events

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// resume reads the clusterer back from its snapshot and replays the docs
// placed after it. It reports false, to rebuild from the store instead,
// when there is no snapshot of these options and this build, or one too old
// to hold anything of the window (its newest doc is older than the window
// before latest); an unreadable snapshot is dropped. An error is the
// store's.
func (p *Placer) resume(ctx context.Context, opts Options, latest time.Time) (bool, error) {
	start := time.Now()
	var c *Clusterer
	var seq int64
	found, err := p.Snapshots.LoadSnapshot(ctx, p.snapshotKey(opts), func(s int64, r io.Reader) error {
		seq = s
		var err error
		c, err = ReadSnapshot(r, opts)
		return err
	})
	switch {
	case errors.Is(err, ErrDamagedSnapshot):
		p.log().Warn("clustering snapshot unreadable: rebuilding from the store", "error", err)
		return false, p.Snapshots.DropSnapshot(ctx)
	case err != nil && ctx.Err() == nil:
		p.log().Warn("clustering snapshot not read: rebuilding from the store", "error", err)
		return false, nil
	case err != nil:
		return false, err
	case !found:
		return false, nil
	case c.now.Before(latest.Add(-p.Window)):
		p.log().Info("clustering snapshot older than the window: rebuilding from the store", "snapshot_latest", c.now)
		return false, nil
	}
	replayed := 0
	err = p.Snapshots.PlacedDocsAfter(ctx, seq, func(pd PlacedDoc) {
		c.Restore(pd.Doc, pd.EventID, pd.StorylineID)
		c.Bound(p.MaxHeld)
		replayed++
	})
	if err != nil {
		return false, err
	}
	p.c, p.unsaved, p.lastSave = c, replayed, time.Now()
	p.log().Info("restored clustering", "items", len(c.docs), "from", "snapshot", "replayed", replayed,
		"duration_ms", time.Since(start).Milliseconds())
	return true, nil
}

// snapshotKey is the key of this placer's snapshots.
func (p *Placer) snapshotKey(opts Options) string {
	build := ""
	if p.Build != nil {
		build = p.Build()
	}
	return SnapshotKey(opts, build)
}

// replayShare is the share of the held docs a restart may replay after
// the stored snapshot before a new one is worth saving: replaying a doc
// costs a few times what writing it does, but a save writes them all.
const replayShare = 10

// Snapshot saves the clusterer so that the next start resumes from it,
// unless the stored snapshot is recent enough: a restart would replay
// fewer docs placed after it than a tenth of those held. The placer must
// not be placing meanwhile (one loop owns it).
func (p *Placer) Snapshot(ctx context.Context) error {
	if p.Snapshots == nil || p.c == nil || p.unsaved >= 0 && p.unsaved*replayShare < len(p.c.docs) {
		return nil
	}
	start := time.Now()
	// Read before the save: every placement through seq is in the
	// clusterer, as this placer made it or replayed it.
	seq, err := p.Snapshots.PlacedThrough(ctx)
	if err != nil {
		return fmt.Errorf("save clustering snapshot: %w", err)
	}
	var n countingWriter
	err = p.Snapshots.SaveSnapshot(ctx, p.snapshotKey(p.c.opts), seq, func(w io.Writer) error {
		n = countingWriter{w: w}
		return p.c.WriteSnapshot(&n)
	})
	if err != nil {
		return fmt.Errorf("save clustering snapshot: %w", err)
	}
	p.unsaved, p.lastSave = 0, time.Now()
	p.log().Info("saved clustering snapshot", "items", len(p.c.docs), "bytes", n.n,
		"duration_ms", time.Since(start).Milliseconds())
	return nil
}

// saveLogged saves a snapshot on the placer's own schedule: a failure is
// logged, not returned, as placing itself went well, and the next round
// tries again.
func (p *Placer) saveLogged(ctx context.Context) {
	if err := p.Snapshot(ctx); err != nil && ctx.Err() == nil {
		p.log().Warn("clustering snapshot not saved", "error", err)
		p.lastSave = time.Now() // not at every round while the store refuses
	}
}

// countingWriter counts the bytes of a snapshot, for the log.
type countingWriter struct {
	w io.Writer
	n int64
}

func (cw *countingWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	cw.n += int64(n)
	return n, err
}
