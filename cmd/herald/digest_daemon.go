package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"herald/digest"
	"herald/events"
	"herald/store"
	"herald/web"
)

// Delivery retries: a 4xx answer or a network error is tried again after
// each of these waits (about 16 hours in all); if the attempt after the
// last wait fails too, the digest is failed.
var retryWaits = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour}

// sentMemory is how far back the events already sent are remembered: an
// event stops growing long before (poll.cluster_window).
const sentMemory = 14 * 24 * time.Hour

// digester is the shell around package digest: it reads the store, builds
// and renders digests into the outbox, and delivers the outbox by SMTP.
type digester struct {
	cfg    *Config
	log    *slog.Logger
	store  *store.Store
	mailer *digest.Mailer
	secret []byte
	from   *mail.Address
	id     string              // this process, in claims
	crash  func(point string)  // fault injection for the crash test; no-op unless HERALD_CRASH_AT is set
	sent   func(time.Duration) // records how long one delivery took; nil records nothing

	mu      sync.Mutex
	checked map[string]time.Time // per subscriber, the latest firing already dealt with: no queries until the next
	refused error                // the login the server refused: nothing is sent with these settings again
}

func newDigester(ctx context.Context, e *env, cfg *Config, log *slog.Logger, st *store.Store) (*digester, error) {
	from, err := mail.ParseAddress(cfg.SMTP.From)
	if err != nil {
		return nil, fmt.Errorf("smtp.from %q: %w (set smtp.from in %s)", cfg.SMTP.From, err, cfg.path)
	}
	secret := []byte(cfg.Digest.Secret)
	if len(secret) == 0 {
		if secret, err = st.Secret(ctx); err != nil {
			return nil, err
		}
	}
	host, _ := os.Hostname()
	g := &digester{cfg: cfg, log: log, store: st, secret: secret, from: from, checked: map[string]time.Time{},
		id:    fmt.Sprintf("%s-%d-%s", host, os.Getpid(), randomHex(4)),
		crash: crashHook(e.getenv("HERALD_CRASH_AT"), e.stderr),
		mailer: &digest.Mailer{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, TLS: cfg.SMTP.TLS,
			Username: cfg.SMTP.Username, Password: cfg.SMTP.Password, AllowInsecureAuth: cfg.SMTP.AllowInsecureAuth,
			Timeout: time.Duration(cfg.SMTP.Timeout)}}
	return g, nil
}

// sendDigests is the daemon's "send what is due" step: it renders the
// digests whose period has ended into the outbox, then delivers every
// pending digest whose attempt has come. It is safe to run on several
// instances at once.
func (d *daemon) sendDigests(ctx context.Context, now time.Time) error {
	if g := d.cur().digests; g != nil {
		return g.run(ctx, now)
	}
	return nil
}

