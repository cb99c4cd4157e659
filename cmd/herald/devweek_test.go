package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"herald/events"
	"herald/feeds/feedtest"
	"herald/mail/smtptest"
	"herald/web"
	"herald/web/browsertest"
)

const devWeek = "../../../shared/data/news/gesab001-headlines-2020-04-28_2020-05-04"

// weekReplay is the dev week as a new user gets it: the 20 feeds of the
// set replayed hour by hour through the real poller, clustered after each
// poll, a digest mailed to ada@example.org each morning at 07:00 UTC, and
// Herald's web server on top.
type weekReplay struct {
	d     *daemon
	smtp  *smtptest.Server
	web   *httptest.Server
	start time.Time
}

func replayDevWeek(t *testing.T) *weekReplay {
	t.Helper()
	snaps, err := feedtest.ReadSnapshots(devWeek)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("skipping: %s is absent (the shared data sets live beside the repo)", devWeek)
	}
	if err != nil {
		t.Fatal(err)
	}
	rs := feedtest.NewReplay(devWeek, snaps)
	t.Cleanup(rs.Close)
	smtp := smtptest.Start(t, smtptest.Options{})
	var feedList strings.Builder
	for _, s := range rs.Keys() {
		fmt.Fprintf(&feedList, "      - {url: %q, title: %q}\n", rs.URL+"/"+s.Key, s.Publisher)
	}
	raw := fmt.Sprintf(`storage: %s
http:
  public_url: https://herald.example
poll:
  allow_networks: [127.0.0.0/8]
topics:
  - name: news
    title: News
    feeds:
%ssmtp:
  host: 127.0.0.1
  port: %d
  username: %s
  password: "%s"
  from: "Herald <news@herald.example>"
subscribers:
  - {email: ada@example.org, name: Ada, schedule: "0 7 * * *"}
`, filepath.Join(t.TempDir(), "herald.db"), feedList.String(), smtp.Port, smtptest.Username, smtptest.Password)
	cfg, err := ParseConfig("devweek.yaml", []byte(raw), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	d := newTestDaemon(t, cfg, smtp)
	ctx := context.Background()
	if err := syncConfig(ctx, cfg, d.store); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	p := newPoller(cfg, d.store, log)
	p.Now = rs.Now
	dd := newPlacer(d.store, log, time.Duration(cfg.Poll.ClusterWin))
	w := &weekReplay{d: d, smtp: smtp, start: time.Date(2020, 4, 28, 0, 0, 0, 0, time.UTC)}
	for now := w.start; now.Before(w.start.AddDate(0, 0, 7)); now = now.Add(time.Hour) {
		rs.SetNow(now)
		due, err := d.store.DueFeeds(ctx, "", now)
		if err != nil {
			t.Fatal(err)
		}
		p.PollAll(ctx, due, nil)
		if _, err := dd.Place(ctx); err != nil {
			t.Fatal(err)
		}
		d.mustSend(t, now)
	}
	end := w.start.AddDate(0, 0, 7).Add(-time.Hour) // the last hour replayed: "today" is 4 May
	w.web = httptest.NewServer(web.New(d.store, web.Options{
		Topics: []web.Topic{{Name: "news", Title: "News"}}, Now: func() time.Time { return end }}))
	t.Cleanup(w.web.Close)
	return w
}

// TestDevWeekReadsAsThreads replays the dev week and reads Herald as a new
// user would: the front page, a briefing and a storyline page show the
// week's threads, ranked the same way; event pages send readers to the
// report the deduplicator chose; the digests group storylines and
// continue one already mailed; and in chromium no page loads anything
// from elsewhere. Screenshots go to $HERALD_SCREENSHOTS (the README's are
// taken so, into docs/screenshots), else to artifacts/.
func TestDevWeekReadsAsThreads(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the week-long replay in -short mode")
	}
	w := replayDevWeek(t)
	today := w.start.AddDate(0, 0, 6)
	briefing := w.checkBriefingsAndFront(t, today)
	story := w.checkStorylinePage(t)
	w.checkReadersLinks(t)
	digestHTML := w.checkDigests(t)
	w.screenshots(t, map[string]string{
		"front.png":     w.web.URL + "/",
		"storyline.png": w.web.URL + "/storylines/" + story + ".html",
		"briefing.png":  w.web.URL + "/briefings/" + briefing + ".html",
	}, digestHTML)
}

