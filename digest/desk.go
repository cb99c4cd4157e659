package digest

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"herald/events"
)

// Subscription is a subscriber with its schedule and its transport.
type Subscription struct {
	Subscriber
	Schedule  Schedule
	Transport Transport
}

// Delivery retries: a failure that may pass is tried again after each of
// these waits (about 16 hours in all); if the attempt after the last wait
// fails too, the digest is failed.
var RetryWaits = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour}

// sentMemory is how far back the events already sent are remembered: an
// event stops growing long before (poll.cluster_window).
const sentMemory = 14 * 24 * time.Hour

// Desk renders the digests whose period has ended into the outbox and
// delivers each exactly once per (subscriber, period): a crash at any
// point neither loses a digest nor sends it twice, except that a message
// handed over without an answer is sent once more under the same key.
// Several desks (instances) may share one outbox. Set the fields, then
// use it from any number of goroutines.
type Desk struct {
	Outbox        Outbox
	Subscriptions []Subscription
	Options       Options
	SendEmpty     bool          // render a digest even when nothing is new
	Timeout       time.Duration // one delivery's limit; a claim lasts twice as long
	ID            string        // this sender, in claims; keep it across reloads
	Log           *slog.Logger
	// Fallback delivers the pending digests of addresses no longer
	// subscribed in the config; nil leaves them pending.
	Fallback Transport
	Crash    func(point string)  // fault injection (CrashHook); nil does nothing
	Observe  func(time.Duration) // records how long one delivery took; nil records nothing

	mu      sync.Mutex
	checked map[string]time.Time // per subscriber, the latest firing already dealt with: no queries until the next
	halted  map[Transport]error  // transports that refused for good: nothing goes through them again
}

