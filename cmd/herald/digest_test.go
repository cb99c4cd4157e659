package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"herald/config"
	"herald/digest"
	"herald/events"
	"herald/feeds"
	"herald/mail/smtptest"
	"herald/store"
	"herald/store/pgtest"
)

// digestConfig is a configuration with the given subscribers (YAML list
// items) sending through srv.
func digestConfig(t *testing.T, srv *smtptest.Server, subscribers string) *Config {
	t.Helper()
	raw := fmt.Sprintf(`
storage: %s
http:
  public_url: https://herald.example
poll: {allow_networks: [127.0.0.1]} # webhook receivers on loopback
topics:
  - name: world
    feeds: [{url: "http://feeds.example/world"}]
  - name: sport
    feeds: [{url: "http://feeds.example/sport"}]
smtp:
  host: 127.0.0.1
  port: %d
  username: %s
  password: "%s"
  from: "Herald <news@herald.example>"
  timeout: 5s
subscribers:
%s`, filepath.Join(t.TempDir(), "herald.db"), srv.Port, smtptest.Username, smtptest.Password, subscribers)
	cfg, err := ParseConfig("test.yaml", []byte(raw), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newTestDaemon opens the store and a daemon that only does digests,
// trusting the test server's certificate.
func newTestDaemon(t *testing.T, cfg *Config, srv *smtptest.Server) *daemon {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Storage)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.DiscardHandler)
	e := &env{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard}
	g, err := newDigester(ctx, e, cfg, log, st)
	if err != nil {
		t.Fatal(err)
	}
	g.email.Mailer.TLSConfig = srv.Client
	d := &daemon{log: log, store: st}
	d.live.Store(&live{cfg: cfg, digests: g})
	return d
}

// seeder stores reports and events the way the poller and the
// deduplicator do: one feed per publisher, items stored at a given time.
type seeder struct {
	t     *testing.T
	st    *store.Store
	size  map[string]int
	feeds map[string]feeds.Feed
	story map[string]events.Storyline // by event id
}

func newSeeder(t *testing.T, st *store.Store) *seeder {
	return &seeder{t: t, st: st, size: map[string]int{}, feeds: map[string]feeds.Feed{}, story: map[string]events.Storyline{}}
}

// storyline puts the events ids in the storyline id named name, from
// their next report on, as the deduplicator names a thread.
func (s *seeder) storyline(id, name string, ids ...string) {
	for _, ev := range ids {
		s.story[ev] = events.Storyline{ID: id, Name: name}
	}
}

// reports adds n reports from n new publishers to event id, stored at at.
func (s *seeder) reports(id, topic, headline string, n int, at time.Time) {
	ctx := context.Background()
	for range n {
		k := s.size[id]
		pub := fmt.Sprintf("pub%d", k)
		f, ok := s.feeds[topic+pub]
		if !ok {
			var err error
			if f, err = s.st.AddFeed(ctx, store.FeedSpec{URL: "http://" + pub + ".example/" + topic, Topic: topic}, store.OriginCLI, at); err != nil {
				s.t.Fatal(err)
			}
			s.feeds[topic+pub] = f
		}
		it := feeds.Item{GUID: id + pub, URL: "https://" + pub + ".example/" + id, Title: headline, Source: "Publisher " + pub,
			Published: at, Hash: id + pub}
		if _, err := s.st.SavePoll(ctx, f, []feeds.Item{it}, at); err != nil {
			s.t.Fatal(err)
		}
		s.size[id]++
	}
	docs, err := s.st.UnclusteredDocs(ctx, 1000)
	if err != nil {
		s.t.Fatal(err)
	}
	var as []events.Assignment
	for _, d := range docs {
		as = append(as, events.Assignment{DocID: d.ID, EventID: id})
	}
	ev := events.Event{ID: id, Headline: headline, Summary: "About " + headline + ".", FirstSeen: at, LastUpdated: at,
		Size: s.size[id], Topics: []string{topic}}
	cl := events.Clustering{Assignments: as, Events: []events.Event{ev}}
	if st, ok := s.story[id]; ok {
		cl.Events[0].Storyline, cl.Storylines = st.ID, []events.Storyline{st}
	}
	if err := s.st.SaveClustering(ctx, cl); err != nil {
		s.t.Fatal(err)
	}
}