func (g *digester) run(ctx context.Context, now time.Time) error {
	var errs []error
	for _, sub := range g.cfg.Subscribers {
		if err := g.renderDue(ctx, sub, now); err != nil {
			errs = append(errs, err)
		}
	}
	if err := g.deliverDue(ctx, now); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// renderDue writes the subscriber's digest into the outbox when a period
// of its schedule has ended since its last digest.
func (g *digester) renderDue(ctx context.Context, sub Subscriber, now time.Time) error {
	sched, err := g.schedule(sub)
	if err != nil {
		return err
	}
	firing := sched.Prev(now)
	g.mu.Lock()
	seen := g.checked[sub.Email].Equal(firing)
	g.mu.Unlock()
	if seen {
		return nil
	}
	if err := g.renderIfDue(ctx, sub, sched, now); err != nil {
		return err
	}
	g.mu.Lock()
	g.checked[sub.Email] = firing
	g.mu.Unlock()
	return nil
}

func (g *digester) renderIfDue(ctx context.Context, sub Subscriber, sched digest.Schedule, now time.Time) error {
	if gone, err := g.store.Unsubscribed(ctx, sub.Email); err != nil || gone {
		return err
	}
	since, err := g.store.SubscriberSince(ctx, sub.Email, now)
	if err != nil {
		return err
	}
	last, err := g.store.LastDigestEnd(ctx, sub.Email)
	if err != nil {
		return err
	}
	p, ok := sched.Due(last, since, now)
	if !ok {
		return nil
	}
	_, err = g.render(ctx, sub, p, now)
	return err
}

func (g *digester) schedule(sub Subscriber) (digest.Schedule, error) {
	loc, err := time.LoadLocation(sub.Timezone)
	if err != nil {
		return digest.Schedule{}, fmt.Errorf("subscriber %s: timezone: %w", sub.Email, err)
	}
	s, err := digest.ParseSchedule(sub.Schedule, loc)
	if err != nil {
		return digest.Schedule{}, fmt.Errorf("subscriber %s: schedule: %w", sub.Email, err)
	}
	return s, nil
}

// build chooses the events of the subscriber's digest for period p: those
// with reports stored in the period, and those with reports the
// deduplicator placed since the previous digest was built, wherever they
// were stored (a report stored before that digest but placed after it is
// not lost). It also returns the placement it read through.
func (g *digester) build(ctx context.Context, sub Subscriber, p digest.Period) (digest.Digest, int64, error) {
	through, err := g.store.PlacedThrough(ctx)
	if err != nil {
		return digest.Digest{}, 0, err
	}
	after, ok, err := g.store.DigestThrough(ctx, sub.Email)
	if err != nil {
		return digest.Digest{}, 0, err
	}
	if !ok {
		after = through // a first digest reads its period only
	}
	cands, err := g.store.DigestCandidates(ctx, sub.Topics, p.Start, p.End, after)
	if err != nil {
		return digest.Digest{}, 0, err
	}
	in, err := g.past(ctx, sub, p, cands)
	if err != nil {
		return digest.Digest{}, 0, err
	}
	loc, _ := time.LoadLocation(sub.Timezone)
	s := digest.Subscriber{Email: sub.Email, Name: sub.Name, Topics: sub.Topics, TopicTitles: topicTitles(g.cfg, sub.Topics),
		Location: loc}
	opt := digest.Options{MaxEvents: g.cfg.Digest.MaxEvents, UpdateGrowth: g.cfg.Digest.UpdateGrowth}
	return digest.Build(s, p, in, opt), through, nil
}

// past completes a digest's input: what the subscriber's earlier digests
// listed (events and storylines), and the candidates' storylines, for
// their names.
func (g *digester) past(ctx context.Context, sub Subscriber, p digest.Period, cands []events.Event) (digest.Input, error) {
	in := digest.Input{Candidates: cands, Mailed: map[string]digest.Mailed{}}
	var err error
	if in.Sent, err = g.store.SentEvents(ctx, sub.Email, p.Start.Add(-sentMemory)); err != nil {
		return in, err
	}
	mailed, err := g.store.MailedStorylines(ctx, sub.Email, p.Start.Add(-sentMemory))
	if err != nil {
		return in, err
	}
	for id, m := range mailed {
		in.Mailed[id] = digest.Mailed{Events: m.Events, Heading: m.Heading}
	}
	var ids []string
	for _, ev := range cands {
		if ev.Storyline != "" && !slices.Contains(ids, ev.Storyline) {
			ids = append(ids, ev.Storyline)
		}
	}
	in.Storylines, err = g.store.Storylines(ctx, ids)
	return in, err
}

func (g *digester) renderMessage(d digest.Digest, now time.Time) (digest.Message, error) {
	return digest.Render(d, digest.Mail{From: g.cfg.SMTP.From, PublicURL: g.cfg.HTTP.PublicURL, Secret: g.secret, Now: now})
}

// render builds the digest for p and records it in the outbox together
// with the events it covers, in one transaction. If the period has a
// digest already (a crash after rendering, another instance), that one is
// kept and returned.
func (g *digester) render(ctx context.Context, sub Subscriber, p digest.Period, now time.Time) (digest.Record, error) {
	g.crash("before-render")
	d, through, err := g.build(ctx, sub, p)
	if err != nil {
		return digest.Record{}, err
	}
	row := digest.Record{Subscriber: sub.Email, PeriodStart: p.Start, PeriodEnd: p.End, Late: p.Late,
		Status: digest.StatusPending, CreatedAt: now, NextAttempt: now, ThroughSeq: through}
	if d.Empty() && !g.cfg.Digest.SendEmpty {
		row.Status = digest.StatusEmpty
	} else {
		msg, err := g.renderMessage(d, now)
		if err != nil {
			return digest.Record{}, err
		}
		row.MessageID, row.Subject, row.Message = msg.ID, msg.Subject, msg.Bytes
	}
	var covered []digest.Covered
	for _, t := range d.Threads {
		for _, e := range t.Entries {
			covered = append(covered, digest.Covered{EventID: e.Event.ID, Sources: e.Sources, Size: e.Event.Size,
				Update: e.Update, Storyline: t.Storyline, Heading: t.Name})
		}
	}
	saved, created, err := g.store.SaveDigest(ctx, row, covered)
	if err != nil {
		return saved, err
	}
	if created {
		g.log.Info("digest rendered", "digest_id", saved.ID, "email", sub.Email, "period_end", p.End,
			"events", len(covered), "status", saved.Status, "late", p.Late)
	}
	g.crash("after-render")
	return saved, nil
}

// deliverDue sends every pending digest whose attempt has come, in
// batches, until none is left that this sender can claim. Claims are timed
// from now plus the time spent so far, so a long round never hands out a
// claim that has already expired.
func (g *digester) deliverDue(ctx context.Context, now time.Time) error {
	if g.loginRefused() != nil {
		return nil // reported once; a reload with new settings builds a new digester
	}
	began := time.Now()
	var errs []error
	for ctx.Err() == nil {
		due, err := g.store.DueDigests(ctx, now.Add(time.Since(began)), 100)
		if err != nil || len(due) == 0 {
			return errors.Join(append(errs, err)...)
		}
		claimed := 0
		for _, row := range due {
			ok, err := g.deliver(ctx, row, now, now.Add(time.Since(began)))
			if digest.IsLoginRefused(err) {
				return err
			}
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				claimed++
			}
		}
		if claimed == 0 { // all taken by other senders meanwhile
			break
		}
	}
	return errors.Join(errs...)
}

