package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"herald/digest"
)

// ErrClaimLost means a sender's claim on a digest expired and another
// sender took it over: its outcome was not recorded.
var ErrClaimLost = errors.New("digest claim lost to another sender")

// ClaimDigest makes sender by the only one allowed to send digest id until
// until, counting an attempt. It returns false when the digest is not
// pending, not due yet, or held by another sender whose claim has not
// expired: then this sender must leave it alone. When the previous attempt
// had handed the message over (HandOver) and its answer was never recorded,
// that attempt is counted as unconfirmed; unconfirmed is the count after
// the claim.
func (s *Store) ClaimDigest(ctx context.Context, id int64, by string, now, until time.Time) (claimed bool, unconfirmed int, err error) {
	err = s.db.QueryRowContext(ctx, s.q(`UPDATE digests SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1,
		unconfirmed = unconfirmed + CASE WHEN handed_at <> 0 THEN 1 ELSE 0 END, handed_at = 0
		WHERE id = ? AND status = ? AND claimed_until < ? AND next_attempt <= ? RETURNING unconfirmed`),
		by, ms(until), id, digest.StatusPending, ms(now), ms(now)).Scan(&unconfirmed)
	if errors.Is(err, sql.ErrNoRows) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, fmt.Errorf("claim digest %d: %w", id, err)
	}
	return true, unconfirmed, nil
}

// HandOver records, before the message goes (SMTP DATA), that the claimed
// digest is being handed to the server at at: if this sender stops before
// it records the answer, the next one knows the server may have it.
func (s *Store) HandOver(ctx context.Context, id int64, by string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE digests SET handed_at = ? WHERE id = ? AND claimed_by = ? AND status = ?`),
		ms(at), id, by, digest.StatusPending)
	if err != nil {
		return fmt.Errorf("record handover of digest %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("record handover of digest %d: %w", id, ErrClaimLost)
	}
	return nil
}

// SettleDigest records the outcome of a claimed digest: sent, failed,
// cancelled or maybe sent, with a reason for the last three. It fails with
// ErrClaimLost when by no longer holds the claim.
func (s *Store) SettleDigest(ctx context.Context, id int64, by, status, reason string, at time.Time) error {
	sentAt := int64(0)
	if status == digest.StatusSent || status == digest.StatusMaybeSent {
		sentAt = ms(at)
	}
	return s.updateClaimed(ctx, id, by, `status = ?, last_error = ?, sent_at = ?`, status, reason, sentAt)
}

// RetryDigest releases a claimed digest for another attempt at next,
// keeping the reason the last one failed. unconfirmed says the attempt had
// handed the message over and got no answer.
func (s *Store) RetryDigest(ctx context.Context, id int64, by string, next time.Time, reason string, unconfirmed bool) error {
	return s.updateClaimed(ctx, id, by, `next_attempt = ?, last_error = ?, unconfirmed = unconfirmed + ?`,
		ms(next), reason, boolInt(unconfirmed))
}

// updateClaimed records an answer: the handover it answers is over.
func (s *Store) updateClaimed(ctx context.Context, id int64, by, set string, args ...any) error {
	args = append(args, id, by, digest.StatusPending)
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE digests SET `+set+`, claimed_by = '', claimed_until = 0, handed_at = 0
		WHERE id = ? AND claimed_by = ? AND status = ?`), args...)
	if err != nil {
		return fmt.Errorf("update digest %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("update digest %d: %w", id, ErrClaimLost)
	}
	return nil
}

// UnconfirmedDigests returns, by status, how many digests had an attempt
// that handed the message over and got no answer.
func (s *Store) UnconfirmedDigests(ctx context.Context) (map[string]int, error) {
	return s.countsOf(ctx, "count digests", `SELECT status, COUNT(*) FROM digests WHERE unconfirmed > 0 GROUP BY status`)
}

// OutboxCounts returns how many digests are in each status.
func (s *Store) OutboxCounts(ctx context.Context) (map[string]int, error) {
	return s.countsOf(ctx, "count digests", `SELECT status, COUNT(*) FROM digests GROUP BY status`)
}