// checkBriefingsAndFront: the briefings list their events in threads
// (some storyline has several events on some day); today's front page
// shows the briefing's leading threads in the same order. It returns the day with the most multi-event
// threads.
func (w *weekReplay) checkBriefingsAndFront(t *testing.T, today time.Time) string {
	t.Helper()
	var busiest string
	most := 0
	for d := w.start; !d.After(today); d = d.AddDate(0, 0, 1) {
		date := d.Format("2006-01-02")
		v := getBriefing(t, w.web.URL+"/briefings/"+date+".json")
		several := 0
		for _, th := range v.Threads {
			if th.Count > 1 {
				several++
			}
		}
		if several > most {
			busiest, most = date, several
		}
	}
	if most == 0 {
		t.Fatal("no briefing of the dev week shows a storyline with several events")
	}
	v := getBriefing(t, w.web.URL+"/briefings/"+today.Format("2006-01-02")+".json")
	front, _ := getPage(t, w.web.URL+"/")
	last := -1
	for _, th := range v.Threads[:min(5, len(v.Threads))] {
		key := th.Name
		if th.Count == 1 {
			key = th.Events[0].URL
		}
		i := strings.Index(front, html.EscapeString(key))
		if i <= last {
			t.Fatalf("front page: %q out of the briefing's order", key)
		}
		last = i
	}
	return busiest
}

// dayView is what the test reads of a briefing's JSON.
type dayView struct {
	Threads []struct {
		Storyline, Name string
		Count, Sources  int
		Events          []struct{ ID, URL string }
	}
}

func getBriefing(t *testing.T, u string) dayView {
	t.Helper()
	body, code := getPage(t, u)
	var v dayView
	if err := json.Unmarshal([]byte(body), &v); code != 200 || err != nil {
		t.Fatalf("%s: %d %v", u, code, err)
	}
	return v
}

// checkStorylinePage reads the largest storyline of 3 to 30 events: its
// page names it by what it is about (no publisher), lists its events
// oldest first with their sources, and every event page of it says it is
// part of it. It returns its id.
func (w *weekReplay) checkStorylinePage(t *testing.T) string {
	t.Helper()
	evs, err := w.d.store.Events(context.Background(), events.Query{})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	publishers := map[string]bool{}
	for _, ev := range evs {
		count[ev.Storyline]++
		for _, s := range ev.Sources {
			publishers[strings.ToLower(s.Publisher)] = true
		}
	}
	id := ""
	for s, n := range count {
		if n >= 3 && n <= 30 && (n > count[id] || n == count[id] && s < id) {
			id = s
		}
	}
	if id == "" {
		t.Fatal("no storyline of 3 to 30 events in the dev week")
	}
	body, code := getPage(t, w.web.URL+"/storylines/"+id+".json")
	var feed struct {
		Items     []struct{ ID string }
		Storyline struct {
			Name    string
			Sources int
			Events  []struct {
				ID        string
				FirstSeen time.Time `json:"first_seen"`
				Sources   int
			}
		} `json:"_storyline"`
	}
	if err := json.Unmarshal([]byte(body), &feed); code != 200 || err != nil {
		t.Fatalf("storyline %s: %d %v", id, code, err)
	}
	v := feed.Storyline
	sum := 0
	for i, e := range v.Events {
		sum += e.Sources
		if i > 0 && e.FirstSeen.Before(v.Events[i-1].FirstSeen) {
			t.Errorf("storyline %s: event %s out of time order", id, e.ID)
		}
	}
	if len(v.Events) != count[id] || len(feed.Items) != count[id] || sum != v.Sources || v.Name == "" {
		t.Errorf("storyline %s %q: %d events, %d items, %d sources (summed %d), want %d events", id, v.Name,
			len(v.Events), len(feed.Items), v.Sources, sum, count[id])
	}
	for _, part := range strings.Split(v.Name, " · ") {
		if publishers[strings.ToLower(part)] {
			t.Errorf("storyline %s is named by a publisher: %q", id, v.Name)
		}
	}
	page, _ := getPage(t, w.web.URL+"/events/"+v.Events[len(v.Events)/2].ID+".html")
	if !strings.Contains(page, `Part of: <a href="`+w.web.URL+`/storylines/`+id+`.html">`) || !strings.Contains(page, "Before: ") {
		t.Errorf("an event page of storyline %s does not say it is part of it, with the event before", id)
	}
	t.Logf("storyline %s %q: %d events, %d sources", id, v.Name, len(v.Events), v.Sources)
	return id
}

