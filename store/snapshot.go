package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
)

// The deduplicator's clusterer is kept as a snapshot (migration 0600), so
// that a restart loads it instead of re-analysing its whole window. A
// snapshot is 100 MB and more: it is written and read in parts of
// snapshotPart bytes, partsPerRead at a time, and never held whole.
const (
	snapshotPart = 1 << 20
	partsPerRead = 4
)

// ErrSnapshotReplaced says that the snapshot being read was replaced by a
// newer one meanwhile: the reader read none of the newer one, and loading
// again reads that.
var ErrSnapshotReplaced = errors.New("the clusterer snapshot was replaced while it was read")

// SaveSnapshot replaces the stored clusterer snapshot, in one transaction,
// with what write writes, under key (the format and options it was written
// with) and seq (the placement number, items.cluster_seq, it includes).
// write's output is stored in chunks of about 1 MB as it comes, so the
// whole snapshot is never held in memory. If write or any insert fails, the
// transaction rolls back and the previous snapshot stays. The transaction
// holds SQLite's only connection while write runs: write must not use the
// store.
func (s *Store) SaveSnapshot(ctx context.Context, key string, seq int64, write func(io.Writer) error) error {
	err := s.inTx(ctx, func(tx *txn) error {
		// A new generation number for each snapshot keeps the parts of two
		// apart; on PostgreSQL its row lock also makes two writers take turns.
		gen, err := nextSeq(ctx, tx, "clusterer_snapshot", 1)
		if err != nil {
			return err
		}
		w := &partWriter{ctx: ctx, tx: tx, generation: gen, buf: make([]byte, 0, snapshotPart)}
		if err := write(w); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		if w.err != nil { // write went on after an insert failed
			return w.err
		}
		if err := w.flush(); err != nil {
			return err
		}
		if err := tx.exec(ctx, `DELETE FROM clusterer_snapshot_parts WHERE generation <> ?`, gen); err != nil {
			return fmt.Errorf("delete the previous one: %w", err)
		}
		err = tx.exec(ctx, `INSERT INTO clusterer_snapshot (id, generation, key, seq, parts, bytes) VALUES (1, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET generation = excluded.generation, key = excluded.key, seq = excluded.seq,
			parts = excluded.parts, bytes = excluded.bytes`, gen, key, seq, w.parts, w.bytes)
		if err != nil {
			return fmt.Errorf("save its header: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save clusterer snapshot: %w", err)
	}
	return nil
}

// partWriter stores what is written to it as numbered parts of one
// snapshot generation, a part each time its buffer fills.
type partWriter struct {
	ctx        context.Context
	tx         *txn
	generation int64
	buf        []byte
	parts      int
	bytes      int64
	err        error // the first failed insert: the transaction is lost
}

func (w *partWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 && w.err == nil {
		k := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf, p, n = w.buf[:len(w.buf)+k], p[k:], n+k
		if len(w.buf) == cap(w.buf) {
			w.err = w.flush()
		}
	}
	return n, w.err
}

// flush inserts the buffered bytes as the next part.
func (w *partWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	err := w.tx.exec(w.ctx, `INSERT INTO clusterer_snapshot_parts (generation, part, data) VALUES (?, ?, ?)`,
		w.generation, w.parts, w.buf)
	if err != nil {
		return fmt.Errorf("insert part %d: %w", w.parts, err)
	}
	w.parts++
	w.bytes += int64(len(w.buf))
	w.buf = w.buf[:0]
	return nil
}

// snapshotHeader is the stored snapshot's row of clusterer_snapshot.
type snapshotHeader struct {
	generation, seq, bytes int64
	key                    string
	parts                  int
}

// LoadSnapshot calls read with the stored snapshot's seq and a reader over
// its content, which reads it from the database a few parts at a time
// with the connection free in between. found is false when no snapshot is
// stored or it was written under another key. An error from read is
// returned wrapped, as is ErrSnapshotReplaced when read ignored it.
func (s *Store) LoadSnapshot(ctx context.Context, key string, read func(seq int64, r io.Reader) error) (found bool, err error) {
	var h snapshotHeader
	err = s.db.QueryRowContext(ctx, `SELECT generation, key, seq, parts, bytes FROM clusterer_snapshot WHERE id = 1`).
		Scan(&h.generation, &h.key, &h.seq, &h.parts, &h.bytes)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load clusterer snapshot: %w", err)
	}
	if h.key != key {
		return false, nil
	}
	r := &partReader{ctx: ctx, s: s, head: h}
	if err := read(h.seq, r); err != nil {
		return true, fmt.Errorf("load clusterer snapshot (seq %d): %w", h.seq, err)
	}
	if r.err != nil && r.err != io.EOF {
		return true, fmt.Errorf("load clusterer snapshot (seq %d): %w", h.seq, r.err)
	}
	return true, nil
}

// snapshotPartsQuery reads the next few parts of one snapshot generation,
// in order from the primary key (TestQueryPlans).
const snapshotPartsQuery = `SELECT part, data FROM clusterer_snapshot_parts
	WHERE generation = ? AND part >= ? ORDER BY part LIMIT ?`

// partReader reads one snapshot generation's parts in order. A newer
// snapshot deletes every part of the older one in the transaction that
// stores it, so a query finds all of the parts it asks for or none.
type partReader struct {
	ctx     context.Context
	s       *Store
	head    snapshotHeader
	next    int       // the first part not fetched yet
	pending []fetched // fetched parts not yet read; the first one partly
	spare   [][]byte  // the buffers of parts read, for the next ones
	err     error     // io.EOF at the end
}

// fetched is a part and how much of it was read.
type fetched struct {
	data []byte
	off  int
}

func (r *partReader) Read(p []byte) (int, error) {
	for len(r.pending) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.next == r.head.parts {
			r.err = io.EOF
		} else {
			r.err = r.fetch()
		}
	}
	f := &r.pending[0]
	n := copy(p, f.data[f.off:])
	if f.off += n; f.off == len(f.data) {
		r.spare = append(r.spare, f.data[:0])
		r.pending = r.pending[1:]
	}
	return n, nil
}

