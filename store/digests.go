package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"herald/digest"
	"herald/events"
)

const outboxColumns = `id, subscriber, period_start, period_end, status, late, message_id, subject,
	event_count, attempts, next_attempt, claimed_by, claimed_until, last_error, created_at, sent_at, unconfirmed`

// SaveDigest records a rendered digest and the events it covers in one
// transaction. A digest is identified by (subscriber, period end): when
// one exists already (an earlier run or another instance rendered it),
// nothing is written and the stored one is returned with created false.
func (s *Store) SaveDigest(ctx context.Context, d digest.Record, covered []digest.Covered) (stored digest.Record, created bool, err error) {
	d.Subscriber = strings.ToLower(d.Subscriber)
	err = s.inTx(ctx, func(tx *txn) error {
		var id int64
		err := tx.scanRow(ctx, `INSERT INTO digests (subscriber, period_start, period_end, status, late, message_id,
			subject, message, event_count, next_attempt, created_at, through_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (subscriber, period_end) DO NOTHING RETURNING id`,
			[]any{d.Subscriber, ms(d.PeriodStart), ms(d.PeriodEnd), d.Status, boolInt(d.Late), d.MessageID,
				d.Subject, string(d.Message), len(covered), ms(d.NextAttempt), ms(d.CreatedAt), d.ThroughSeq}, &id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created = false
		case err != nil:
			return fmt.Errorf("save digest for %s: %w", d.Subscriber, err)
		default:
			created = true
			if err := saveCovered(ctx, tx, id, covered); err != nil {
				return err
			}
		}
		stored, err = scanOutbox(ctx, tx, `subscriber = ? AND period_end = ?`, d.Subscriber, ms(d.PeriodEnd))
		return err
	})
	if err == nil && created {
		s.keptData()
	}
	return stored, created, err
}

func saveCovered(ctx context.Context, tx *txn, id int64, covered []digest.Covered) error {
	for _, c := range covered {
		if err := tx.exec(ctx, `INSERT INTO digest_events (digest_id, event_id, sources, size, is_update, storyline_id, heading)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, c.EventID, c.Sources, c.Size, boolInt(c.Update), c.Storyline, c.Heading); err != nil {
			return fmt.Errorf("save digest %d event %s: %w", id, c.EventID, err)
		}
	}
	return nil
}

// scanOutbox reads one full row (message included) in a transaction.
func scanOutbox(ctx context.Context, tx *txn, where string, args ...any) (digest.Record, error) {
	var d digest.Record
	var msg string
	dest := append(outboxDest(&d), &msg)
	if err := tx.scanRow(ctx, `SELECT `+outboxColumns+`, message FROM digests WHERE `+where, args, dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return d, fmt.Errorf("digest: %w", ErrNotFound)
		}
		return d, fmt.Errorf("read digest: %w", err)
	}
	d.Message = []byte(msg)
	return d, nil
}

func outboxDest(d *digest.Record) []any {
	return []any{&d.ID, &d.Subscriber, msTime{&d.PeriodStart}, msTime{&d.PeriodEnd}, &d.Status, intBool{&d.Late},
		&d.MessageID, &d.Subject, &d.Events, &d.Attempts, msTime{&d.NextAttempt}, &d.ClaimedBy,
		msTime{&d.ClaimedUntil}, &d.LastError, msTime{&d.CreatedAt}, msTime{&d.SentAt}, &d.Unconfirmed}
}

// msTime scans a Unix-milliseconds column into a time.
type msTime struct{ t *time.Time }

func (m msTime) Scan(src any) error {
	v, ok := src.(int64)
	if !ok {
		return fmt.Errorf("time column: want an integer, got %T", src)
	}
	*m.t = fromMS(v)
	return nil
}

// intBool scans a 0/1 column into a bool.
type intBool struct{ b *bool }

func (m intBool) Scan(src any) error {
	v, ok := src.(int64)
	if !ok {
		return fmt.Errorf("boolean column: want an integer, got %T", src)
	}
	*m.b = v != 0
	return nil
}

// PlacedThrough returns the deduplicator's latest placement number
// (items.cluster_seq), 0 when nothing was ever placed.
func (s *Store) PlacedThrough(ctx context.Context) (int64, error) {
	var v int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(value), 0) FROM sequences WHERE name = 'cluster_seq'`).Scan(&v); err != nil {
		return 0, fmt.Errorf("latest placement: %w", err)
	}
	return v, nil
}

// DigestThrough returns the placement number the subscriber's latest
// digest saw; ok is false when it has no digest yet.
func (s *Store) DigestThrough(ctx context.Context, email string) (seq int64, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, s.q(`SELECT through_seq FROM digests WHERE subscriber = ?
		ORDER BY period_end DESC LIMIT 1`), strings.ToLower(email)).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("latest digest of %s: %w", email, err)
	}
	return seq, true, nil
}

