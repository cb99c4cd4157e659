package digest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// maybeSent is the reason a digest is settled as maybe sent.
const maybeSent = "two attempts handed it over and got no answer: it may have arrived (once or twice, under one key); not sent again"

// DeliverDue sends every pending digest whose attempt has come, in
// batches, until none is left that this desk can claim. Claims are timed
// from now plus the time spent so far, so a long round never hands out a
// claim that has already expired.
func (k *Desk) DeliverDue(ctx context.Context, now time.Time) error {
	began := time.Now()
	var errs []error
	for ctx.Err() == nil {
		due, err := k.Outbox.DueDigests(ctx, now.Add(time.Since(began)), 100)
		if err != nil || len(due) == 0 {
			return errors.Join(append(errs, err)...)
		}
		claimed := 0
		for _, row := range due {
			ok, err := k.Deliver(ctx, row, now, now.Add(time.Since(began)))
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				claimed++
			}
		}
		if claimed == 0 { // all taken by other senders meanwhile, or held back
			break
		}
	}
	return errors.Join(errs...)
}

// transport is how row goes: its subscriber's transport, or the fallback
// for an address no longer in the config; nil while that transport is
// halted (reported once, when it halted).
func (k *Desk) transport(row Record) Transport {
	t := k.Fallback
	if sub, ok := k.Subscription(row.Subscriber); ok {
		t = sub.Transport
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if t == nil || k.halted[t] != nil {
		return nil
	}
	return t
}

// Deliver claims one digest and sends it. It returns false when another
// sender holds it or its transport is halted. A refused or failed
// delivery is recorded on the digest; the errors returned are the
// store's and the one that halted a transport. round is when this round
// of sending began, which times a retry (so the round a wait later finds
// it due); now times the claim.
//
// The handover is recorded before the message goes. A digest whose
// earlier attempt handed it over and got no answer (killed, or cut off
// while waiting) may have arrived: it is sent once more, the same bytes
// under the same key, and never a third time.
func (k *Desk) Deliver(ctx context.Context, row Record, round, now time.Time) (bool, error) {
	t := k.transport(row)
	if t == nil {
		return false, nil
	}
	claimed := time.Now() // now may be a test's clock; the send's deadline is on the real one
	ok, unconfirmed, err := k.Outbox.ClaimDigest(ctx, row.ID, k.ID, now, now.Add(2*k.Timeout))
	if err != nil || !ok {
		return false, err
	}
	// The send must end while the claim holds, whatever delays its start
	// (a busy database, a stalled machine): past the claim another sender
	// may take the digest and send it too. Half a timeout is left for
	// marking it sent.
	sendCtx, cancel := context.WithDeadline(ctx, claimed.Add(2*k.Timeout-k.Timeout/2))
	defer cancel()
	attempt := row.Attempts + 1
	log := k.Log.With("digest_id", row.ID, "email", row.Subscriber, "attempt", attempt, "message_id", row.MessageID)
	if gone, err := k.Outbox.Unsubscribed(ctx, row.Subscriber); err != nil || gone {
		if err != nil {
			return true, err
		}
		log.Info("digest cancelled: unsubscribed")
		return true, k.Outbox.SettleDigest(ctx, row.ID, k.ID, StatusCancelled, "unsubscribed", now)
	}
	if unconfirmed >= MaxUnconfirmed {
		log.Warn("digest not sent again: the receiver may have it", "unconfirmed", unconfirmed)
		return true, k.Outbox.SettleDigest(ctx, row.ID, k.ID, StatusMaybeSent, maybeSent, now)
	}
	if unconfirmed > 0 {
		log.Warn("sending a digest again: an earlier attempt handed it over and got no answer (same key)")
	}
	handover := func() error { return k.Outbox.HandOver(ctx, row.ID, k.ID, time.Now()) }
	began := time.Now()
	err = t.Deliver(sendCtx, Parcel{To: row.Subscriber, Key: row.MessageID, Message: row.Message, Body: k.crashDuring(row.Message)}, handover)
	if k.Observe != nil {
		k.Observe(time.Since(began))
	}
	return true, k.record(ctx, log, t, row, attempt, unconfirmed, err, round, now)
}

// record stores the outcome of one delivery attempt.
func (k *Desk) record(ctx context.Context, log *slog.Logger, t Transport, row Record, attempt, unconfirmed int,
	err error, round, now time.Time) error {
	f := failure(err)
	switch {
	case err == nil:
		k.crash("after-accept")
		log.Info("digest sent")
		return k.Outbox.SettleDigest(ctx, row.ID, k.ID, StatusSent, "", now)
	case f.Halt:
		k.mu.Lock()
		if k.halted == nil {
			k.halted = map[Transport]error{}
		}
		k.halted[t] = err
		k.mu.Unlock()
		log.Error("delivery refused for every digest: they wait, unsent, until the settings are fixed in the config (reload or restart)", "error", err)
		if err := k.Outbox.RetryDigest(ctx, row.ID, k.ID, round, err.Error(), false); err != nil {
			return err
		}
		return err
	case f.Permanent:
		log.Warn("digest refused", "error", err)
		return k.Outbox.SettleDigest(ctx, row.ID, k.ID, StatusFailed, err.Error(), now)
	case f.Unconfirmed && unconfirmed+1 >= MaxUnconfirmed:
		log.Warn("digest not sent again: the receiver may have it", "error", err)
		return k.Outbox.SettleDigest(ctx, row.ID, k.ID, StatusMaybeSent, maybeSent+": "+err.Error(), now)
	case attempt > len(RetryWaits):
		log.Warn("digest failed: giving up", "error", err)
		return k.Outbox.SettleDigest(ctx, row.ID, k.ID, StatusFailed,
			fmt.Sprintf("gave up after %d attempts: %v", attempt, err), now)
	default:
		next := round.Add(RetryWaits[attempt-1])
		log.Warn("digest delivery failed, will retry", "error", err, "next_attempt", next)
		return k.Outbox.RetryDigest(ctx, row.ID, k.ID, next, err.Error(), f.Unconfirmed)
	}
}