type received struct {
	subject, id, text string
	header            mail.Header
}

// parse reads a received message with net/mail and mime/multipart.
func parse(t *testing.T, m smtptest.Received) received {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mimeDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return received{subject: subject, id: msg.Header.Get("Message-ID"), text: textPart(t, msg), header: msg.Header}
}

func (d *daemon) mustSend(t *testing.T, now time.Time) {
	t.Helper()
	if err := d.sendDigests(context.Background(), now); err != nil {
		t.Fatalf("sendDigests at %v: %v", now, err)
	}
}

// TestDigestsAcrossDays runs the daemon's digest step through four days of
// a 02:30 Europe/Berlin schedule, spring-forward day included, against a
// real SMTP server with STARTTLS and AUTH.
func TestDigestsAcrossDays(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	cfg := digestConfig(t, srv, `  - {email: ada@example.org, name: Ada, topics: [world], schedule: "30 2 * * *", timezone: Europe/Berlin}`)
	d := newTestDaemon(t, cfg, srv)
	seed := newSeeder(t, d.store)
	utc := func(day, h, m int) time.Time { return time.Date(2027, 3, day, h, m, 0, 0, time.UTC) }

	d.mustSend(t, utc(26, 10, 0)) // first seen: no backdated digest
	seed.reports("ev-a", "world", "Talks agreed", 3, utc(26, 12, 0))
	seed.reports("ev-b", "world", "Storm warning", 1, utc(26, 18, 0))
	seed.reports("ev-c", "sport", "Cup final", 5, utc(26, 19, 0))
	d.mustSend(t, utc(27, 1, 29))
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages before the first firing", n)
	}
	d.mustSend(t, utc(27, 1, 30)) // 02:30 CET
	d.mustSend(t, utc(27, 1, 31))
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("after the first firing: %d messages, want 1", len(msgs))
	}
	first := parse(t, msgs[0])
	if !strings.Contains(first.subject, "Talks agreed (+1 more)") || strings.Index(first.text, "Talks agreed") > strings.Index(first.text, "Storm warning") ||
		strings.Contains(first.text, "Cup final") {
		t.Fatalf("first digest: %q\n%s", first.subject, first.text)
	}

	// Spring-forward day: 02:30 does not exist; the digest goes at 03:00 CEST.
	seed.reports("ev-a", "world", "Talks agreed", 4, utc(27, 12, 0))  // 3 -> 7 sources: an update
	seed.reports("ev-b", "world", "Storm warning", 1, utc(27, 12, 0)) // 1 -> 2: too little
	seed.reports("ev-d", "world", "Election called", 2, utc(27, 13, 0))
	d.mustSend(t, utc(28, 0, 59))
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("a digest went before 03:00 CEST on the spring-forward day (%d messages)", n)
	}
	d.mustSend(t, utc(28, 1, 0))
	msgs = srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("spring-forward day: %d messages in all, want 2", len(msgs))
	}
	second := parse(t, msgs[1])
	if !strings.Contains(second.text, "[UPDATE] Talks agreed") || !strings.Contains(second.text, "Election called") ||
		strings.Contains(second.text, "Storm warning") || second.id == first.id {
		t.Fatalf("second digest (id %s):\n%s", second.id, second.text)
	}

	// Down from the 28th to the 30th 09:00: one late digest, not two.
	seed.reports("ev-e", "world", "Bridge reopens", 1, utc(28, 12, 0))
	d.mustSend(t, utc(30, 9, 0))
	d.mustSend(t, utc(30, 9, 1))
	msgs = srv.Messages()
	if len(msgs) != 3 {
		t.Fatalf("after downtime: %d messages in all, want 3", len(msgs))
	}
	late := parse(t, msgs[2])
	if !strings.HasPrefix(late.subject, "[Late] ") || !strings.Contains(late.text, "This briefing is late") ||
		!strings.Contains(late.text, "Bridge reopens") {
		t.Fatalf("late digest: %q\n%s", late.subject, late.text)
	}
	for _, h := range []string{"List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Date"} {
		if late.header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
	rows, _ := d.store.Digests(context.Background(), store.DigestFilter{})
	if len(rows) != 3 || rows[0].Status != digest.StatusSent || !rows[0].Late {
		t.Fatalf("outbox: %+v", rows)
	}
}