// LastDigestEnd returns the end of the subscriber's latest digest period,
// whatever became of it (zero when there is none).
func (s *Store) LastDigestEnd(ctx context.Context, email string) (time.Time, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COALESCE(MAX(period_end), 0) FROM digests WHERE subscriber = ?`),
		strings.ToLower(email)).Scan(&v)
	if err != nil {
		return time.Time{}, fmt.Errorf("last digest of %s: %w", email, err)
	}
	return fromMS(v), nil
}

// SentEvents returns, for each event listed in the subscriber's digests
// (pending or sent) whose period ended at or after since, the most
// independent sources it was listed with. An event folded into another
// counts under the id it lives on.
func (s *Store) SentEvents(ctx context.Context, email string, since time.Time) (map[string]int, error) {
	return s.countsOf(ctx, "events sent to "+email, s.q(`SELECT COALESCE(a.new_id, e.event_id), MAX(e.sources)
		FROM digest_events e JOIN digests d ON d.id = e.digest_id
		LEFT JOIN event_aliases a ON a.old_id = e.event_id
		WHERE d.subscriber = ? AND d.status IN ('pending', 'sent') AND d.period_end >= ?
		GROUP BY COALESCE(a.new_id, e.event_id)`), strings.ToLower(email), ms(since))
}

// countsOf runs a query of (key, count) rows into a map; noun names what
// is counted in an error.
func (s *Store) countsOf(ctx context.Context, noun, query string, args ...any) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", noun, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var key string
		var n int
		if err := rows.Scan(&key, &n); err != nil {
			return nil, fmt.Errorf("%s: %w", noun, err)
		}
		out[key] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", noun, err)
	}
	return out, nil
}

// MailedStorylines returns, for each storyline listed in the subscriber's
// digests (pending or sent) whose period ended at or after since, how
// many of its events were listed and the latest heading. A storyline
// folded into another counts under the id it lives on.
func (s *Store) MailedStorylines(ctx context.Context, email string, since time.Time) (map[string]digest.Mailed, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT COALESCE(a.new_id, e.storyline_id), e.event_id, e.heading
		FROM digest_events e JOIN digests d ON d.id = e.digest_id
		LEFT JOIN storyline_aliases a ON a.old_id = e.storyline_id
		WHERE d.subscriber = ? AND d.status IN ('pending', 'sent') AND d.period_end >= ? AND e.storyline_id <> ''
		ORDER BY d.period_end, d.id`), strings.ToLower(email), ms(since))
	if err != nil {
		return nil, fmt.Errorf("storylines sent to %s: %w", email, err)
	}
	defer rows.Close()
	out := map[string]digest.Mailed{}
	seen := map[string]bool{} // storyline and event: an update lists an event again
	for rows.Next() {
		var story, event, heading string
		if err := rows.Scan(&story, &event, &heading); err != nil {
			return nil, fmt.Errorf("storylines sent to %s: %w", email, err)
		}
		m := out[story]
		if k := story + "\x00" + event; !seen[k] {
			seen[k] = true
			m.Events++
		}
		m.Heading = heading
		out[story] = m
	}
	return out, rows.Err()
}

// DigestCandidates returns the events in any of topics (all when none)
// that gained a report stored in [from, to), or stored before to and
// placed in its event after placement afterSeq (items.cluster_seq): what
// a digest for that period chooses from. The second part catches reports
// the deduplicator placed only after the previous digest was built.
func (s *Store) DigestCandidates(ctx context.Context, topics []string, from, to time.Time, afterSeq int64) ([]events.Event, error) {
	where, args := eventWhere(events.Query{Topics: topics})
	cond := `id IN (SELECT event_id FROM items WHERE first_seen >= ? AND first_seen < ?
		UNION SELECT event_id FROM items WHERE cluster_seq > ? AND first_seen < ?)`
	if where == "" {
		where = ` WHERE ` + cond
	} else {
		where += ` AND ` + cond
	}
	args = append(args, ms(from), ms(to), afterSeq, ms(to))
	evs, err := s.queryEvents(ctx, where, args, `last_updated DESC, id`, 0)
	if err != nil {
		return nil, fmt.Errorf("digest candidates: %w", err)
	}
	return evs, nil
}

// DueDigests returns up to limit pending digests whose next attempt has
// come and that no sender holds, oldest first.
func (s *Store) DueDigests(ctx context.Context, now time.Time, limit int) ([]digest.Record, error) {
	return s.listOutbox(ctx, true, `WHERE status = ? AND next_attempt <= ? AND claimed_until < ?
		ORDER BY next_attempt, id LIMIT `+strconv.Itoa(limit), digest.StatusPending, ms(now), ms(now))
}

// DigestFilter selects outbox rows for a listing. Zero fields do not filter.
type DigestFilter struct {
	Subscriber, Status string
	Limit              int // 0 means 100
}

// Digests lists outbox rows, newest period first, without their messages.
func (s *Store) Digests(ctx context.Context, f DigestFilter) ([]digest.Record, error) {
	var conds []string
	var args []any
	if f.Subscriber != "" {
		conds, args = append(conds, `subscriber = ?`), append(args, strings.ToLower(f.Subscriber))
	}
	if f.Status != "" {
		conds, args = append(conds, `status = ?`), append(args, f.Status)
	}
	where := ""
	if len(conds) > 0 {
		where = `WHERE ` + strings.Join(conds, ` AND `)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	return s.listOutbox(ctx, false, where+` ORDER BY period_end DESC, id DESC LIMIT `+strconv.Itoa(f.Limit), args...)
}

// Digest returns one outbox row with its message.
func (s *Store) Digest(ctx context.Context, id int64) (digest.Record, error) {
	out, err := s.listOutbox(ctx, true, `WHERE id = ?`, id)
	if err != nil {
		return digest.Record{}, err
	}
	if len(out) == 0 {
		return digest.Record{}, fmt.Errorf("digest %d: %w", id, ErrNotFound)
	}
	return out[0], nil
}

func (s *Store) listOutbox(ctx context.Context, withMessage bool, rest string, args ...any) ([]digest.Record, error) {
	cols := outboxColumns
	if withMessage {
		cols += `, message`
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+cols+` FROM digests `+rest), args...)
	if err != nil {
		return nil, fmt.Errorf("query digests: %w", err)
	}
	defer rows.Close()
	var out []digest.Record
	for rows.Next() {
		var d digest.Record
		var msg string
		dest := outboxDest(&d)
		if withMessage {
			dest = append(dest, &msg)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scan digest: %w", err)
		}
		d.Message = []byte(msg)
		out = append(out, d)
	}
	return out, rows.Err()
}
