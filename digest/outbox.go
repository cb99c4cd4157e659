package digest

import "time"

// Outbox statuses of a digest.
const (
	StatusPending   = "pending"   // rendered, waiting to be (re)sent
	StatusSent      = "sent"      // the transport's receiver accepted it
	StatusFailed    = "failed"    // refused for good, or too many attempts; see LastError
	StatusEmpty     = "empty"     // nothing to send for the period; kept so it is not built again
	StatusCancelled = "cancelled" // the subscriber left before it went
	// StatusMaybeSent: two attempts handed the message over and got no
	// answer (the sender was killed, or lost the connection): the receiver
	// may have it, once or twice. It is not sent again.
	StatusMaybeSent = "maybe_sent"
)

// MaxUnconfirmed is how many attempts may hand a digest over without an
// answer: after the first it is sent once more, after the second never.
const MaxUnconfirmed = 2

// Record is one digest in the outbox: what was rendered for a subscriber
// and period, and what became of it.
type Record struct {
	ID                     int64
	Subscriber             string
	PeriodStart, PeriodEnd time.Time
	Status                 string
	Late                   bool
	// MessageID is the digest's stable key: the Message-ID of an email,
	// the Idempotency-Key of a webhook. Every attempt carries the same.
	MessageID, Subject string
	Message            []byte // the exact bytes to deliver; empty in listings
	Events             int
	Attempts           int
	NextAttempt        time.Time
	ClaimedBy          string
	ClaimedUntil       time.Time
	LastError          string
	CreatedAt, SentAt  time.Time
	ThroughSeq         int64 // the deduplicator's last placement when it was built
	// Unconfirmed counts the attempts that handed the message over and
	// got no answer (MaxUnconfirmed).
	Unconfirmed int
}

// Covered is an event a digest lists, as it was when rendered, and the
// storyline heading it was listed under.
type Covered struct {
	EventID       string
	Sources, Size int
	Update        bool
	Storyline     string // the storyline's id; "" for none
	Heading       string // the storyline's heading in the digest
}