// deliver claims one digest and sends it. It returns false when another
// sender holds it. A refused or failed delivery is recorded on the digest;
// the errors returned are the store's and a refused login, after which
// this digester sends nothing more (digest.IsLoginRefused). round is when
// this round of sending began, which times a retry (so the round a wait
// later finds it due); now times the claim.
//
// The handover to the server (SMTP DATA) is recorded before it happens. A
// digest whose earlier attempt handed it over and got no answer (killed,
// or cut off while waiting) may have arrived: it is sent once more, the
// same bytes under the same Message-ID, and never a third time.
func (g *digester) deliver(ctx context.Context, row digest.Record, round, now time.Time) (bool, error) {
	timeout := time.Duration(g.cfg.SMTP.Timeout)
	claimed := time.Now() // now may be a test's clock; the send's deadline is on the real one
	ok, unconfirmed, err := g.store.ClaimDigest(ctx, row.ID, g.id, now, now.Add(2*timeout))
	if err != nil || !ok {
		return false, err
	}
	// The send must end while the claim holds, whatever delays its start
	// (a busy database, a stalled machine): past the claim another sender
	// may take the digest and send it too. Half a timeout is left for
	// marking it sent.
	sendCtx, cancel := context.WithDeadline(ctx, claimed.Add(2*timeout-timeout/2))
	defer cancel()
	attempt := row.Attempts + 1
	log := g.log.With("digest_id", row.ID, "email", row.Subscriber, "attempt", attempt, "message_id", row.MessageID)
	if gone, err := g.store.Unsubscribed(ctx, row.Subscriber); err != nil || gone {
		if err != nil {
			return true, err
		}
		log.Info("digest cancelled: unsubscribed")
		return true, g.store.SettleDigest(ctx, row.ID, g.id, digest.StatusCancelled, "unsubscribed", now)
	}
	if unconfirmed >= digest.MaxUnconfirmed {
		log.Warn("digest not sent again: the server may have it", "unconfirmed", unconfirmed)
		return true, g.store.SettleDigest(ctx, row.ID, g.id, digest.StatusMaybeSent, maybeSent, now)
	}
	if unconfirmed > 0 {
		log.Warn("sending a digest again: an earlier attempt handed it over and got no answer (same Message-ID)")
	}
	handover := func() error { return g.store.HandOver(ctx, row.ID, g.id, time.Now()) }
	began := time.Now()
	err = g.mailer.Send(sendCtx, g.from.Address, row.Subscriber, g.crashDuring(row.Message), handover)
	if g.sent != nil {
		g.sent(time.Since(began))
	}
	return true, g.record(ctx, log, row, attempt, unconfirmed, err, round, now)
}