// Run is the daemon's "send what is due" step: it renders the digests
// whose period has ended into the outbox, then delivers every pending
// digest whose attempt has come. It is safe to run on several instances
// at once.
func (k *Desk) Run(ctx context.Context, now time.Time) error {
	var errs []error
	for _, sub := range k.Subscriptions {
		if err := k.renderDue(ctx, sub, now); err != nil {
			errs = append(errs, err)
		}
	}
	if err := k.DeliverDue(ctx, now); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// UntilNext is how long the daemon may wait before the next Run: until a
// second after the next firing of any subscriber's schedule, and a minute
// at most, so that retries are seen.
func (k *Desk) UntilNext(now time.Time) time.Duration {
	wait := time.Minute
	for _, sub := range k.Subscriptions {
		if next := sub.Schedule.Next(now); !next.IsZero() {
			wait = min(wait, next.Sub(now)+time.Second)
		}
	}
	return max(wait, time.Second)
}

// renderDue writes the subscriber's digest into the outbox when a period
// of its schedule has ended since its last digest.
func (k *Desk) renderDue(ctx context.Context, sub Subscription, now time.Time) error {
	firing := sub.Schedule.Prev(now)
	k.mu.Lock()
	seen := k.checked[sub.Email].Equal(firing)
	k.mu.Unlock()
	if seen {
		return nil
	}
	if err := k.renderIfDue(ctx, sub, now); err != nil {
		return err
	}
	k.mu.Lock()
	if k.checked == nil {
		k.checked = map[string]time.Time{}
	}
	k.checked[sub.Email] = firing
	k.mu.Unlock()
	return nil
}

func (k *Desk) renderIfDue(ctx context.Context, sub Subscription, now time.Time) error {
	if gone, err := k.Outbox.Unsubscribed(ctx, sub.Email); err != nil || gone {
		return err
	}
	since, err := k.Outbox.SubscriberSince(ctx, sub.Email, now)
	if err != nil {
		return err
	}
	last, err := k.Outbox.LastDigestEnd(ctx, sub.Email)
	if err != nil {
		return err
	}
	p, ok := sub.Schedule.Due(last, since, now)
	if !ok {
		return nil
	}
	_, err = k.Render(ctx, sub, p, now)
	return err
}

// PeriodUntil is what a digest built now, ending at end, covers:
// everything since the subscriber's last digest, or one schedule period
// back for a first one.
func (k *Desk) PeriodUntil(ctx context.Context, sub Subscription, end time.Time) (Period, error) {
	last, err := k.Outbox.LastDigestEnd(ctx, sub.Email)
	if err != nil {
		return Period{}, err
	}
	if !last.IsZero() {
		return Period{Start: last, End: end}, nil
	}
	return Period{Start: sub.Schedule.FirstStart(end), End: end}, nil
}

// Preview builds and composes the subscriber's digest for p, recording
// nothing.
func (k *Desk) Preview(ctx context.Context, sub Subscription, p Period, now time.Time) (Digest, Message, error) {
	d, _, err := k.build(ctx, sub, p)
	if err != nil {
		return d, Message{}, err
	}
	msg, err := sub.Transport.Compose(d, now)
	return d, msg, err
}

// build chooses the events of the subscriber's digest for period p: those
// with reports stored in the period, and those with reports the
// deduplicator placed since the previous digest was built, wherever they
// were stored (a report stored before that digest but placed after it is
// not lost). It also returns the placement it read through.
func (k *Desk) build(ctx context.Context, sub Subscription, p Period) (Digest, int64, error) {
	through, err := k.Outbox.PlacedThrough(ctx)
	if err != nil {
		return Digest{}, 0, err
	}
	after, ok, err := k.Outbox.DigestThrough(ctx, sub.Email)
	if err != nil {
		return Digest{}, 0, err
	}
	if !ok {
		after = through // a first digest reads its period only
	}
	cands, err := k.Outbox.DigestCandidates(ctx, sub.Topics, p.Start, p.End, after)
	if err != nil {
		return Digest{}, 0, err
	}
	in, err := k.past(ctx, sub.Email, p, cands)
	if err != nil {
		return Digest{}, 0, err
	}
	return Build(sub.Subscriber, p, in, k.Options), through, nil
}

// past completes a digest's input: what the subscriber's earlier digests
// listed (events and storylines), and the candidates' storylines, for
// their names.
func (k *Desk) past(ctx context.Context, email string, p Period, cands []events.Event) (Input, error) {
	in := Input{Candidates: cands}
	var err error
	if in.Sent, err = k.Outbox.SentEvents(ctx, email, p.Start.Add(-sentMemory)); err != nil {
		return in, err
	}
	if in.Mailed, err = k.Outbox.MailedStorylines(ctx, email, p.Start.Add(-sentMemory)); err != nil {
		return in, err
	}
	var ids []string
	for _, ev := range cands {
		if ev.Storyline != "" && !slices.Contains(ids, ev.Storyline) {
			ids = append(ids, ev.Storyline)
		}
	}
	in.Storylines, err = k.Outbox.Storylines(ctx, ids)
	return in, err
}

// Render builds the digest for p and records it in the outbox together
// with the events it covers, in one transaction. If the period has a
// digest already (a crash after rendering, another instance), that one is
// kept and returned.
func (k *Desk) Render(ctx context.Context, sub Subscription, p Period, now time.Time) (Record, error) {
	k.crash("before-render")
	d, through, err := k.build(ctx, sub, p)
	if err != nil {
		return Record{}, err
	}
	row := Record{Subscriber: sub.Email, PeriodStart: p.Start, PeriodEnd: p.End, Late: p.Late,
		Status: StatusPending, CreatedAt: now, NextAttempt: now, ThroughSeq: through}
	if d.Empty() && !k.SendEmpty {
		row.Status = StatusEmpty
	} else {
		msg, err := sub.Transport.Compose(d, now)
		if err != nil {
			return Record{}, err
		}
		row.MessageID, row.Subject, row.Message = msg.ID, msg.Subject, msg.Bytes
	}
	var covered []Covered
	for _, t := range d.Threads {
		for _, e := range t.Entries {
			covered = append(covered, Covered{EventID: e.Event.ID, Sources: e.Sources, Size: e.Event.Size,
				Update: e.Update, Storyline: t.Storyline, Heading: t.Name})
		}
	}
	saved, created, err := k.Outbox.SaveDigest(ctx, row, covered)
	if err != nil {
		return saved, err
	}
	if created {
		k.Log.Info("digest rendered", "digest_id", saved.ID, "email", sub.Email, "period_end", p.End,
			"events", len(covered), "status", saved.Status, "late", p.Late)
	}
	k.crash("after-render")
	return saved, nil
}

// Subscription returns the configured subscription of email.
func (k *Desk) Subscription(email string) (Subscription, bool) {
	for _, s := range k.Subscriptions {
		if strings.EqualFold(s.Email, email) {
			return s, true
		}
	}
	return Subscription{}, false
}

func (k *Desk) crash(point string) {
	if k.Crash != nil {
		k.Crash(point)
	}
}
