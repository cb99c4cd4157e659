package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // raw SQL checks on the shared database

	"herald/digest"
	"herald/mail/smtptest"
	"herald/store"
	"herald/store/pgtest"
)

// The scale-out test's farm: every feed says Cache-Control max-age=period,
// so each feed is due once per period; instances look every second.
const (
	scaleFeeds    = 2000
	scalePeriod   = 8 * time.Second
	scaleLease    = 4 * time.Second
	scaleSchedule = "@every 1s"
	scaleDigests  = "@every 15s"               // a subscriber's digest period
	scaleStarved  = 3*scalePeriod + scaleLease // the longest a feed may go unfetched
)

// cycleFarm serves scaleFeeds small RSS feeds and records every fetch. A
// feed lists the stories of the current period and the two before, so a
// story missed by one fetch (an instance killed mid-poll) is still there
// at the next.
type cycleFarm struct {
	start  time.Time
	period time.Duration // a new story per feed each period
	srv    *httptest.Server

	mu      sync.Mutex
	frozen  time.Duration   // when set, the feeds stay as they were this long after start
	fetches map[int][]fetch // by feed number
	served  map[string]bool // "feedURL\x00guid" of every story served
}

// fetch is one request for a feed: when, and by which instance (each sends
// its own User-Agent).
type fetch struct {
	at time.Time
	by string
}

func newCycleFarm(t *testing.T) *cycleFarm {
	f := &cycleFarm{start: time.Now(), period: scalePeriod, fetches: map[int][]fetch{}, served: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *cycleFarm) url(i int) string { return fmt.Sprintf("%s/f/%d", f.srv.URL, i) }

func (f *cycleFarm) serve(w http.ResponseWriter, r *http.Request) {
	i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/f/"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	now := time.Now()
	f.mu.Lock()
	elapsed := now.Sub(f.start)
	if f.frozen > 0 {
		elapsed = f.frozen
	}
	f.mu.Unlock()
	v := int(elapsed / f.period)
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire %d</title><link>http://wire%d.example/</link>`, i, i)
	var guids []string
	for k := max(0, v-2); k <= v; k++ {
		guid := fmt.Sprintf("f%d-v%d", i, k)
		guids = append(guids, guid)
		fmt.Fprintf(&b, `<item><title>Wire %d story %d about harbour %d</title><link>http://news.example/%s</link>`+
			`<guid isPermaLink="false">%s</guid><pubDate>%s</pubDate><description>Report %d of wire %d.</description></item>`,
			i, k, i*7+k, guid, guid, f.start.Add(time.Duration(k)*f.period).UTC().Format(time.RFC1123Z), k, i)
	}
	b.WriteString(`</channel></rss>`)
	f.mu.Lock()
	f.fetches[i] = append(f.fetches[i], fetch{at: now, by: r.UserAgent()})
	for _, g := range guids {
		f.served[f.url(i)+"\x00"+g] = true
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/rss+xml")
	w.Header().Set("Cache-Control", fmt.Sprintf("max-age=%d", int(f.period/time.Second)))
	w.Write([]byte(b.String()))
}

// freeze stops the stories: from now on every feed lists what it lists now.
func (f *cycleFarm) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.frozen = time.Since(f.start)
}

// fetchingNow reports whether instance ua fetched a feed in the last 50 ms.
func (f *cycleFarm) fetchingNow(ua string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, fs := range f.fetches {
		if last := fs[len(fs)-1]; last.by == ua && time.Since(last.at) < 50*time.Millisecond {
			return true
		}
	}
	return false
}

// fetchedOnce reports whether every feed has been fetched at least once.
func (f *cycleFarm) fetchedOnce() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.fetches) == scaleFeeds
}

// instance is one `herald run` process.
type instance struct {
	cmd *exec.Cmd
	log string // its standard error
	ua  string // its User-Agent
}

