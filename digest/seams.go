package digest

import (
	"context"
	"errors"
	"io"
	"time"

	"herald/events"
)

// Outbox is what the desk needs of the store: what earlier digests listed,
// the candidate events, and the outbox rows with their claims. Package
// store satisfies it.
type Outbox interface {
	// What a digest is built from.
	Unsubscribed(ctx context.Context, email string) (bool, error)
	SubscriberSince(ctx context.Context, email string, now time.Time) (time.Time, error)
	LastDigestEnd(ctx context.Context, email string) (time.Time, error)
	PlacedThrough(ctx context.Context) (int64, error)
	DigestThrough(ctx context.Context, email string) (seq int64, ok bool, err error)
	DigestCandidates(ctx context.Context, topics []string, from, to time.Time, afterSeq int64) ([]events.Event, error)
	SentEvents(ctx context.Context, email string, since time.Time) (map[string]int, error)
	MailedStorylines(ctx context.Context, email string, since time.Time) (map[string]Mailed, error)
	Storylines(ctx context.Context, ids []string) (map[string]events.Storyline, error)
	// The outbox: a rendered digest is saved once per (subscriber, period
	// end); a sender claims it, records the handover, then settles it or
	// puts it back for a retry.
	SaveDigest(ctx context.Context, d Record, covered []Covered) (stored Record, created bool, err error)
	DueDigests(ctx context.Context, now time.Time, limit int) ([]Record, error)
	ClaimDigest(ctx context.Context, id int64, by string, now, until time.Time) (claimed bool, unconfirmed int, err error)
	HandOver(ctx context.Context, id int64, by string, at time.Time) error
	SettleDigest(ctx context.Context, id int64, by, status, reason string, at time.Time) error
	RetryDigest(ctx context.Context, id int64, by string, next time.Time, reason string, unconfirmed bool) error
}

// Transport is one way digests reach their subscribers (mail, webhook).
type Transport interface {
	// Compose renders a digest into the message this transport delivers.
	// It is stored in the outbox: every attempt sends the same bytes.
	Compose(d Digest, now time.Time) (Message, error)
	// Deliver hands one message to its recipient and returns nil once the
	// receiver has accepted it. handover runs just before the message goes
	// (an error from it stops the delivery). A *Failure tells the desk
	// how the delivery failed; any other error is retried later. The
	// parcel's Key is the same on every attempt, so a receiver can drop
	// the repeat the desk sends after an unanswered attempt.
	Deliver(ctx context.Context, p Parcel, handover func() error) error
}

// Parcel is one stored message on its way to one subscriber.
type Parcel struct {
	To      string    // the subscriber's address (its identity for a webhook)
	Key     string    // the digest's stable key (Record.MessageID)
	Message []byte    // the stored message, to measure or sign
	Body    io.Reader // reads Message: what a transport sends
}

// Failure is a failed delivery the desk must treat apart from one that
// may pass later.
type Failure struct {
	Permanent bool // retrying cannot help: the digest fails
	// Unconfirmed: the message was handed over and no answer came; the
	// receiver may have it.
	Unconfirmed bool
	// Halt: no message can go through this transport with its settings
	// (a refused login); it sends nothing more until they change.
	Halt bool
	Err  error
}

func (f *Failure) Error() string { return f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

// failure returns err's *Failure, or the zero one for an error that may
// pass later.
func failure(err error) Failure {
	var f *Failure
	if errors.As(err, &f) {
		return *f
	}
	return Failure{Err: err}
}