// checkReadersLinks: where a publisher reported an event several times
// and the deduplicator marked a later report as the one to read, the
// event page links that one.
func (w *weekReplay) checkReadersLinks(t *testing.T) {
	t.Helper()
	evs, err := w.d.store.Events(context.Background(), events.Query{})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, ev := range evs {
		first := map[string]string{}
		for _, s := range ev.Sources {
			if _, ok := first[s.Publisher]; !ok {
				first[s.Publisher] = s.URL
			}
			if !s.Link || first[s.Publisher] == s.URL || checked == 3 {
				continue
			}
			checked++
			page, _ := getPage(t, w.web.URL+"/events/"+ev.ID+".json")
			if !strings.Contains(page, `"url": "`+s.URL+`"`) || !strings.Contains(page, `"read_at"`) {
				t.Errorf("event %s: %s's marked report %s is not where readers are sent", ev.ID, s.Publisher, s.URL)
			}
		}
	}
	if checked == 0 {
		t.Error("no publisher's marked report is later than its first in the dev week")
	}
}

// checkDigests: a digest went every morning, each a multipart message with
// one-click unsubscribe; some group a storyline's events under a heading,
// and a later one continues a storyline already mailed. It returns the
// HTML part of the last digest that continues one.
func (w *weekReplay) checkDigests(t *testing.T) string {
	t.Helper()
	msgs := w.smtp.Messages()
	if len(msgs) < 6 {
		t.Fatalf("%d digests in a week of daily digests", len(msgs))
	}
	heading := regexp.MustCompile(`(?m)^\d+\. .+: \d+ (new )?events?, \d+ sources?$`)
	grouped, continued, lastHTML := 0, 0, ""
	for _, m := range msgs {
		r := parse(t, m)
		text := strings.ReplaceAll(r.text, "\r\n", "\n")
		if r.header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Errorf("digest %s without one-click unsubscribe", r.id)
		}
		if heading.MatchString(text) {
			grouped++
		}
		if strings.Contains(text, "Continued: ") {
			continued++
			msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
			if err != nil {
				t.Fatal(err)
			}
			lastHTML = mimePart(t, msg, "text/html")
		}
	}
	if grouped == 0 || continued == 0 {
		t.Fatalf("of %d digests, %d group a storyline and %d continue one", len(msgs), grouped, continued)
	}
	return lastHTML
}

// screenshots opens each page, and a digest's HTML part, in chromium,
// checks that nothing is requested from anywhere but the local servers
// and nothing is logged as an error, and keeps a screenshot of each.
func (w *weekReplay) screenshots(t *testing.T, pages map[string]string, digestHTML string) {
	t.Helper()
	tab, console := browsertest.Tab(t, 1024, 2000)
	seen := requestedURLs(t, tab)
	mail := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		rw.Write([]byte(digestHTML))
	}))
	defer mail.Close()
	pages["digest.png"] = mail.URL + "/digest.html"
	dir := cmp.Or(os.Getenv("HERALD_SCREENSHOTS"), filepath.Join("..", "..", "artifacts"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, u := range pages {
		if err := chromedp.Do(tab, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot of %s: %v", u, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range seen.list() {
		if !strings.HasPrefix(u, w.web.URL+"/") && !strings.HasPrefix(u, mail.URL+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("a page loaded %s", u)
		}
	}
	time.Sleep(200 * time.Millisecond) // let the last console events arrive
	if errs := console.Errors(); len(errs) > 0 {
		t.Errorf("chromium logged errors: %q", errs)
	}
	t.Logf("screenshots in %s", dir)
}

// urlLog collects the URLs a tab requested.
type urlLog struct {
	mu   sync.Mutex
	urls []string
}

func (l *urlLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.urls)
}

// requestedURLs records every URL tab requests from now on.
func requestedURLs(t *testing.T, tab context.Context) *urlLog {
	t.Helper()
	seen := &urlLog{}
	// chromedp enables the network domain of every tab it opens.
	if err := chromedp.Listen(tab, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			seen.mu.Lock()
			seen.urls = append(seen.urls, e.Request.URL)
			seen.mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	return seen
}
