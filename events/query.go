package events

import "time"

// Query selects stored event records for a listing (an output feed, a
// digest, a day's page): what a reader of the store (web, digests) asks
// the store for. Zero fields do not filter.
type Query struct {
	IDs                             []string  // only these events
	Topics                          []string  // events in any of these topics
	UpdatedAfter, UpdatedBefore     time.Time // last_updated in [after, before)
	FirstSeenAfter, FirstSeenBefore time.Time // first_seen in [after, before)
	Limit                           int
}
