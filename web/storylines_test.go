package web

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"herald/events"
	"herald/rank"
	"herald/store"
)

// TestStorylinePageFormats: the four formats of a storyline's page carry
// the same thread: its name, its events oldest first with their sources,
// the names it involves; the HTML draws its timeline.
func TestStorylinePageFormats(t *testing.T) {
	st, _ := fixture(t)
	srv := serve(t, st, Options{PublicURL: "https://herald.example"})
	check := func(format string, v storylineView) {
		t.Helper()
		var lines []string
		for _, e := range v.Events {
			lines = append(lines, e.ID+" "+strconv.Itoa(e.Sources))
		}
		if v.ID != "sl-korea" || v.Name != "Korean War · talks" || v.Size != 5 || v.Sources != 5 ||
			!slices.Equal(lines, []string{"ev-summit 2", "ev-talks 3"}) || strings.Join(v.Entities, ",") != "North Korea,United States" ||
			v.URL != "https://herald.example/storylines/sl-korea.html" || v.FeedURL != "https://herald.example/storylines/sl-korea.rss" {
			t.Errorf("%s: %+v (events %v)", format, v, lines)
		}
	}
	// .json is the storyline's JSON Feed, with the page as "_storyline".
	_, body, _ := get(t, srv.URL+"/storylines/sl-korea.json")
	var jf struct {
		Items     []struct{ ID string }
		Storyline storylineView `json:"_storyline"`
	}
	if err := json.Unmarshal([]byte(body), &jf); err != nil {
		t.Fatalf("storyline JSON: %v\n%s", err, body)
	}
	check("JSON", jf.Storyline)
	if len(jf.Items) != 2 || jf.Items[0].ID != "tag:herald,2026:event/ev-talks" {
		t.Errorf("JSON Feed items %+v, want the two events, the latest updated first", jf.Items)
	}
	_, body, _ = get(t, srv.URL+"/storylines/sl-korea.xml")
	var x storylineView
	if err := xml.Unmarshal([]byte(body), &x); err != nil {
		t.Fatalf("storyline XML: %v\n%s", err, body)
	}
	check("XML", x)
	for _, ext := range []string{"html", "md"} {
		_, page, _ := get(t, srv.URL+"/storylines/sl-korea."+ext)
		summit, talks := strings.Index(page, "US and North Korean officials"), strings.Index(page, "North and South Korea agree")
		if !strings.Contains(page, "Korean War · talks") || summit < 0 || talks < summit || !strings.Contains(page, "2 events, 5 sources") {
			t.Errorf("storyline page .%s: want its name, both events oldest first, the counts:\n%s", ext, page)
		}
	}
	if _, page, _ := get(t, srv.URL+"/storylines/sl-korea.html"); strings.Count(page, "<rect") != 5 {
		t.Errorf("storyline timeline: want a bar for each of the 5 hours with a report")
	}
	for path, want := range map[string]int{"/storylines/sl-nope.html": 404, "/storylines/sl-korea.pdf": 404} {
		if code, _, _ := get(t, srv.URL+path); code != want {
			t.Errorf("GET %s: %d, want %d", path, code, want)
		}
	}
}

// TestEventPageNamesItsStoryline: an event page says which storyline it
// is part of, with the events before and after it in the thread.
func TestEventPageNamesItsStoryline(t *testing.T) {
	st, _ := fixture(t)
	srv := serve(t, st, Options{})
	ref := func(id string) storylineRef {
		t.Helper()
		_, body, _ := get(t, srv.URL+"/events/"+id+".json")
		var v eventView
		if err := json.Unmarshal([]byte(body), &v); err != nil || v.Storyline == nil {
			t.Fatalf("event %s: %v, storyline %v\n%s", id, err, v.Storyline, body)
		}
		return *v.Storyline
	}
	talks, summit := ref("ev-talks"), ref("ev-summit")
	if talks.ID != "sl-korea" || talks.Name != "Korean War · talks" || talks.Events != 2 ||
		talks.Previous == nil || talks.Previous.ID != "ev-summit" || talks.Next != nil {
		t.Errorf("ev-talks' storyline: %+v", talks)
	}
	if summit.Previous != nil || summit.Next == nil || summit.Next.Headline != "North and South Korea agree to seek talks to end the war" {
		t.Errorf("ev-summit's storyline: %+v", summit)
	}
	_, page, _ := get(t, srv.URL+"/events/ev-talks.html")
	if !strings.Contains(page, `Part of: <a href="`+srv.URL+`/storylines/sl-korea.html">Korean War · talks</a>`) ||
		!strings.Contains(page, `rel="prev">US and North Korean officials`) {
		t.Errorf("event page lacks its storyline and the event before it")
	}
	if _, page, _ := get(t, srv.URL+"/events/ev-chip.html"); strings.Contains(page, "Part of") {
		t.Errorf("an event alone in its storyline names it")
	}
}