// buffer returns a buffer for a part of n bytes, a spare one if it fits.
func (r *partReader) buffer(n int) []byte {
	if k := len(r.spare); k > 0 && cap(r.spare[k-1]) >= n {
		b := r.spare[k-1]
		r.spare = r.spare[:k-1]
		return b
	}
	return make([]byte, 0, max(n, snapshotPart))
}

// fetch reads the next parts into pending.
func (r *partReader) fetch() error {
	rows, err := r.s.db.QueryContext(r.ctx, r.s.q(snapshotPartsQuery), r.head.generation, r.next, partsPerRead)
	if err != nil {
		return fmt.Errorf("read part %d: %w", r.next, err)
	}
	defer rows.Close()
	for rows.Next() {
		var part int
		var data sql.RawBytes // the driver's, until the next row: copied into a reused buffer
		if err := rows.Scan(&part, &data); err != nil {
			return fmt.Errorf("read part %d: %w", r.next, err)
		}
		if part != r.next || len(data) == 0 {
			return fmt.Errorf("part %d is missing or empty", r.next)
		}
		r.pending = append(r.pending, fetched{data: append(r.buffer(len(data)), data...)})
		r.next++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read part %d: %w", r.next, err)
	}
	if len(r.pending) == 0 {
		return ErrSnapshotReplaced
	}
	return nil
}

// DropSnapshot deletes the stored clusterer snapshot, for one that proved
// unreadable.
func (s *Store) DropSnapshot(ctx context.Context) error {
	err := s.inTx(ctx, func(tx *txn) error {
		if err := tx.exec(ctx, `DELETE FROM clusterer_snapshot_parts`); err != nil {
			return err
		}
		return tx.exec(ctx, `DELETE FROM clusterer_snapshot`)
	})
	if err != nil {
		return fmt.Errorf("drop clusterer snapshot: %w", err)
	}
	return nil
}