// TestDigestsGroupStorylines: a digest lists a storyline's events under
// one heading, ranked once by what they add up to; the next digest shows
// only what is new of it, under the same heading even after the
// deduplicator renamed the storyline, and says how much came before. The
// message passes the mail checks (multipart, one-click unsubscribe).
func TestDigestsGroupStorylines(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	cfg := digestConfig(t, srv, `  - {email: ada@example.org, topics: [world], schedule: "0 7 * * *"}`)
	d := newTestDaemon(t, cfg, srv)
	seed := newSeeder(t, d.store)
	at := func(day, h int) time.Time { return time.Date(2020, 6, day, h, 0, 0, 0, time.UTC) }
	d.mustSend(t, at(1, 8))
	seed.storyline("sl-floyd", "George Floyd · Minneapolis", "ev-protests", "ev-troops", "ev-autopsy")
	seed.reports("ev-protests", "world", "Protests spread to 30 cities", 3, at(1, 12))
	seed.reports("ev-troops", "world", "Trump threatens to send in troops", 2, at(1, 20))
	seed.reports("ev-markets", "world", "Markets fall", 4, at(1, 14))
	d.mustSend(t, at(2, 7))
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages on day 2, want 1", len(msgs))
	}
	first := parse(t, msgs[0])
	first.text = strings.ReplaceAll(first.text, "\r\n", "\n")
	for _, want := range []string{"3 events in 2 storylines since", "\n1. George Floyd · Minneapolis: 2 events, 5 sources\n",
		"\n   a. Protests spread to 30 cities\n", "\n   b. Trump threatens to send in troops\n", "\n2. Markets fall\n"} {
		if !strings.Contains(first.text, want) {
			t.Errorf("first digest lacks %q:\n%s", want, first.text)
		}
	}
	if !strings.Contains(first.subject, "George Floyd · Minneapolis (2 events) (+1 more)") ||
		first.header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("first digest: subject %q, List-Unsubscribe-Post %q", first.subject, first.header.Get("List-Unsubscribe-Post"))
	}

	seed.storyline("sl-floyd", "George Floyd · protests", "ev-autopsy") // renamed as it grew
	seed.reports("ev-autopsy", "world", "Second autopsy finds homicide", 1, at(2, 15))
	d.mustSend(t, at(3, 7))
	msgs = srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages on day 3, want 2", len(msgs))
	}
	second := parse(t, msgs[1])
	second.text = strings.ReplaceAll(second.text, "\r\n", "\n")
	for _, want := range []string{"\n1. George Floyd · Minneapolis: 1 new event, 1 source\n",
		"Continued: 2 events of this storyline in your earlier briefings.", "\n   a. Second autopsy finds homicide\n"} {
		if !strings.Contains(second.text, want) {
			t.Errorf("second digest lacks %q:\n%s", want, second.text)
		}
	}
	if strings.Contains(second.text, "Protests spread") || strings.Contains(second.text, "George Floyd · protests") {
		t.Errorf("second digest repeats what was mailed, or changed the heading:\n%s", second.text)
	}
}

