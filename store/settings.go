package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// RetryOnNewSettings records settings, the fetch settings feeds are polled
// with (any text that changes when they do), and when they differ from
// the ones recorded before, makes every enabled feed whose last poll
// failed due at once: its backoff was earned under settings that are gone,
// and the change may be its fix (an address allowed, a larger body
// accepted). It returns how many feeds it made due.
func (s *Store) RetryOnNewSettings(ctx context.Context, settings string) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *txn) error {
		var old string
		err := tx.scanRow(ctx, `SELECT value FROM settings WHERE name = 'poll_fetch'`, nil, &old)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return tx.exec(ctx, `INSERT INTO settings (name, value) VALUES ('poll_fetch', ?)`, settings)
		case err != nil || old == settings:
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE feeds SET next_poll = 0 WHERE disabled = 0 AND failures > 0`)
		if err != nil {
			return err
		}
		affected, _ := res.RowsAffected()
		n = int(affected)
		return tx.exec(ctx, `UPDATE settings SET value = ? WHERE name = 'poll_fetch'`, settings)
	})
	if err != nil {
		return 0, fmt.Errorf("retry failing feeds after a settings change: %w", err)
	}
	return n, nil
}