// dayOfThreads stores a day (yesterday) of five events: three of one
// storyline, each smaller than a lone big event but more together, and
// an event whose storyline began the day before.
func dayOfThreads(t *testing.T) (*store.Store, time.Time) {
	st := openStore(t)
	d := day(now).AddDate(0, 0, -1)
	evs := []events.Event{
		event("ev-floyd-2", "world", "Trump threatens to send in troops", d.Add(9*time.Hour), 1),
		event("ev-big", "world", "Markets fall", d.Add(6*time.Hour), 4),
		event("ev-floyd-1", "world", "Protests spread to 30 cities", d.Add(2*time.Hour), 3),
		event("ev-floyd-3", "world", "Second autopsy finds homicide", d.Add(12*time.Hour), 2),
		event("ev-kim-2", "world", "Kim reappears at a factory", d.Add(3*time.Hour), 1),
		event("ev-kim-1", "world", "Reports on Kim's health", d.Add(-20*time.Hour), 2),
	}
	for i, s := range []string{"sl-floyd", "sl-big", "sl-floyd", "sl-floyd", "sl-kim", "sl-kim"} {
		evs[i].Storyline = s
	}
	seed(t, st, evs, nil)
	name(t, st, events.Storyline{ID: "sl-floyd", Name: "George Floyd · protests"}, events.Storyline{ID: "sl-kim", Name: "Kim Jong Un · health"})
	return st, d
}

// The briefing, the front page, the briefing feed and the Markdown all
// show a storyline's events of the day under one heading, ranked once by
// what they add up to (6 sources before the lone event's 4), and in the
// same order.
func TestBriefingsGroupByStoryline(t *testing.T) {
	st, d := dayOfThreads(t)
	srv := serve(t, st, Options{})
	date := d.Format(dayLayout)
	_, body, _ := get(t, srv.URL+"/briefings/"+date+".json")
	var v briefingView
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, th := range v.Threads {
		got = append(got, th.Storyline+" "+th.Name+" "+strings.Join(lineIDs([]threadView{th}), ","))
	}
	want := []string{"sl-floyd George Floyd · protests ev-floyd-1,ev-floyd-2,ev-floyd-3", "sl-big Markets fall ev-big",
		"sl-kim Kim Jong Un · health ev-kim-2"}
	if !slices.Equal(got, want) {
		t.Fatalf("briefing threads:\n got %q\nwant %q", got, want)
	}
	if f, k := v.Threads[0], v.Threads[2]; f.Sources != 6 || f.Total != 3 || k.Total != 2 {
		t.Errorf("thread counts: floyd %d sources, %d events in all; kim %d events in all", f.Sources, f.Total, k.Total)
	}
	order := []string{"Protests spread", "Trump threatens", "Second autopsy", "Markets fall", "Kim reappears"}
	inOrder := func(where, text string) {
		t.Helper()
		last := -1
		for _, s := range order {
			i := strings.Index(text, s)
			if i <= last {
				t.Errorf("%s: %q out of order (want %q):\n%s", where, s, order, text)
				return
			}
			last = i
		}
	}
	_, html, _ := get(t, srv.URL+"/briefings/"+date+".html")
	inOrder("briefing page", html)
	if !strings.Contains(html, `<h3 class="thread"><a href="`+srv.URL+`/storylines/sl-floyd.html">George Floyd · protests</a></h3>`) ||
		!strings.Contains(html, "3 events, 6 sources") || !strings.Contains(html, "Kim Jong Un · health</a> (2 events)") {
		t.Errorf("briefing page lacks the storyline heading, its counts, or the pointer to a storyline begun earlier:\n%s", html)
	}
	_, md, _ := get(t, srv.URL+"/briefings/"+date+".md")
	inOrder("briefing Markdown", md)
	if !strings.Contains(md, "1. **[George Floyd · protests](<"+srv.URL+"/storylines/sl-floyd.html>)**: 3 events, 6 sources") {
		t.Errorf("Markdown briefing lacks the heading:\n%s", md)
	}
	_, front, _ := get(t, srv.URL+"/")
	inOrder("front page", front[strings.Index(front, `id="d-`+date+`"`):])
	_, feed, _ := get(t, srv.URL+"/topics/world/briefings.atom")
	inOrder("briefing feed", feed)
	if !strings.Contains(feed, "George Floyd · protests&lt;/a&gt;: 3 events, 6 sources") {
		t.Errorf("briefing feed item lacks the storyline heading:\n%s", feed)
	}
}

// The front page keeps a day to its leading threads until they show 25
// events, five at most each, and each thread shows its most reported.
func TestFrontPageKeepsLeadingThreads(t *testing.T) {
	thread := func(story string, n int) rank.Thread {
		th := rank.Thread{Storyline: story}
		for i := range n {
			th.Events = append(th.Events, events.Event{ID: story + strconv.Itoa(i)})
		}
		return th
	}
	var ths []rank.Thread
	for i := range 7 {
		ths = append(ths, thread(strconv.Itoa(i), 20)) // 5 shown each
	}
	if got := leading(ths, 25); len(got) != 5 {
		t.Errorf("leading kept %d threads of 20 events, want 5 (25 lines)", len(got))
	}
	if got := leading(ths[:1], 25); len(got) != 1 {
		t.Errorf("leading of a short day: %d threads", len(got))
	}
}