// A server that answers 421 twice, or drops the connection after DATA,
// then accepts, gets exactly one message; one that kept the message but
// dropped the connection before saying so gets the same message again
// (same bytes, same Message-ID). The outbox shows the attempts.
func TestDigestRetriesTemporaryFailures(t *testing.T) {
	for _, c := range []struct {
		name, stage   string
		fail          error
		times, copies int
	}{
		{"421 at connect", "connect", smtptest.Reply(421, "too busy"), 2, 1},
		{"451 after data", "data", smtptest.Reply(451, "try again later"), 1, 1},
		{"dropped after data", "data", smtptest.ErrDrop, 1, 1},
		// Accepted but never confirmed: the resend is the same message.
		{"kept, then dropped before the answer", "data", smtptest.ErrKeepThenDrop, 1, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.Options{})
			srv.SetFail(func(stage string, n int, _ string) error {
				if stage == c.stage && n <= c.times {
					return c.fail
				}
				return nil
			})
			cfg := digestConfig(t, srv, `  - {email: ada@example.org, topics: [world], schedule: "0 7 * * *"}`)
			d := newTestDaemon(t, cfg, srv)
			seed := newSeeder(t, d.store)
			day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
			d.mustSend(t, day)
			seed.reports("ev-a", "world", "Talks agreed", 2, day.Add(10*time.Hour))
			now := day.Add(31 * time.Hour) // the 24th, 07:00
			for i := range c.times {
				d.mustSend(t, now)
				row := onlyDigest(t, d.store)
				if row.Status != digest.StatusPending || row.Attempts != i+1 || row.LastError == "" {
					t.Fatalf("after failure %d: %+v", i+1, row)
				}
				d.mustSend(t, row.NextAttempt.Add(-time.Second)) // not yet
				if row2 := onlyDigest(t, d.store); row2.Attempts != i+1 {
					t.Fatalf("retried before its time: %+v", row2)
				}
				now = row.NextAttempt
			}
			d.mustSend(t, now)
			d.mustSend(t, now.Add(time.Hour))
			msgs := srv.Messages()
			row := onlyDigest(t, d.store)
			if len(msgs) != c.copies || row.Status != digest.StatusSent || row.Attempts != c.times+1 {
				t.Fatalf("%d messages, want %d; outbox %+v", len(msgs), c.copies, row)
			}
			for _, m := range msgs {
				if m.MessageID != row.MessageID || !bytes.Equal(m.Data, msgs[0].Data) {
					t.Fatalf("a different message arrived: %s, want only %s", m.MessageID, row.MessageID)
				}
			}
		})
	}
}

// A 550 for one recipient fails that digest alone, with the reason kept.
func TestDigestPermanentFailureIsPerRecipient(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	cfg := digestConfig(t, srv, `  - {email: gone@example.org, schedule: "0 7 * * *"}
  - {email: ada@example.org, schedule: "0 7 * * *"}`)
	d := newTestDaemon(t, cfg, srv)
	srv.SetFail(func(stage string, _ int, rcpt string) error {
		if stage == "rcpt" && rcpt == "gone@example.org" {
			return smtptest.Reply(550, "no such mailbox")
		}
		return nil
	})
	seed := newSeeder(t, d.store)
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	d.mustSend(t, day)
	seed.reports("ev-a", "world", "Talks agreed", 2, day.Add(10*time.Hour))
	d.mustSend(t, day.Add(31*time.Hour))
	d.mustSend(t, day.Add(40*time.Hour))
	msgs := srv.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "ada@example.org" {
		t.Fatalf("received %+v, want only ada's digest", msgs)
	}
	failed, _ := d.store.Digests(context.Background(), store.DigestFilter{Status: digest.StatusFailed})
	if len(failed) != 1 || failed[0].Subscriber != "gone@example.org" || !strings.Contains(failed[0].LastError, "550") || failed[0].Attempts != 1 {
		t.Fatalf("failed digests: %+v", failed)
	}
}

