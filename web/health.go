package web

import (
	"bytes"
	"cmp"
	"net/http"
	"strconv"
	"time"

	"herald/events"
	"herald/feeds"
)

// FeedHealth is one feed's state as `herald feeds --json`, /feeds.json and
// the /feeds table show it: one schema, snake_case keys, RFC 3339 times in
// UTC, null for a time that has not come (never polled, or due now).
type FeedHealth struct {
	URL        string     `json:"url"`
	Title      string     `json:"title"`
	SiteURL    string     `json:"site_url"`
	Topics     []string   `json:"topics"`
	Status     string     `json:"status"`       // ok, failing, backoff, disabled, never_polled (feeds.Feed.Health)
	LastResult string     `json:"last_result"`  // the last poll's: ok, not_modified, error, gone; "" before the first
	Failures   int        `json:"failures"`     // failed polls in a row
	LastPoll   *time.Time `json:"last_poll"`    // null before the first poll
	Due        bool       `json:"due"`          // polled at the next pass of its topic
	NextPoll   *time.Time `json:"next_poll"`    // null when due or disabled: never in the past
	Items      int        `json:"items"`        // items kept from this feed (what retention left)
	Listed     int        `json:"listed_items"` // entries the last document read listed
	Old        int        `json:"old_items"`    // of those, older than the retention period: not stored
	OldNote    string     `json:"old_note"`     // Old in words ("all 60 listed items are older than the retention period"); "" when 0
	LastError  string     `json:"last_error"`
}

// NewFeedHealth describes f as of now.
func NewFeedHealth(f feeds.Feed, now time.Time) FeedHealth {
	h := FeedHealth{URL: f.URL, Title: f.Title, SiteURL: f.SiteURL, Topics: nonNil(f.Topics), Status: f.Health(now),
		LastResult: f.LastStatus, Failures: f.Failures, Items: f.ItemCount, LastError: f.LastError,
		Listed: f.Listed, Old: f.Old, OldNote: f.OldNote(),
		Due: !f.Disabled && !f.NextPoll.After(now)}
	if !f.LastPoll.IsZero() {
		t := f.LastPoll.UTC()
		h.LastPoll = &t
	}
	if !f.Disabled && !h.Due {
		t := f.NextPoll.UTC()
		h.NextPoll = &t
	}
	return h
}

// feedsPerPage is how many feeds one /feeds page lists: a page of a
// 10,000-feed table stays quick to build and to read.
const feedsPerPage = 200

// feedTable is the /feeds page: one page of the table and where it is.
type feedTable struct {
	Rows               []FeedHealth
	Total, First, Last int
	Page, Pages        int
	PrevURL, NextURL   string
}

// feedHealth serves /feeds (HTML, paginated by ?page=N) and /feeds.json
// (every feed). It is never cached: it is what an operator looks at after
// a fix.
func (s *server) feedHealth(w http.ResponseWriter, r *http.Request) {
	now := s.opt.Now()
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Path == "/feeds.json" {
		fs, err := s.st.Feeds(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		redactFeeds(fs)
		rows := make([]FeedHealth, 0, len(fs))
		for _, f := range fs {
			rows = append(rows, NewFeedHealth(f, now))
		}
		writeJSON(w, http.StatusOK, rows)
		return
	}
	n, err := strconv.Atoi(cmp.Or(r.URL.Query().Get("page"), "1"))
	if err != nil || n < 1 {
		http.Error(w, "page must be a number from 1", http.StatusBadRequest)
		return
	}
	fs, total, err := s.st.FeedPage(r.Context(), (n-1)*feedsPerPage, feedsPerPage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	redactFeeds(fs)
	t := feedTable{Total: total, Page: n, Pages: max(1, (total+feedsPerPage-1)/feedsPerPage),
		First: (n-1)*feedsPerPage + 1, Last: (n-1)*feedsPerPage + len(fs)}
	for _, f := range fs {
		t.Rows = append(t.Rows, NewFeedHealth(f, now))
	}
	if n > 1 {
		t.PrevURL = "/feeds?page=" + strconv.Itoa(min(n-1, t.Pages))
	}
	if n < t.Pages {
		t.NextURL = "/feeds?page=" + strconv.Itoa(n+1)
	}
	var b bytes.Buffer
	p := page{Title: "Feed health", Topics: s.topics(), Body: t, Wide: true,
		Alternates: []alternate{{"application/json", "/feeds.json", "JSON"}}}
	if err := s.pages.ExecuteTemplate(&b, "feeds.html", p); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", pageTypes["html"])
	w.Write(b.Bytes())
}

// opmlStorylines bounds the storylines /opml offers.
const opmlStorylines = 20

// opml serves /opml: Herald's own output feeds, one folder per topic, and
// a folder of the storylines of the last three days that thread several
// events (the most reported first), for subscribing a reader to all of
// them at once or to one thread.
func (s *server) opml(w http.ResponseWriter, r *http.Request) {
	base := s.base(r)
	list := []feeds.OPMLFeed{{URL: base + "/all.rss", Title: "Herald: all topics"}}
	for _, t := range s.topics() {
		list = append(list,
			feeds.OPMLFeed{URL: base + "/topics/" + t.Name + ".rss", Title: "Herald: " + t.Title, Topic: t.Title},
			feeds.OPMLFeed{URL: base + "/topics/" + t.Name + "/briefings.rss", Title: "Herald: " + t.Title + " daily briefing", Topic: t.Title})
	}
	evs, err := s.st.Events(r.Context(), events.Query{FirstSeenAfter: day(s.opt.Now()).AddDate(0, 0, -2)})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ths, err := s.threads(r.Context(), base, evs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := 0
	for _, th := range ths {
		if th.Total >= 2 && n < opmlStorylines {
			n++
			list = append(list, feeds.OPMLFeed{URL: base + storylinePath(th.Storyline, "rss"), Title: "Herald: " + feeds.StripTags(th.Name),
				SiteURL: th.URL, Topic: "Storylines"})
		}
	}
	var b bytes.Buffer
	if err := feeds.WriteOPML(&b, "Herald output feeds", list); err != nil {
		s.fail(w, r, err)
		return
	}
	serveBody(w, r, "text/x-opml; charset=utf-8", b.Bytes(), time.Time{})
}

// redactFeeds masks the userinfo of each feed's URL, there and in its last
// error.
func redactFeeds(fs []feeds.Feed) {
	for i, f := range fs {
		fs[i].URL, fs[i].LastError = feeds.RedactURL(f.URL), feeds.RedactText(f.LastError, f.URL)
	}
}
