package store

import (
	"errors"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	sqlitelib "modernc.org/sqlite"
)

// The store remembers whether it could last keep what it was given: a
// database that answers reads but cannot write (a full disk, an I/O
// error, a read-only file) would otherwise look healthy while nothing new
// is kept. Every transaction reports a storage failure; only a write that
// keeps new data (items, clustering decisions, a digest) shows that the
// store can write again. A small write, such as recording that a poll
// failed, often still fits where new items do not, and proves nothing.
type writeHealth struct {
	mu       sync.Mutex
	err      error // the last storage failure; nil once new data was kept
	failures int   // storage failures since the store was opened
}

// noteWrite records a failed write transaction and returns err. Only
// failures of the storage count; a constraint or a cancelled context says
// nothing about whether the database can write.
func (s *Store) noteWrite(err error) error {
	if err != nil && IsStorageFailure(err) {
		s.health.mu.Lock()
		s.health.err = err
		s.health.failures++
		s.health.mu.Unlock()
	}
	return err
}

// keptData records that a write keeping new data went through.
func (s *Store) keptData() {
	s.health.mu.Lock()
	s.health.err = nil
	s.health.mu.Unlock()
}

// WriteError returns the last storage failure, or nil when new data was
// kept since (or none failed yet).
func (s *Store) WriteError() error {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	return s.health.err
}

// WriteFailures counts the writes that failed for lack of storage since
// the store was opened.
func (s *Store) WriteFailures() int {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	return s.health.failures
}

// IsStorageFailure reports whether err says the database cannot store
// what it is given: full (SQLite's SQLITE_FULL, PostgreSQL's class 53), an
// I/O or system error, or a read-only database.
func IsStorageFailure(err error) bool {
	var le *sqlitelib.Error
	if errors.As(err, &le) {
		switch le.Code() & 0xff { // the primary result code
		case 8, 10, 11, 13, 14, 26: // READONLY, IOERR, CORRUPT, FULL, CANTOPEN, NOTADB
			return true
		}
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "53") || strings.HasPrefix(pe.Code, "58") || pe.Code == "25006"
	}
	return strings.Contains(err.Error(), "disk is full") || strings.Contains(err.Error(), "no space left on device")
}