// A storyline with more events in a day than the front page shows under
// its heading shows its most reported and counts the rest.
func TestFrontPageShowsAThreadsBest(t *testing.T) {
	st := openStore(t)
	d := day(now)
	var evs []events.Event
	for i := range 8 {
		ev := event("ev-covid-"+strconv.Itoa(i), "world", "Covid report "+strconv.Itoa(i), d.Add(time.Duration(i)*time.Hour), 1+i%3)
		ev.Storyline = "sl-covid"
		evs = append(evs, ev)
	}
	seed(t, st, evs, nil)
	name(t, st, events.Storyline{ID: "sl-covid", Name: "Covid · lockdown"})
	srv := serve(t, st, Options{})
	_, front, _ := get(t, srv.URL+"/")
	// Reports 1,2,3,1,2,3,1,2: the five best are 2, 5 (3 each), then 7, 4, 1 (2 each, the latest first).
	for i := range 8 {
		shown := strings.Contains(front, "Covid report "+strconv.Itoa(i)+"<")
		if want := slices.Contains([]int{1, 2, 4, 5, 7}, i); shown != want {
			t.Errorf("front page shows report %d: %v, want %v", i, shown, want)
		}
	}
	if !strings.Contains(front, "8 events, 15 sources") || !strings.Contains(front, "3 more in the storyline") {
		t.Errorf("front page thread heading and rest:\n%s", front)
	}
	_, briefing, _ := get(t, srv.URL+"/briefings/"+d.Format(dayLayout)+".html")
	if n := strings.Count(briefing, `">Covid report `); n != 8 {
		t.Errorf("the briefing lists %d of the 8 events", n)
	}
}

// TestStorylineRedirectsAfterAMerge: once a storyline is folded into
// another, its pages and feeds redirect there, and the feed's items keep
// their ids, so a reader following the old feed sees no new copies.
func TestStorylineRedirectsAfterAMerge(t *testing.T) {
	st, evs := fixture(t)
	srv := serve(t, st, Options{})
	before := feedIDs(t, srv.URL+"/storylines/sl-chip.json")
	if !slices.Equal(before, []string{"tag:herald,2026:event/ev-chip"}) {
		t.Fatalf("sl-chip feed before the merge: %v", before)
	}
	mergeStorylines(t, st, evs[0], "sl-korea", "sl-chip")

	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, ext := range []string{"html", "xml", "md", "rss", "atom", "json"} {
		resp, err := noFollow.Get(srv.URL + "/storylines/sl-chip." + ext)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/storylines/sl-korea."+ext {
			t.Errorf("sl-chip.%s after the merge: %d to %q, want 301 to /storylines/sl-korea.%s", ext, resp.StatusCode, resp.Header.Get("Location"), ext)
		}
	}
	after := feedIDs(t, srv.URL+"/storylines/sl-chip.json") // followed
	want := []string{"tag:herald,2026:event/ev-talks", "tag:herald,2026:event/ev-summit", "tag:herald,2026:event/ev-chip"}
	if !slices.Equal(after, want) {
		t.Errorf("the old feed, followed, lists %v; want %v (ev-chip under the id it had)", after, want)
	}
	if _, body, _ := get(t, srv.URL+"/events/ev-chip.json"); !strings.Contains(body, `"id": "sl-korea"`) {
		t.Errorf("ev-chip's page does not name the storyline it moved to:\n%s", body)
	}
}

// mergeStorylines places one more report in ev, as the deduplicator does
// when the report shows storyline old to be part of into.
func mergeStorylines(t *testing.T, st *store.Store, ev events.Event, into, old string) {
	t.Helper()
	ev = grow(t, st, ev, "Publisher 8", "https://news8.example/bridge", now.Add(-30*time.Minute))
	ctx := context.Background()
	f, err := st.AddFeed(ctx, store.FeedSpec{URL: "http://feeds.example/" + ev.Topics[0], Topic: ev.Topics[0]}, store.OriginCLI, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SavePoll(ctx, f, feedsItem("https://news8.example/bridge-2", ev.Headline, "Publisher 8", now), now); err != nil {
		t.Fatal(err)
	}
	docs, err := st.UnclusteredDocs(ctx, 10)
	if err != nil || len(docs) != 1 {
		t.Fatalf("new doc: %v %v", docs, err)
	}
	ev.Size++
	a := events.Assignment{DocID: docs[0].ID, EventID: ev.ID, StorylineID: into, MergedStorylines: []string{old}}
	if err := st.SaveClustering(ctx, events.Clustering{Assignments: []events.Assignment{a}, Events: []events.Event{ev}}); err != nil {
		t.Fatal(err)
	}
}

// feedIDs reads a JSON Feed (following redirects) and returns its items' ids.
func feedIDs(t *testing.T, url string) []string {
	t.Helper()
	code, body, _ := get(t, url)
	f, err := gofeed.NewParser().ParseString(body)
	if code != 200 || err != nil {
		t.Fatalf("%s: %d %v", url, code, err)
	}
	var out []string
	for _, it := range f.Items {
		out = append(out, it.GUID)
	}
	return out
}
