// Package feeds fetches, parses and normalizes news feeds, and decides when
// each feed may be polled again. It knows nothing about storage: the Poller
// saves through the small interface it declares.
package feeds

import (
	"fmt"
	"time"
)

// Feed is one subscription: a URL polled on the schedules of its topics.
type Feed struct {
	ID      int64
	URL     string // current URL; updated after a permanent redirect
	Title   string // publisher name shown as an item's source
	SiteURL string
	Topics  []string

	// HTTP validators from the last successful fetch, sent back on the next.
	ETag         string
	LastModified string

	LastPoll   time.Time
	NextPoll   time.Time // earliest time the feed may be fetched again
	LastStatus string    // one of the Status* constants
	LastError  string
	Failures   int   // consecutive failed polls
	Disabled   bool  // the server said 410 Gone; LastError says so
	Hints      Hints // what the last document said about polling it
	ItemCount  int   // items stored from this feed (filled by the store)

	// What the last document read listed, and how many of those entries
	// were older than the retention period (ParseOptions.MaxAge), so not
	// stored: a feed whose every entry is old looks empty, not broken.
	Listed, Old int
	// BodyHash identifies the last document read and the settings it was
	// read with: the same body again is not parsed again (Poller).
	BodyHash string
	// Prints are the prints (Item.Print) of the entries of the last
	// document read that the store holds, in increasing order: an entry
	// read again as it was is not normalized again.
	Prints []uint64
}

// AllOld reports whether the last document read listed entries and every
// one was older than the retention period.
func (f Feed) AllOld() bool { return f.Listed > 0 && f.Old == f.Listed }

// OldNote says, for people, how many of the entries the last document
// listed were older than the retention period; "" when none were.
func (f Feed) OldNote() string {
	switch {
	case f.Old == 0:
		return ""
	case f.AllOld():
		return fmt.Sprintf("all %d listed items are older than the retention period", f.Listed)
	}
	return fmt.Sprintf("%d of %d listed items are older than the retention period", f.Old, f.Listed)
}

// A feed's health, as `herald feeds`, /feeds and the herald_feeds gauge
// show it (Feed.Health).
const (
	HealthOK          = "ok"
	HealthFailing     = "failing" // the last poll failed; due for a retry
	HealthBackoff     = "backoff" // the last poll failed; waiting before the next
	HealthDisabled    = "disabled"
	HealthNeverPolled = "never_polled"
)

// Health is the feed's state at now: disabled (410 Gone), backoff or
// failing (its last poll failed, and it waits or is due), never_polled,
// or ok.
func (f Feed) Health(now time.Time) string {
	switch {
	case f.Disabled:
		return HealthDisabled
	case f.Failures > 0 && f.NextPoll.After(now):
		return HealthBackoff
	case f.Failures > 0:
		return HealthFailing
	case f.LastPoll.IsZero():
		return HealthNeverPolled
	}
	return HealthOK
}

// Poll outcomes stored in Feed.LastStatus.
const (
	StatusOK          = "ok"
	StatusNotModified = "not_modified"
	StatusError       = "error"
	StatusGone        = "gone"
)

// Item is one normalized feed entry, ready to store.
type Item struct {
	ID     int64 // store id; 0 until stored
	FeedID int64

	// GUID is the item's identity within its feed: the feed's guid/id, or
	// when that is missing or repeated, a key built from link, date and title.
	GUID string
	// URL is the canonical link (lower-case host, no fragment, no tracking
	// parameters, feedburner:origLink preferred). Two feeds carrying the
	// same URL carry the same item.
	URL string

	Title   string
	Summary string // sanitized HTML
	Content string // sanitized HTML, may be empty
	Text    string // plain text of summary and content, boilerplate removed
	Author  string
	Source  string // publisher name (the feed's title)
	Lang    string

	Published time.Time // never after the fetch time; the fetch time when missing
	Updated   time.Time
	Hash      string // content hash of title, text and URL: a change means an edit

	// Print identifies the entry as its document wrote it, with the
	// settings it was read with (prints.go); 0 when Parse was not given
	// the poller's settings.
	Print uint64
	// Unchanged: the feed's last document held this entry exactly so (its
	// Print is in Feed.Prints), and the store holds what it made of it. It
	// was not normalized again: Summary, Content, Text and Hash are empty,
	// and storing the poll skips it.
	Unchanged bool
}

// Saved counts what storing one poll's items changed.
type Saved struct {
	New     int // items stored for the first time
	Edited  int // stored items whose content changed
	Linked  int // items already stored from another feed, now also in this one
	Skipped int // items seen before, unchanged
}

// Hints are what a feed document says about how often to poll it.
// They are lower bounds on the next poll, never reasons to poll sooner.
type Hints struct {
	TTL         time.Duration  // RSS <ttl>
	SkipHours   []int          // RSS <skipHours>, hours 0-23 in GMT
	SkipDays    []time.Weekday // RSS <skipDays>
	UpdateEvery time.Duration  // sy:updatePeriod / sy:updateFrequency
}