// The token in a digest's List-Unsubscribe link unsubscribes its reader:
// a pending digest is cancelled and no new one is built.
func TestUnsubscribeLinkStopsDigests(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	cfg := digestConfig(t, srv, `  - {email: ada@example.org, schedule: "0 7 * * *"}`)
	d := newTestDaemon(t, cfg, srv)
	seed := newSeeder(t, d.store)
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	d.mustSend(t, day)
	seed.reports("ev-a", "world", "Talks agreed", 2, day.Add(10*time.Hour))
	d.mustSend(t, day.Add(31*time.Hour))
	token := regexp.MustCompile(`token=([A-Za-z0-9_.-]+)>`).FindStringSubmatch(parse(t, srv.Messages()[0]).header.Get("List-Unsubscribe"))
	if token == nil {
		t.Fatal("no token in List-Unsubscribe")
	}
	srv.SetFail(func(stage string, _ int, _ string) error { // the next digest waits for a retry...
		if stage == "connect" {
			return smtptest.Reply(421, "busy")
		}
		return nil
	})
	seed.reports("ev-b", "world", "Storm warning", 2, day.Add(40*time.Hour))
	d.mustSend(t, day.Add(55*time.Hour))
	u := d.webUnsubscriber(d.cur().digests)
	if email, err := u.Unsubscribe(context.Background(), token[1]); err != nil || email != "ada@example.org" {
		t.Fatalf("unsubscribe: %q, %v", email, err)
	}
	if _, err := u.Check(context.Background(), token[1]+"x"); err == nil {
		t.Fatal("an altered token was accepted")
	}
	srv.SetFail(nil)
	d.mustSend(t, day.Add(80*time.Hour)) // ...and is cancelled; the 26th's is never built
	rows, _ := d.store.Digests(context.Background(), store.DigestFilter{})
	if len(srv.Messages()) != 1 || len(rows) != 2 || rows[0].Status != digest.StatusCancelled {
		t.Fatalf("after unsubscribing: %d messages, outbox %+v", len(srv.Messages()), rows)
	}
}

