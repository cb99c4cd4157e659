package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"herald/feeds"
)

// LeaseQuery asks for due feeds to poll.
type LeaseQuery struct {
	Owner string        // the instance asking
	Topic string        // only this topic's feeds; every topic when empty
	URL   string        // only the feed with this URL; any when empty
	Pass  time.Time     // start of the poll pass: feeds due by then and not polled since
	Fresh time.Duration // nor polled within Fresh before Pass, by anyone (failing feeds excepted)
	Now   time.Time     // the clock leases are taken and expire by
	Lease time.Duration // how long the feeds stay claimed unless renewed
	Limit int
}

// LeaseDueFeeds claims for q.Owner up to q.Limit enabled feeds that were
// due when the pass began, were not polled since (nor within q.Fresh
// before it, by this instance or another, unless their last poll failed:
// those follow their backoff), and are not leased by anyone else, and
// returns them. A pass calls it until it returns nothing: each due feed is
// polled once per pass, even one due again at once.
// Instances sharing a database call it at the same moment without waiting
// for each other and never receive the same feed: on PostgreSQL rows being
// claimed are skipped (FOR UPDATE SKIP LOCKED); SQLite has a single
// writer. Saving the poll releases the lease; the lease of an instance
// that died expires and the feed is claimed again.
func (s *Store) LeaseDueFeeds(ctx context.Context, q LeaseQuery) ([]feeds.Feed, error) {
	var ids []any
	err := s.inTx(ctx, func(tx *txn) error {
		rows, err := tx.QueryContext(ctx, s.q(`UPDATE feeds SET lease_owner = ?, lease_until = ? WHERE id IN (
			SELECT f.id FROM feeds f WHERE f.disabled = 0 AND f.next_poll <= ? AND f.last_poll < ? AND f.lease_until <= ?
			AND (f.failures > 0 OR f.last_poll < ?)
			AND EXISTS (SELECT 1 FROM feed_topics t WHERE t.feed_id = f.id AND (? = '' OR t.topic = ?))
			AND (? = '' OR f.url = ?)
			ORDER BY f.next_poll, f.id LIMIT ?`+s.dialect.skipLocked+`) RETURNING id`),
			q.Owner, ms(q.Now.Add(q.Lease)), ms(q.Pass), ms(q.Pass), ms(q.Now), ms(q.Pass.Add(-q.Fresh)),
			q.Topic, q.Topic, q.URL, q.URL, q.Limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("lease due feeds for %s: %w", q.Owner, err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return s.queryFeeds(ctx, `SELECT `+feedColumns+` FROM feeds f WHERE f.id IN (`+placeholders(len(ids), 1)+`)
		ORDER BY f.next_poll, f.id`, ids...)
}

// ReleaseLeases gives up owner's leases, so that feeds an instance stopped
// polling at shutdown are taken over at once instead of after the expiry.
func (s *Store) ReleaseLeases(ctx context.Context, owner string) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE feeds SET lease_owner = '', lease_until = 0 WHERE lease_owner = ?`), owner)
	if err != nil {
		return fmt.Errorf("release leases of %s: %w", owner, err)
	}
	return nil
}

// ReleaseAllLeases voids every lease. A SQLite file has one daemon: the
// leases a killed run left behind would only keep the next run from
// polling those feeds until they expire.
func (s *Store) ReleaseAllLeases(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE feeds SET lease_owner = '', lease_until = 0 WHERE lease_owner <> ''`); err != nil {
		return fmt.Errorf("release leases: %w", err)
	}
	return nil
}

// Lease says which instance is polling a feed, until when.
type Lease struct {
	Owner string
	Until time.Time
}

// Leases returns the feeds' leases that have not expired at now, by feed id.
func (s *Store) Leases(ctx context.Context, now time.Time) (map[int64]Lease, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, lease_owner, lease_until FROM feeds
		WHERE lease_owner <> '' AND lease_until > ?`), ms(now))
	if err != nil {
		return nil, fmt.Errorf("query leases: %w", err)
	}
	defer rows.Close()
	out := map[int64]Lease{}
	for rows.Next() {
		var id, until int64
		var l Lease
		if err := rows.Scan(&id, &l.Owner, &until); err != nil {
			return nil, fmt.Errorf("scan lease: %w", err)
		}
		l.Until = fromMS(until)
		out[id] = l
	}
	return out, rows.Err()
}

// Leadership is the leader lock: at most one instance holds it, and that
// one runs the work that must not run twice at once (clustering). On
// PostgreSQL it is a session advisory lock on a connection kept for it, so
// it is lost when that connection or its process dies. A SQLite database
// has one instance, which always leads.
type Leadership struct {
	conn  *sql.Conn // nil on SQLite
	space int32     // the store's lockSpace
}

// TryLead takes the leader lock if no one holds it. It returns nil, nil
// when another instance leads.
func (s *Store) TryLead(ctx context.Context) (*Leadership, error) {
	if s.dialect.name != "postgres" {
		return &Leadership{}, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("try leader lock: %w", err)
	}
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1, $2)`, leaderLockKey, s.lockSpace).Scan(&got); err != nil {
		conn.Close()
		return nil, fmt.Errorf("try leader lock: %w", err)
	}
	if !got {
		conn.Close()
		return nil, nil
	}
	return &Leadership{conn: conn, space: s.lockSpace}, nil
}

// Check returns nil while the lock is still held; an error means it was
// lost (the connection broke) and the holder must stop leading.
func (l *Leadership) Check(ctx context.Context) error {
	if l.conn == nil {
		return nil
	}
	var n int
	err := l.conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'
		AND pid = pg_backend_pid() AND classid = $1 AND objid = $2 AND objsubid = 2 AND granted`,
		leaderLockKey, l.space).Scan(&n)
	switch {
	case err != nil:
		return fmt.Errorf("leader lock: %w", err)
	case n == 0:
		return fmt.Errorf("leader lock: no longer held")
	}
	return nil
}

// Release gives up the lock (closing its connection releases it too).
func (l *Leadership) Release(ctx context.Context) {
	if l.conn == nil {
		return
	}
	// On a broken connection the unlock fails, but the lock went with it.
	l.conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1, $2)`, leaderLockKey, l.space)
	l.conn.Close()
}

