package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"herald/config"
	"herald/digest"
	"herald/store"
)

// cmdDigest is `herald digest preview|send|list`.
func cmdDigest(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		e.flags("digest").Usage()
		return errors.New("digest needs a subcommand: preview, send or list")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		e.flags("digest").Usage()
		fmt.Fprint(e.stderr, "\nSubcommands:\n"+
			"  preview --subscriber ADDR [--at TIME] [--out FILE.html|.txt|.eml|.json]\n"+
			"  send --subscriber ADDR [--at TIME]\n"+
			"  list [--subscriber ADDR] [--status S] [--limit N]\n")
		return nil
	case "preview":
		return digestPreview(ctx, e, args[1:])
	case "send":
		return digestSend(ctx, e, args[1:])
	case "list":
		return digestList(ctx, e, args[1:])
	}
	return fmt.Errorf("unknown digest subcommand %q: use preview, send or list", args[0])
}

// digestRun is what a subcommand that works on one subscriber needs.
type digestRun struct {
	cfg *Config
	st  *store.Store
	g   *digester
	sub digest.Subscription
	at  time.Time
}

// openDigestRun parses the flags and opens the store; a nil run with a nil
// error means --help was shown. With anyone, an address that is no
// subscriber gets the defaults (every topic, daily at 07:00 UTC), and
// what it is not is said on stderr.
func openDigestRun(ctx context.Context, e *env, fs *flag.FlagSet, args []string, email, at *string, anyone bool) (*digestRun, error) {
	if err := parseFlags(fs, reorder(args)); err != nil {
		return nil, flagErr(err)
	}
	if *email == "" {
		fs.Usage()
		return nil, errors.New("give the subscriber with --subscriber ADDR")
	}
	cfg, log, st, err := e.setup(ctx)
	if err != nil {
		return nil, err
	}
	r := &digestRun{cfg: cfg, st: st}
	sub, err := findSubscriber(cfg, *email)
	if err != nil && anyone {
		fmt.Fprintf(e.stderr, "note: %s is not a subscriber in %s: previewing what it would get with every topic, daily at 07:00 UTC\n",
			*email, cfg.Path())
		sub, err = config.Subscriber{Email: *email, Schedule: "0 7 * * *", Timezone: "UTC"}, nil
	}
	if err == nil && anyone {
		var gone bool
		if gone, err = st.Unsubscribed(ctx, sub.Email); gone {
			fmt.Fprintf(e.stderr, "note: %s has unsubscribed: no digest is sent to it; previewing what it would get\n", sub.Email)
		}
	}
	if err == nil {
		r.g, err = newDigester(ctx, e, cfg, log, st)
	}
	if err == nil {
		r.sub, err = subscription(cfg, sub, r.g.email)
	}
	if err == nil {
		r.at, err = parseAt(*at, r.sub.Location, time.Now())
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	return r, nil
}

func findSubscriber(cfg *Config, email string) (config.Subscriber, error) {
	for _, s := range cfg.Subscribers {
		if strings.EqualFold(s.Email, email) {
			return s, nil
		}
	}
	return config.Subscriber{}, fmt.Errorf("no subscriber %s in %s: add it under subscribers", email, cfg.Path())
}

// parseAt reads --at: RFC 3339, or "2006-01-02 15:04" in the subscriber's
// zone, resolved as the schedule resolves its firings (a time that happens
// twice is the first, one a clock change skips is the change); empty means
// now. Seconds are dropped so that a repeated command names the same
// period.
func parseAt(s string, loc *time.Location, now time.Time) (time.Time, error) {
	if s == "" {
		return now.Truncate(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		wall, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			return time.Time{}, fmt.Errorf("--at %q: write it like 2026-11-24T07:00:00+01:00 or \"2026-11-24 07:00\"", s)
		}
		t = digest.LocalTime(wall, loc)
	}
	if t.After(now) {
		return time.Time{}, fmt.Errorf("--at %s is in the future: a digest covers what has happened", s)
	}
	return t.Truncate(time.Second), nil
}

func digestPreview(ctx context.Context, e *env, args []string) error {
	fs := e.flags("digest")
	email := fs.String("subscriber", "", "the subscriber's address")
	at := fs.String("at", "", "build the digest as of this time (RFC 3339 or \"2006-01-02 15:04\"); default now")
	out := fs.String("out", "", "write to FILE.html (HTML part), FILE.txt (text part), FILE.eml (whole message) or FILE.json (a webhook subscriber's payload); default: the text part (a webhook's payload) to stdout")
	r, err := openDigestRun(ctx, e, fs, args, email, at, true)
	if r == nil {
		return err // also --help: nil
	}
	defer r.st.Close()
	p, err := r.g.desk.PeriodUntil(ctx, r.sub, r.at)
	if err != nil {
		return err
	}
	d, msg, err := r.g.desk.Preview(ctx, r.sub, p, time.Now())
	if err != nil {
		return err
	}
	var body []byte
	switch ext := strings.ToLower(filepath.Ext(*out)); ext {
	case "", ".txt":
		body = []byte(msg.Text)
		if msg.Text == "" { // a webhook's message is its JSON
			body = msg.Bytes
		}
	case ".json":
		if msg.Text != "" {
			return fmt.Errorf("--out %s: %s takes email: use a .html, .txt or .eml file", *out, r.sub.Email)
		}
		body = msg.Bytes
	case ".html", ".htm":
		body = []byte(msg.HTML)
	case ".eml":
		body = msg.Bytes
	default:
		return fmt.Errorf("--out %s: use a .html, .txt, .eml or .json file", *out)
	}
	if *out == "" {
		_, err = e.stdout.Write(body)
		return err
	}
	if err := os.WriteFile(*out, body, 0o644); err != nil {
		return fmt.Errorf("write preview: %w", err)
	}
	fmt.Fprintf(e.stdout, "%s: %d events for %s since %s (nothing sent or recorded)\n", *out, len(d.Entries()),
		r.sub.Email, p.Start.Format(time.RFC3339))
	return nil
}

func digestSend(ctx context.Context, e *env, args []string) error {
	fs := e.flags("digest")
	email := fs.String("subscriber", "", "the subscriber's address")
	at := fs.String("at", "", "end the digest's period at this time instead of now (RFC 3339 or \"2006-01-02 15:04\")")
	r, err := openDigestRun(ctx, e, fs, args, email, at, false)
	if r == nil {
		return err // also --help: nil
	}
	defer r.st.Close()
	if gone, err := r.st.Unsubscribed(ctx, r.sub.Email); err != nil || gone {
		if gone {
			err = fmt.Errorf("%s has unsubscribed: no digest sent", r.sub.Email)
		}
		return err
	}
	// First what an earlier run left unsent (a crash, a retry): the same
	// message, never a second one for the same period.
	pending, err := r.st.Digests(ctx, store.DigestFilter{Subscriber: r.sub.Email, Status: digest.StatusPending})
	if err != nil {
		return err
	}
	for i := len(pending) - 1; i >= 0; i-- { // oldest first
		if err := r.deliverNow(ctx, e, pending[i].ID); err != nil {
			return err
		}
	}
	p, err := r.g.desk.PeriodUntil(ctx, r.sub, r.at)
	if err != nil {
		return err
	}
	if !p.End.After(p.Start) {
		fmt.Fprintf(e.stdout, "%s: the last digest already covers up to %s: nothing to send\n", r.sub.Email, p.Start.Format(time.RFC3339))
		return nil
	}
	row, err := r.g.desk.Render(ctx, r.sub, p, time.Now())
	if err != nil {
		return err
	}
	return r.deliverNow(ctx, e, row.ID)
}

// deliverNow sends one outbox digest, waiting out another sender's claim
// (a killed process's claim expires after twice smtp.timeout), and reports
// what became of it.
func (r *digestRun) deliverNow(ctx context.Context, e *env, id int64) error {
	for {
		now := time.Now()
		d, err := r.st.Digest(ctx, id)
		if err != nil {
			return err
		}
		switch {
		case d.Status == digest.StatusSent:
			fmt.Fprintf(e.stdout, "digest %d for %s sent (%s, Message-ID %s)\n", d.ID, d.Subscriber, d.Subject, d.MessageID)
			return nil
		case d.Status == digest.StatusEmpty:
			fmt.Fprintf(e.stdout, "%s: nothing new since %s: no digest sent (digest.send_empty is off)\n", d.Subscriber, d.PeriodStart.Format(time.RFC3339))
			return nil
		case d.Status != digest.StatusPending:
			return fmt.Errorf("digest %d for %s %s: %s", d.ID, d.Subscriber, d.Status, d.LastError)
		case d.NextAttempt.After(now):
			return fmt.Errorf("digest %d for %s waits for its next attempt at %s (last error: %s)", d.ID, d.Subscriber,
				d.NextAttempt.Format(time.RFC3339), d.LastError)
		case d.ClaimedUntil.After(now):
			fmt.Fprintf(e.stderr, "digest %d is held by %s until %s: waiting\n", d.ID, d.ClaimedBy, d.ClaimedUntil.Format(time.RFC3339))
			if err := sleepCtx(ctx, d.ClaimedUntil.Sub(now)+10*time.Millisecond); err != nil {
				return err
			}
			continue
		}
		now = time.Now() // the read above may have waited: the claim starts now
		if _, err := r.g.desk.Deliver(ctx, d, now, now); err != nil {
			return err
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