// maybeSent is the reason a digest is settled as maybe sent.
const maybeSent = "two attempts handed it to the SMTP server and got no answer: it may have arrived (once or twice, one Message-ID); not sent again"

// record stores the outcome of one delivery attempt.
func (g *digester) record(ctx context.Context, log *slog.Logger, row digest.Record, attempt, unconfirmed int,
	err error, round, now time.Time) error {
	switch {
	case err == nil:
		g.crash("after-accept")
		log.Info("digest sent")
		return g.store.SettleDigest(ctx, row.ID, g.id, digest.StatusSent, "", now)
	case digest.IsLoginRefused(err):
		g.mu.Lock()
		g.refused = err
		g.mu.Unlock()
		log.Error("SMTP login refused: digests wait, unsent, until the smtp settings are fixed in the config (reload or restart)", "error", err)
		if err := g.store.RetryDigest(ctx, row.ID, g.id, round, err.Error(), false); err != nil {
			return err
		}
		return err
	case digest.IsPermanent(err):
		log.Warn("digest refused", "error", err)
		return g.store.SettleDigest(ctx, row.ID, g.id, digest.StatusFailed, err.Error(), now)
	case digest.IsUnconfirmed(err) && unconfirmed+1 >= digest.MaxUnconfirmed:
		log.Warn("digest not sent again: the server may have it", "error", err)
		return g.store.SettleDigest(ctx, row.ID, g.id, digest.StatusMaybeSent, maybeSent+": "+err.Error(), now)
	case attempt > len(retryWaits):
		log.Warn("digest failed: giving up", "error", err)
		return g.store.SettleDigest(ctx, row.ID, g.id, digest.StatusFailed,
			fmt.Sprintf("gave up after %d attempts: %v", attempt, err), now)
	default:
		next := round.Add(retryWaits[attempt-1])
		log.Warn("digest delivery failed, will retry", "error", err, "next_attempt", next)
		return g.store.RetryDigest(ctx, row.ID, g.id, next, err.Error(), digest.IsUnconfirmed(err))
	}
}

// loginRefused is the refused login that stopped this digester, if any.
func (g *digester) loginRefused() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refused
}

// crashHook returns the fault-injection hook: with HERALD_CRASH_AT=point
// (or point#n, the n-th time it is reached) the process kills itself there
// with SIGKILL, as a power cut would. Empty spec: a no-op.
func crashHook(spec string, stderr io.Writer) func(point string) {
	if spec == "" {
		return func(string) {}
	}
	point, nth, _ := strings.Cut(spec, "#")
	n, err := strconv.Atoi(nth)
	if err != nil || n < 1 {
		n = 1
	}
	return func(at string) {
		if at != point {
			return
		}
		if n--; n > 0 {
			return
		}
		fmt.Fprintln(stderr, "herald: crash injected at", at)
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			p.Kill()
		}
		select {} // the signal is on its way
	}
}