func onlyDigest(t *testing.T, st *store.Store) digest.Record {
	t.Helper()
	rows, err := st.Digests(context.Background(), store.DigestFilter{})
	if err != nil || len(rows) != 1 {
		t.Fatalf("outbox: %+v, %v; want one digest", rows, err)
	}
	full, err := st.Digest(context.Background(), rows[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return full
}

type mimeDecoder = mime.WordDecoder

// textPart returns the decoded text/plain part of a multipart/alternative
// message.
func textPart(t *testing.T, msg *mail.Message) string { return mimePart(t, msg, "text/plain") }

// mimePart returns the decoded part of a multipart/alternative message
// whose type is typ.
func mimePart(t *testing.T, msg *mail.Message, typ string) string {
	t.Helper()
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := r.NextPart() // decodes quoted-printable
		if err != nil {
			t.Fatalf("no %s part: %v", typ, err)
		}
		if strings.HasPrefix(part.Header.Get("Content-Type"), typ) {
			b, err := io.ReadAll(part)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
}

// TestDigestCommands runs `herald digest preview` and `herald digest list`
// on a seeded store: preview writes each format and records nothing; list
// shows the outbox with each digest's state.
func TestDigestCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "herald.db")
	cfgPath := filepath.Join(dir, "config.yaml")
	raw := crashConfig(db, 2525)
	if err := os.WriteFile(cfgPath, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := copyFile(seededStore(t), db); err != nil {
		t.Fatal(err)
	}
	at := "2026-11-20T07:00:00Z"
	for _, ext := range []string{"html", "txt", "eml"} {
		out := filepath.Join(dir, "preview."+ext)
		if msg, err := herald(t, ctx, "--config", cfgPath, "digest", "preview", "--subscriber", "ada@example.org", "--at", at, "--out", out); err != nil {
			t.Fatalf("preview %s: %v %s", ext, err, msg)
		}
		body, err := os.ReadFile(out)
		if err != nil || !strings.Contains(string(body), "Talks agreed") {
			t.Fatalf("preview.%s lacks the top event: %v\n%.300s", ext, err, body)
		}
	}
	text, err := herald(t, ctx, "--config", cfgPath, "digest", "preview", "--subscriber", "ada@example.org", "--at", at)
	if err != nil || !strings.Contains(text, "1. Talks agreed") || !strings.Contains(text, "Café reopens in Zürich") {
		t.Fatalf("preview to stdout: %v\n%s", err, text)
	}
	// An address that is no subscriber, or that unsubscribed, is said so on
	// stderr, and the preview still renders; sending to it is refused.
	var stdout, stderr bytes.Buffer
	preview := func(addr string) {
		t.Helper()
		stdout.Reset()
		stderr.Reset()
		err := run(ctx, []string{"--config", cfgPath, "digest", "preview", "--subscriber", addr, "--at", at},
			func(string) string { return "" }, &stdout, &stderr)
		if err != nil || !strings.Contains(stdout.String(), "1. Talks agreed") {
			t.Fatalf("preview for %s: %v\n%s", addr, err, stdout.String())
		}
	}
	preview("bob@example.org")
	if !strings.Contains(stderr.String(), "note: bob@example.org is not a subscriber in "+cfgPath) {
		t.Errorf("preview for a stranger, stderr: %q", stderr.String())
	}
	if _, err := herald(t, ctx, "--config", cfgPath, "digest", "send", "--subscriber", "bob@example.org"); err == nil ||
		!strings.Contains(err.Error(), "no subscriber bob@example.org") {
		t.Fatalf("send to an unknown subscriber: %v", err)
	}
	if st, err := store.Open(ctx, db); err == nil {
		st.Unsubscribe(ctx, "ada@example.org", time.Now())
		st.Close()
	}
	preview("ada@example.org")
	if !strings.Contains(stderr.String(), "note: ada@example.org has unsubscribed") {
		t.Errorf("preview for an unsubscribed address, stderr: %q", stderr.String())
	}

	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if rows, _ := st.Digests(ctx, store.DigestFilter{}); len(rows) != 0 {
		t.Fatalf("preview recorded digests: %+v", rows)
	}
	end := time.Date(2026, 11, 20, 7, 0, 0, 0, time.UTC)
	d, _, _ := st.SaveDigest(ctx, digest.Record{Subscriber: "ada@example.org", PeriodStart: end.Add(-24 * time.Hour),
		PeriodEnd: end, Status: digest.StatusPending, MessageID: "<m1@x>", Message: []byte("x"), CreatedAt: end}, nil)
	st.ClaimDigest(ctx, d.ID, "me", end, end.Add(time.Minute))
	st.SettleDigest(ctx, d.ID, "me", digest.StatusFailed, "smtp rcpt (permanent): SMTP error 550: no such mailbox", end)
	st.Close()
	list, err := herald(t, ctx, "--config", cfgPath, "digest", "list")
	if err != nil || !strings.Contains(list, "failed") || !strings.Contains(list, "550: no such mailbox") ||
		!strings.Contains(list, "2026-11-20 07:00") {
		t.Fatalf("digest list: %v\n%s", err, list)
	}
}

// The daemon's digest loop sends what is due as soon as it starts, and its
// stop returns once the loop has ended.
func TestDigestLoopStartsAndStops(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	cfg := digestConfig(t, srv, `  - {email: ada@example.org, schedule: "0 7 * * *"}`)
	d := newTestDaemon(t, cfg, srv)
	ctx := context.Background()
	now := time.Now()
	if _, err := d.store.SubscriberSince(ctx, "ada@example.org", now.Add(-72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// The report goes an hour before the last firing (07:00 UTC), inside
	// the one period the first digest reads, whatever the time of day:
	// "25 hours ago" fell before that period from 07:00 to 08:00.
	u := now.UTC()
	lastFiring := time.Date(u.Year(), u.Month(), u.Day(), 7, 0, 0, 0, time.UTC)
	if lastFiring.After(now) {
		lastFiring = lastFiring.AddDate(0, 0, -1)
	}
	newSeeder(t, d.store).reports("ev-a", "world", "Talks agreed", 2, lastFiring.Add(-time.Hour))
	stop := d.startDigests(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for len(srv.Messages()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d messages from the digest loop, want 1", n)
	}
}

// A refused login (535) is not retried with the same credentials: the
// digest stays pending with the reason, no attempt follows however long
// the daemon runs, and the digests go once the credentials are fixed.
func TestDigestLoginRefusedWaitsForNewCredentials(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	cfg := digestConfig(t, srv, `  - {email: ada@example.org, schedule: "0 7 * * *"}`)
	cfg.SMTP.Password = "wrong"
	d := newTestDaemon(t, cfg, srv)
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	d.mustSend(t, day)
	newSeeder(t, d.store).reports("ev-a", "world", "Talks agreed", 2, day.Add(10*time.Hour))
	err := d.sendDigests(context.Background(), day.Add(31*time.Hour))
	if err == nil || !strings.Contains(err.Error(), "535") {
		t.Fatalf("first round: %v; want the refused login reported", err)
	}
	for h := 32; h < 55; h++ { // up to the next firing
		d.sendDigests(context.Background(), day.Add(time.Duration(h)*time.Hour))
	}
	row := onlyDigest(t, d.store)
	if row.Status != digest.StatusPending || !strings.Contains(row.LastError, "535") || srv.Attempts("auth") != 1 {
		t.Fatalf("after a day of rounds: %+v, %d logins tried; want it pending with the reason, one login", row, srv.Attempts("auth"))
	}
	fixed := *cfg
	fixed.SMTP.Password = smtptest.Password
	fresh := newTestDaemon(t, &fixed, srv) // what a reload builds
	fresh.store = d.store
	fresh.mustSend(t, day.Add(54*time.Hour))
	if got := srv.Messages(); len(got) != 1 {
		t.Fatalf("%d messages after the fix, want the held digest", len(got))
	}
}

// A server that never stops answering 421 makes the digest fail after the
// last retry, with the reason; it never tries again.
func TestDigestGivesUpAfterLastRetry(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	srv.SetFail(func(stage string, _ int, _ string) error {
		if stage == "mail" {
			return smtptest.Reply(421, "closing for maintenance")
		}
		return nil
	})
	cfg := digestConfig(t, srv, `  - {email: ada@example.org, schedule: "0 7 * * *"}`)
	d := newTestDaemon(t, cfg, srv)
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	d.mustSend(t, day)
	newSeeder(t, d.store).reports("ev-a", "world", "Talks agreed", 2, day.Add(10*time.Hour))
	now := day.Add(31 * time.Hour)
	for range len(digest.RetryWaits) + 3 {
		d.mustSend(t, now)
		now = now.Add(9 * time.Hour) // past any wait
	}
	failed, _ := d.store.Digests(context.Background(), store.DigestFilter{Status: digest.StatusFailed})
	if len(failed) != 1 {
		t.Fatalf("failed digests: %+v", failed)
	}
	if row := failed[0]; row.Attempts != len(digest.RetryWaits)+1 ||
		!strings.Contains(row.LastError, "gave up after 9 attempts") || !strings.Contains(row.LastError, "421") {
		t.Fatalf("after endless 421s: %+v", row)
	}
}

// Two instances on one database run the digest step at the same moment:
// every subscriber gets exactly one digest. On SQLite (two handles on one
// file) always, on PostgreSQL when HERALD_TEST_POSTGRES is set.
// Half the readers take webhooks, each delivered once too.
func TestTwoInstancesSendEachDigestOnce(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { twoInstances(t, "") })
	t.Run("postgres", func(t *testing.T) { twoInstances(t, pgtest.Require(t)) })
}

func twoInstances(t *testing.T, dsn string) {
	srv := smtptest.Start(t, smtptest.Options{})
	hooks := newHookReceiver(t)
	var subs strings.Builder
	for i := range 20 {
		fmt.Fprintf(&subs, "  - {email: reader%d@example.org, schedule: \"0 7 * * *\"}\n", i)
		fmt.Fprintf(&subs, "  - {email: hook%d@example.org, transport: webhook, webhook: {url: \"%s/h/%d\", secret: \"%s\"}}\n",
			i, hooks.srv.URL, i, hookSecret)
	}
	cfg := digestConfig(t, srv, subs.String())
	if dsn != "" {
		cfg.Storage = dsn
	}
	a, b := newTestDaemon(t, cfg, srv), newTestDaemon(t, cfg, srv)
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	a.mustSend(t, day)
	newSeeder(t, a.store).reports("ev-a", "world", "Talks agreed", 2, day.Add(10*time.Hour))
	now := day.Add(31 * time.Hour)
	var wg sync.WaitGroup
	for _, d := range []*daemon{a, b, a, b} {
		wg.Go(func() {
			if err := d.sendDigests(context.Background(), now); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	seen := map[string]int{}
	for _, m := range srv.Messages() {
		seen[m.To[0]]++
	}
	if len(seen) != 20 || len(srv.Messages()) != 20 {
		t.Fatalf("%d messages to %d readers, want one to each of 20: %v", len(srv.Messages()), len(seen), seen)
	}
	got, bad := hooks.deliveries()
	keys := map[string]int{}
	for _, d := range got {
		keys[d.key]++
	}
	if len(got) != 20 || len(keys) != 20 || len(bad) > 0 {
		t.Fatalf("%d webhook deliveries under %d keys (%v refused), want one to each of 20", len(got), len(keys), bad)
	}
	counts, _ := a.store.OutboxCounts(context.Background())
	if counts[digest.StatusSent] != 40 || len(counts) != 1 {
		t.Fatalf("outbox: %v", counts)
	}
}

// A report stored before a digest was built but placed in its event only
// after (the daemon killed between a poll and its clustering, and down
// across the firing) is not lost: the next digest lists it, although it was
// stored before that digest's period began.
func TestDigestCatchesReportsPlacedLate(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	cfg := digestConfig(t, srv, `  - {email: ada@example.org, topics: [world], schedule: "0 7 * * *"}`)
	d := newTestDaemon(t, cfg, srv)
	ctx := context.Background()
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	d.mustSend(t, day) // first seen
	seed := newSeeder(t, d.store)
	seed.reports("ev-a", "world", "Talks agreed", 2, day.Add(10*time.Hour))

	// Stored at 03:00 on the 24th, not yet placed when the 07:00 digest is built.
	f, err := d.store.AddFeed(ctx, store.FeedSpec{URL: "http://late.example/world", Topic: "world"}, store.OriginCLI, day)
	if err != nil {
		t.Fatal(err)
	}
	at := day.Add(27 * time.Hour)
	late := feeds.Item{GUID: "late", URL: "https://late.example/1", Title: "Bridge reopens", Source: "Late Wire", Published: at, Hash: "late"}
	if _, err := d.store.SavePoll(ctx, f, []feeds.Item{late}, at); err != nil {
		t.Fatal(err)
	}
	d.mustSend(t, day.Add(31*time.Hour)) // 07:00 on the 24th
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("first digest: %d messages, want 1", len(msgs))
	}
	if first := parse(t, msgs[0]); !strings.Contains(first.text, "Talks agreed") || strings.Contains(first.text, "Bridge reopens") {
		t.Fatalf("first digest: want the placed event only:\n%s", first.text)
	}

	// Placed (with a report of its own stored later) only after that digest.
	seed.reports("ev-b", "world", "Bridge reopens", 1, day.Add(60*time.Hour))
	d.mustSend(t, day.Add(55*time.Hour)) // 07:00 on the 25th
	msgs = srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	if second := parse(t, msgs[1]); !strings.Contains(second.text, "Bridge reopens") || strings.Contains(second.text, "Talks agreed") {
		t.Errorf("second digest: want the event placed late, and not the one sent:\n%s", second.text)
	}
}

// `--at` with a local time names the instant the schedule would: 01:30 on
// London's fall-back day is its first occurrence (BST), and 01:30 on the
// spring-forward day, which does not exist, is 02:00 BST.
func TestDigestAtResolvesLikeTheSchedule(t *testing.T) {
	sub := config.Subscriber{Email: "ada@example.org", Schedule: "30 1 * * *", Timezone: "Europe/London"}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	sched, err := digest.ParseSchedule(sub.Schedule, mustZone(t, sub.Timezone))
	if err != nil {
		t.Fatal(err)
	}
	for _, day := range []string{"2026-10-25", "2027-03-28"} {
		at, err := parseAt(day+" 01:30", mustZone(t, sub.Timezone), now)
		if err != nil {
			t.Fatal(err)
		}
		midnight, _ := time.Parse(time.DateOnly, day)
		if want := sched.Next(midnight.Add(-2 * time.Hour)); !at.Equal(want) {
			t.Errorf("--at \"%s 01:30\" = %v, but the schedule fires at %v", day, at.UTC(), want.UTC())
		}
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