// writeScaleConfig writes instance n's config: the same feeds for all,
// and a User-Agent naming the instance, so the farm knows who fetched.
func writeScaleConfig(t *testing.T, urls []string, n int, mail *smtptest.Server) string {
	var b strings.Builder
	fmt.Fprintf(&b, "storage: unused.db\nlog:\n  format: json\nhttp:\n  listen: 127.0.0.1:0\n"+
		"poll:\n  workers: 16\n  per_host: 64\n  timeout: 5s\n  lease: %s\n  user_agent: instance-%d\n  allow_networks: [127.0.0.0/8]\n",
		scaleLease, n)
	if mail != nil {
		fmt.Fprintf(&b, "smtp: {host: 127.0.0.1, port: %d, username: %s, password: %q, from: \"Herald <news@herald.example>\"}\n"+
			"subscribers:\n  - {email: ada@example.org, topics: [wires], schedule: %q}\n",
			mail.Port, smtptest.Username, smtptest.Password, scaleDigests)
	}
	fmt.Fprintf(&b, "topics:\n  - name: wires\n    schedule: %q\n    feeds:\n", scaleSchedule)
	for _, u := range urls {
		fmt.Fprintf(&b, "      - url: %s\n", u)
	}
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func startInstance(t *testing.T, bin, cfg, dsn string, n int, env ...string) *instance {
	t.Helper()
	ua := fmt.Sprintf("instance-%d", n)
	logPath := filepath.Join(t.TempDir(), fmt.Sprintf("herald-%d.log", n))
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", cfg, "run")
	cmd.Env = append(append(os.Environ(), "HERALD_DATABASE_URL="+dsn), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logFile.Close() // the child holds its own descriptor
	in := &instance{cmd: cmd, log: logPath, ua: ua}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return in
}

func (in *instance) pid() int { return in.cmd.Process.Pid }

// TestScaleOutThreeInstances runs three `herald run` processes on one
// PostgreSQL database against 2,000 loopback feeds, kills the leader with
// SIGKILL while it is polling, and checks that every feed was fetched once
// per period (only the dead instance's unsaved polls again, after their
// lease expired), that every story served was stored exactly once, and that
// another instance took over clustering.
func TestScaleOutThreeInstances(t *testing.T) {
	dsn := pgtest.Require(t)
	if testing.Short() {
		t.Skip("scale-out test takes about a minute; skipped with -short")
	}
	ctx := context.Background()
	farm := newCycleFarm(t)
	var urls []string
	for i := range scaleFeeds {
		urls = append(urls, farm.url(i))
	}
	bin := buildHerald(t)
	mail := smtptest.Start(t, smtptest.Options{})
	trust := certEnv(t, mail)
	var ins []*instance
	for n := range 3 { // at the same moment: migrations and config sync race
		ins = append(ins, startInstance(t, bin, writeScaleConfig(t, urls, n, mail), dsn, n, trust))
	}
	waitFor(t, 60*time.Second, "every feed fetched once", farm.fetchedOnce)
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	// Steady state for a period, then kill the leader while it holds leases.
	time.Sleep(scalePeriod)
	victim, victimID, killedAt, inflight := killLeaderMidPoll(t, st, farm, ins)
	_, placedAtKill, _ := st.EventCounts(ctx)
	t.Logf("killed leader %s (pid %d) holding %d leases", victimID, victim.pid(), len(inflight))
	if len(inflight) == 0 {
		t.Fatal("the killed leader held no leases: the test did not kill it mid-poll")
	}

	// The others take over its feeds after the lease and its leadership.
	time.Sleep(2*scalePeriod + scaleLease)
	list, err := st.Instances(ctx, killedAt, time.Now())
	if err != nil || len(list) != 2 || !list[0].Leader || list[0].ID == victimID {
		t.Fatalf("instances after the kill: %+v, %v; want two, one of them leading", list, err)
	}
	// herald feeds shows who polls what and who leads.
	cmd := exec.Command(bin, "--config", writeScaleConfig(t, urls, 9, nil), "feeds")
	cmd.Env = append(os.Environ(), "HERALD_DATABASE_URL="+dsn)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "POLLED BY") || !regexp.MustCompile(regexp.QuoteMeta(list[0].ID)+` +leader`).Match(out) {
		t.Errorf("herald feeds: %v; want the lease column and %s as leader:\n%s", err, list[0].ID, tail2(string(out)))
	}
	waitFor(t, 2*time.Minute, "two digests delivered", func() bool { return len(mail.Messages()) >= 2 })
	stopAt := time.Now()
	for _, in := range ins {
		if in != victim {
			in.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, in := range ins {
		if in != victim {
			if err := in.cmd.Wait(); err != nil {
				t.Errorf("instance pid %d stopped with %v; log %s:\n%s", in.pid(), err, in.log, tail(in.log))
			}
		}
	}
	checkFetches(t, farm, victim.ua, inflight, killedAt, stopAt)
	checkSnapshotSavers(t, ins, victim)
	checkStored(t, st, farm)
	checkClustering(t, dsn, st, placedAtKill)
	checkDigestsOnce(t, st, mail, 2)
	if leases, _ := st.Leases(ctx, time.Now()); len(leases) != 0 {
		t.Errorf("%d leases still held after every instance stopped or expired", len(leases))
	}
}

// checkSnapshotSavers: of the instances stopped in order, only the one that
// led until then saved the deduplicator's snapshot (a follower holds
// none), and it had restored the deduplicator when it took over.
func checkSnapshotSavers(t *testing.T, ins []*instance, victim *instance) {
	t.Helper()
	var savers []int
	for _, in := range ins {
		if in == victim {
			continue
		}
		b, _ := os.ReadFile(in.log)
		if strings.Contains(string(b), "saved clustering snapshot") {
			savers = append(savers, in.pid())
			if !strings.Contains(string(b), "restored clustering") {
				t.Errorf("pid %d saved a snapshot without restoring first:\n%s", in.pid(), tail2(string(b)))
			}
		}
	}
	if len(savers) != 1 {
		t.Errorf("instances that saved the deduplicator's snapshot: %v, want the one leader", savers)
	}
}

// killLeaderMidPoll kills the leader while it polls. It freezes the leader
// (SIGSTOP) before reading its leases, so that a batch finishing in between
// cannot release them, and kills it only if it holds some; else it lets it
// run on and tries again.
func killLeaderMidPoll(t *testing.T, st *store.Store, farm *cycleFarm, ins []*instance) (*instance, string, time.Time, map[int]bool) {
	t.Helper()
	for tries := 0; ; tries++ {
		victim, id := leaderHoldingLeases(t, st, farm, ins)
		if err := victim.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		at := time.Now()
		if inflight := leasesOf(t, st, id, at); len(inflight) > 0 || tries == 20 {
			if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			victim.cmd.Wait()
			return victim, id, at, inflight
		}
		victim.cmd.Process.Signal(syscall.SIGCONT)
	}
}

// leaderHoldingLeases waits until the leading instance is polling: it
// holds leases and is fetching.
func leaderHoldingLeases(t *testing.T, st *store.Store, farm *cycleFarm, ins []*instance) (*instance, string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		list, err := st.Instances(context.Background(), time.Now().Add(-time.Minute), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		// The instance rows count leases at their last heartbeat; the
		// leases themselves say what is held now.
		leases, err := st.Leases(context.Background(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		held := map[string]int{}
		for _, l := range leases {
			held[l.Owner]++
		}
		for _, in := range list {
			if !in.Leader || held[in.ID] < 8 {
				continue
			}
			for _, p := range ins {
				if strings.Contains(in.ID, fmt.Sprintf("-%d-", p.pid())) && farm.fetchingNow(p.ua) {
					return p, in.ID
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	list, err := st.Instances(context.Background(), time.Now().Add(-time.Minute), time.Now())
	for _, in := range ins {
		t.Logf("log of pid %d:\n%s", in.pid(), tail(in.log))
	}
	t.Fatalf("no leader holding leases within 30 s; instances: %+v, %v", list, err)
	return nil, ""
}

// leasesOf returns the feed numbers (as the farm counts them) the
// instance held leases on.
func leasesOf(t *testing.T, st *store.Store, owner string, at time.Time) map[int]bool {
	t.Helper()
	leases, err := st.Leases(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := st.Feeds(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]bool{}
	for _, f := range fs {
		if leases[f.ID].Owner == owner {
			n, _ := strconv.Atoi(f.URL[strings.LastIndex(f.URL, "/")+1:])
			out[n] = true
		}
	}
	return out
}

// checkFetches checks the per-feed fetches: never two within one period
// (no feed polled twice per cycle), except a feed the killed instance was
// polling, fetched again by another after the lease expired and within
// the lease plus a pass; and no feed left unpolled for long.
func checkFetches(t *testing.T, farm *cycleFarm, victim string, inflight map[int]bool, killedAt, stopAt time.Time) {
	t.Helper()
	farm.mu.Lock()
	defer farm.mu.Unlock()
	var total, retaken int
	by := map[string]int{}
	maxGap := time.Duration(0)
	earliest := killedAt.Add(2*scaleLease/3 - 100*time.Millisecond) // the victim renewed every third of the lease
	for i := range scaleFeeds {
		fs := farm.fetches[i]
		total += len(fs)
		for k, f := range fs {
			by[f.by]++
			if k == 0 {
				continue
			}
			prev, gap := fs[k-1], f.at.Sub(fs[k-1].at)
			maxGap = max(maxGap, gap)
			if gap >= scalePeriod-500*time.Millisecond {
				continue
			}
			if inflight[i] && prev.by == victim && f.by != victim && !f.at.Before(earliest) {
				retaken++
				continue
			}
			t.Errorf("feed %d fetched twice within %v: at %s by %s, at %s by %s", i, gap.Round(time.Millisecond),
				prev.at.Format("15:04:05.000"), prev.by, f.at.Format("15:04:05.000"), f.by)
		}
		// Liveness, not speed: on two loaded cores three instances fetch
		// 100-250 feeds/s, less than the 250/s this farm asks for, so a
		// feed may wait some seconds past its due time, never much longer.
		if last := fs[len(fs)-1].at; stopAt.Sub(last) > scaleStarved {
			t.Errorf("feed %d last fetched at %s, %v before the end: starved", i, last.Format("15:04:05.000"), stopAt.Sub(last))
		}
		if gap := maxGapOf(fs); gap > scaleStarved {
			t.Errorf("feed %d waited %v between two fetches: starved", i, gap.Round(time.Millisecond))
		}
		// The dead instance's feeds are taken over once its lease ends:
		// liveness again, so the same slack as any feed (a fixed 3 s past
		// the lease failed on a loaded CI machine, 15 of 32 retaken).
		if inflight[i] {
			k := slices.IndexFunc(fs, func(f fetch) bool { return f.at.After(killedAt) })
			if k < 0 || fs[k].at.After(killedAt.Add(scaleLease+scaleStarved)) {
				t.Errorf("feed %d, leased by the killed instance, was not polled again within %v of the kill", i, scaleLease+scaleStarved)
			}
		}
	}
	perTwo := make([]int, int(stopAt.Sub(farm.start)/(2*time.Second))+1)
	for _, fs := range farm.fetches {
		for _, f := range fs {
			if b := int(f.at.Sub(farm.start) / (2 * time.Second)); b < len(perTwo) {
				perTwo[b]++
			}
		}
	}
	t.Logf("fetches per 2 s from the start: %v; the leader was killed at %v", perTwo,
		killedAt.Sub(farm.start).Round(time.Second))
	t.Logf("%d fetches of %d feeds in %v (period %v), by instance %v; %d of the killed instance's %d leased feeds "+
		"fetched again after its lease; longest gap %v", total, scaleFeeds, stopAt.Sub(farm.start).Round(time.Second),
		scalePeriod, by, retaken, len(inflight), maxGap.Round(time.Millisecond))
}

// checkStored checks that every story served is stored, once.
func checkStored(t *testing.T, st *store.Store, farm *cycleFarm) {
	t.Helper()
	keys, err := st.ItemKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n, _ := st.CountItems(context.Background())
	farm.mu.Lock()
	defer farm.mu.Unlock()
	stored := map[string]bool{}
	for _, k := range keys {
		if stored[k] {
			t.Errorf("story %q stored twice", k)
		}
		stored[k] = true
	}
	var missing []string
	for k := range farm.served {
		if !stored[k] {
			missing = append(missing, strings.ReplaceAll(k, "\x00", " "))
		}
	}
	if len(missing) > 0 || len(stored) != len(farm.served) || n != len(farm.served) {
		t.Fatalf("served %d stories, stored %d memberships and %d items; missing %d, e.g. %v",
			len(farm.served), len(stored), n, len(missing), missing[:min(5, len(missing))])
	}
	t.Logf("%d stories served, each stored once", n)
}

// checkClustering checks that clustering went on after the leader died and
// that no two leaders ever clustered at once (each placement has its own
// sequence number; two leaders at once would repeat them).
func checkClustering(t *testing.T, dsn string, st *store.Store, placedAtKill int) {
	t.Helper()
	_, placed, err := st.EventCounts(context.Background())
	if err != nil || placed <= placedAtKill {
		t.Errorf("items placed: %d at the kill, %d at the end (%v); want the new leader to go on", placedAtKill, placed, err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var repeated int
	err = db.QueryRow(`SELECT COUNT(*) FROM (SELECT cluster_seq FROM items WHERE cluster_seq IS NOT NULL
		GROUP BY cluster_seq HAVING COUNT(*) > 1) r`).Scan(&repeated)
	if err != nil || repeated != 0 {
		t.Errorf("%d cluster sequence numbers used twice (%v): two leaders clustered at once", repeated, err)
	}
	t.Logf("items placed in events: %d at the kill, %d at the end", placedAtKill, placed)
}

func maxGapOf(fs []fetch) time.Duration {
	var gap time.Duration
	for k := 1; k < len(fs); k++ {
		gap = max(gap, fs[k].at.Sub(fs[k-1].at))
	}
	return gap
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	return tail2(string(b))
}

func tail2(s string) string { return s[max(0, len(s)-3000):] }

// checkDigestsOnce: every digest the instances recorded as sent arrived,
// one message per (subscriber, period): distinct periods never share a
// message and no period was sent as two different messages. (A resend
// after an unconfirmed accept would repeat the same Message-ID; it is
// counted, not failed: receivers drop it.) A message may also have
// arrived for a digest still pending: an instance killed between the
// receiver's answer and its record leaves the digest claimed and handed
// over, to go once more under the same Message-ID when the claim runs
// out; or settled as maybe sent after a second such attempt.
func checkDigestsOnce(t *testing.T, st *store.Store, mail *smtptest.Server, atLeast int) {
	t.Helper()
	all, err := st.Digests(context.Background(), store.DigestFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]int{}
	for _, m := range mail.Messages() {
		byID[m.MessageID]++
	}
	periods := map[time.Time]bool{}
	sent, unanswered := 0, 0
	records := map[string]digest.Record{}
	for _, d := range all {
		records[d.MessageID] = d
		if d.Status != digest.StatusSent {
			continue
		}
		sent++
		if periods[d.PeriodEnd] {
			t.Errorf("period ending %v has two sent digests", d.PeriodEnd)
		}
		periods[d.PeriodEnd] = true
		if byID[d.MessageID] == 0 {
			t.Errorf("digest %s for the period ending %v is marked sent but never arrived", d.MessageID, d.PeriodEnd)
		}
	}
	repeats := 0
	for id, n := range byID {
		repeats += n - 1
		d, ok := records[id]
		switch {
		case !ok:
			t.Errorf("message %s arrived but no digest has that id", id)
		case d.Status == digest.StatusPending && d.ClaimedBy != "" || d.Status == digest.StatusMaybeSent:
			unanswered++
			if periods[d.PeriodEnd] {
				t.Errorf("period ending %v arrived as two messages: %s (%s) and a sent one", d.PeriodEnd, id, d.Status)
			}
		case d.Status != digest.StatusSent:
			t.Errorf("message %s arrived but its digest is %s (claimed by %q)", id, d.Status, d.ClaimedBy)
		}
	}
	t.Logf("digests: %d sent, %d arrived with no answer recorded, %d messages received (%d repeats of one Message-ID)",
		sent, unanswered, len(mail.Messages()), repeats)
	if sent < atLeast {
		t.Errorf("%d digests sent, want at least %d", sent, atLeast)
	}
}