// crashDuring passes msg to the SMTP client, calling the crash hook at
// "during-smtp" once half of it has been handed over.
func (g *digester) crashDuring(msg []byte) io.Reader {
	return &crashReader{msg: msg, half: len(msg) / 2, crash: g.crash}
}

type crashReader struct {
	msg   []byte
	off   int
	half  int
	crash func(string)
}

func (r *crashReader) Read(p []byte) (int, error) {
	if r.off >= len(r.msg) {
		return 0, io.EOF
	}
	if r.off >= r.half {
		r.crash("during-smtp")
		r.half = len(r.msg) + 1
	}
	end := min(len(r.msg), r.off+len(p))
	if r.off < r.half {
		end = min(end, r.half)
	}
	n := copy(p, r.msg[r.off:end])
	r.off += n
	return n, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// startDigests runs the digest step at start, then at each subscriber's
// firing (a second after it) and at least every minute (for retries),
// until the returned stop is called. stop lets a step in progress finish (up to
// shutdownGrace, then cancels it) and returns when the loop has ended: the
// daemon calls it before closing the store.
func (d *daemon) startDigests(ctx context.Context) (stop func()) {
	quit := make(chan struct{})
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if err := d.sendDigests(work, time.Now()); err != nil && work.Err() == nil {
				d.log.Error("digests", "error", err)
			}
			wait := time.NewTimer(d.untilDigests(time.Now()))
			select {
			case <-quit:
				wait.Stop()
				return
			case <-d.wake: // a reload: subscribers and schedules may have changed
				wait.Stop()
			case <-wait.C:
			}
		}
	}()
	return func() {
		close(quit)
		select {
		case <-done:
		case <-time.After(shutdownGrace):
			d.log.Warn("cancelling the digest step still running", "after", shutdownGrace)
			cancel()
			<-done
		}
		cancel()
	}
}

// unsubscriber serves the web server's unsubscribe links with the token
// format of package digest.
type unsubscriber struct {
	store  *store.Store
	secret []byte
	now    func() time.Time
}

// Check returns the address a token unsubscribes, changing nothing.
func (u unsubscriber) Check(ctx context.Context, token string) (string, error) {
	email, err := digest.ParseToken(u.secret, token, u.now())
	if err != nil {
		return "", fmt.Errorf("%w: %v", web.ErrBadToken, err)
	}
	return email, nil
}

// Unsubscribe stops the digests to the token's address.
func (u unsubscriber) Unsubscribe(ctx context.Context, token string) (string, error) {
	email, err := u.Check(ctx, token)
	if err != nil {
		return "", err
	}
	return email, u.store.Unsubscribe(ctx, email, u.now())
}

// untilDigests is how long the digest loop may sleep; without
// subscribers, until a reload wakes it (or an hour).
func (d *daemon) untilDigests(now time.Time) time.Duration {
	if g := d.cur().digests; g != nil {
		return g.untilNext(now)
	}
	return time.Hour
}

// untilNext is how long the digest loop may sleep: until a second after
// the next firing of any subscriber's schedule, and a minute at most, so
// that retries and new subscribers are seen.
func (g *digester) untilNext(now time.Time) time.Duration {
	wait := time.Minute
	for _, sub := range g.cfg.Subscribers {
		sched, err := g.schedule(sub)
		if next := sched.Next(now); err == nil && !next.IsZero() {
			wait = min(wait, next.Sub(now)+time.Second)
		} // a bad schedule is reported by the digest step
	}
	return max(wait, time.Second)
}

// webUnsubscriber is what the web server needs to honour the unsubscribe
// links of the digests; nil when there are no subscribers.
func (d *daemon) webUnsubscriber(digests *digester) web.Unsubscriber {
	if digests == nil {
		return nil
	}
	return unsubscriber{store: d.store, secret: digests.secret, now: time.Now}
}

// topicTitles are the display names of topics (a topic's name when it has
// no title), in order.
func topicTitles(cfg *Config, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n
		for _, t := range cfg.Topics {
			if t.Name == n && t.Title != "" {
				out[i] = t.Title
			}
		}
	}
	return out
}