// Instance is one Herald process working on the database.
type Instance struct {
	ID      string
	Started time.Time
	Seen    time.Time // last heartbeat
	Leader  bool
	Leases  int // feeds it is polling now
}

// Heartbeat records that instance id is alive at now, and whether it
// leads; a leader clears the flag of any instance that led before it.
func (s *Store) Heartbeat(ctx context.Context, id string, started, now time.Time, leader bool) error {
	err := s.inTx(ctx, func(tx *txn) error {
		if err := tx.exec(ctx, `INSERT INTO instances (id, started_at, seen_at, leader) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at, leader = excluded.leader`,
			id, ms(started), ms(now), boolInt(leader)); err != nil {
			return err
		}
		if !leader {
			return nil
		}
		return tx.exec(ctx, `UPDATE instances SET leader = 0 WHERE id <> ? AND leader = 1`, id)
	})
	if err != nil {
		return fmt.Errorf("heartbeat of instance %s: %w", id, err)
	}
	return nil
}

// RemoveInstance forgets an instance that stopped cleanly.
func (s *Store) RemoveInstance(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM instances WHERE id = ?`), id); err != nil {
		return fmt.Errorf("remove instance %s: %w", id, err)
	}
	return nil
}

// Instances lists the instances seen since the given time, the leader
// first, each with the number of feeds it holds leases on at now.
func (s *Store) Instances(ctx context.Context, since, now time.Time) ([]Instance, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT i.id, i.started_at, i.seen_at, i.leader,
		(SELECT COUNT(*) FROM feeds f WHERE f.lease_owner = i.id AND f.lease_until > ?)
		FROM instances i WHERE i.seen_at >= ? ORDER BY i.leader DESC, i.id`), ms(now), ms(since))
	if err != nil {
		return nil, fmt.Errorf("query instances: %w", err)
	}
	defer rows.Close()
	var out []Instance
	for rows.Next() {
		var in Instance
		var started, seen int64
		if err := rows.Scan(&in.ID, &started, &seen, &in.Leader, &in.Leases); err != nil {
			return nil, fmt.Errorf("scan instance: %w", err)
		}
		in.Started, in.Seen = fromMS(started), fromMS(seen)
		out = append(out, in)
	}
	return out, rows.Err()
}

// RenewLeases extends owner's leases on the given feeds to until: an
// instance calls it while it polls them, so that a long batch keeps its
// feeds, while a dead instance's feeds, and a feed whose poll could not be
// saved, are free soon after their last renewal.
func (s *Store) RenewLeases(ctx context.Context, owner string, ids []int64, until time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{ms(until), owner}
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE feeds SET lease_until = ? WHERE lease_owner = ? AND id IN (`+
		placeholders(len(ids), 1)+`)`), args...)
	if err != nil {
		return fmt.Errorf("renew leases of %s: %w", owner, err)
	}
	return nil
}
