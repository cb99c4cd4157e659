package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"time"

	"herald/config"
	"herald/digest"
	"herald/feeds"
	"herald/mail"
	"herald/store"
	"herald/web"
	"herald/webhook"
)

// digester is a configuration's digest desk (package digest) and the
// secret that signs its unsubscribe links.
type digester struct {
	desk   *digest.Desk
	secret []byte
	email  *mail.Transport // nil without a mail server
}

// newDigester wires the desk: the store is its outbox, each subscriber
// gets its schedule and its transport.
func newDigester(ctx context.Context, e *env, cfg *Config, log *slog.Logger, st *store.Store) (*digester, error) {
	secret := []byte(cfg.Digest.Secret)
	if len(secret) == 0 {
		var err error
		if secret, err = st.Secret(ctx); err != nil {
			return nil, err
		}
	}
	email, err := mailTransport(cfg, secret)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	desk := &digest.Desk{Outbox: st, SendEmpty: cfg.Digest.SendEmpty, Timeout: time.Duration(cfg.SMTP.Timeout), Log: log,
		Options: digest.Options{MaxEvents: cfg.Digest.MaxEvents, UpdateGrowth: cfg.Digest.UpdateGrowth},
		ID:      fmt.Sprintf("%s-%d-%s", host, os.Getpid(), randomHex(4)),
		Crash:   digest.CrashHook(e.getenv("HERALD_CRASH_AT"), e.stderr)}
	if email != nil { // a nil *mail.Transport in the interface would not be nil
		desk.Fallback = email
	}
	for _, sub := range cfg.Subscribers {
		s, err := subscription(cfg, sub, email)
		if err != nil {
			return nil, err
		}
		desk.Subscriptions = append(desk.Subscriptions, s)
	}
	return &digester{desk: desk, secret: secret, email: email}, nil
}

// mailTransport is the SMTP transport of the config; nil when it has no
// mail server (its subscribers all take webhooks).
func mailTransport(cfg *Config, secret []byte) (*mail.Transport, error) {
	if cfg.SMTP.Host == "" {
		return nil, nil
	}
	m := &mail.Mailer{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, TLS: cfg.SMTP.TLS,
		Username: cfg.SMTP.Username, Password: cfg.SMTP.Password, AllowInsecureAuth: cfg.SMTP.AllowInsecureAuth,
		Timeout: time.Duration(cfg.SMTP.Timeout)}
	t, err := mail.NewTransport(m, cfg.SMTP.From, cfg.HTTP.PublicURL, secret)
	if err != nil {
		return nil, fmt.Errorf("%w (set smtp.from in %s)", err, cfg.Path())
	}
	t.Templates = cfg.parsed.digest
	return t, nil
}

// subscription is one subscriber as the desk sees it.
func subscription(cfg *Config, sub config.Subscriber, email *mail.Transport) (digest.Subscription, error) {
	loc, err := time.LoadLocation(sub.Timezone)
	if err != nil {
		return digest.Subscription{}, fmt.Errorf("subscriber %s: timezone: %w", sub.Email, err)
	}
	sched, err := digest.ParseSchedule(sub.Schedule, loc)
	if err != nil {
		return digest.Subscription{}, fmt.Errorf("subscriber %s: schedule: %w", sub.Email, err)
	}
	s := digest.Subscription{Schedule: sched,
		Subscriber: digest.Subscriber{Email: sub.Email, Name: sub.Name, Topics: sub.Topics,
			TopicTitles: topicTitles(cfg, sub.Topics), Location: loc}}
	switch {
	case sub.Transport == "webhook":
		s.Transport = webhook.New(sub.Webhook.URL, []byte(sub.Webhook.Secret), cfg.HTTP.PublicURL,
			cmp.Or(cfg.Poll.UserAgent, feeds.DefaultUserAgent), cfg.Poll.Allowed())
	case email == nil:
		return s, fmt.Errorf("subscriber %s: no mail server: add an smtp section to %s", sub.Email, cfg.Path())
	default:
		s.Transport = email
	}
	return s, nil
}

// sendDigests is the daemon's "send what is due" step (digest.Desk.Run).
func (d *daemon) sendDigests(ctx context.Context, now time.Time) error {
	if g := d.cur().digests; g != nil {
		return g.desk.Run(ctx, now)
	}
	return nil
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
		return g.desk.UntilNext(now)
	}
	return time.Hour
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
