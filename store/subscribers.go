package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Unsubscribe stops digests to email. Doing it twice changes nothing.
func (s *Store) Unsubscribe(ctx context.Context, email string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO unsubscribes (email, at) VALUES (?, ?)
		ON CONFLICT (email) DO NOTHING`), strings.ToLower(email), ms(at))
	if err != nil {
		return fmt.Errorf("unsubscribe %s: %w", email, err)
	}
	return nil
}

// Unsubscribed reports whether email has unsubscribed.
func (s *Store) Unsubscribed(ctx context.Context, email string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM unsubscribes WHERE email = ?`),
		strings.ToLower(email)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("unsubscribed %s: %w", email, err)
	}
	return n > 0, nil
}

// Secret returns the key that signs unsubscribe links, made at random on
// first use and shared by every instance on this database.
func (s *Store) Secret(ctx context.Context) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("make secret: %w", err)
	}
	var v string
	err := s.inTx(ctx, func(tx *txn) error {
		if err := tx.exec(ctx, `INSERT INTO secrets (name, value) VALUES ('unsubscribe', ?)
			ON CONFLICT (name) DO NOTHING`, hex.EncodeToString(fresh)); err != nil {
			return err
		}
		return tx.scanRow(ctx, `SELECT value FROM secrets WHERE name = 'unsubscribe'`, nil, &v)
	})
	if err != nil {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	return hex.DecodeString(v)
}

// SubscriberSince returns when Herald first saw the subscriber, recording
// now on the first call.
func (s *Store) SubscriberSince(ctx context.Context, email string, now time.Time) (time.Time, error) {
	email = strings.ToLower(email)
	var v int64
	err := s.inTx(ctx, func(tx *txn) error {
		if err := tx.exec(ctx, `INSERT INTO digest_subscribers (email, since) VALUES (?, ?)
			ON CONFLICT (email) DO NOTHING`, email, ms(now)); err != nil {
			return err
		}
		return tx.scanRow(ctx, `SELECT since FROM digest_subscribers WHERE email = ?`, []any{email}, &v)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("subscriber %s: %w", email, err)
	}
	return fromMS(v), nil
}
