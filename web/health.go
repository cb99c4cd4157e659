package web

import (
	"bytes"
	"net/http"
	"time"

	"herald/feeds"
)

// feedRow is one line of the feed health table, in HTML and JSON.
type feedRow struct {
	URL       string    `json:"url"`
	Title     string    `json:"title"`
	Topics    []string  `json:"topics"`
	Status    string    `json:"status"`
	Failures  int       `json:"failures"`
	Disabled  bool      `json:"disabled"`
	LastPoll  time.Time `json:"last_poll"`
	NextPoll  time.Time `json:"next_poll"`
	Items     int       `json:"items"`
	LastError string    `json:"last_error"`
}

// feedHealth serves /feeds (HTML) and /feeds.json: every polled feed's
// state. It is never cached: it is what an operator looks at after a fix.
func (s *server) feedHealth(w http.ResponseWriter, r *http.Request) {
	fs, err := s.st.Feeds(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows := make([]feedRow, 0, len(fs))
	for _, f := range fs {
		status := f.LastStatus
		if status == "" {
			status = "never polled"
		}
		rows = append(rows, feedRow{URL: f.URL, Title: f.Title, Topics: nonNil(f.Topics), Status: status,
			Failures: f.Failures, Disabled: f.Disabled, LastPoll: f.LastPoll, NextPoll: f.NextPoll,
			Items: f.ItemCount, LastError: f.LastError})
	}
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Path == "/feeds.json" {
		writeJSON(w, http.StatusOK, map[string]any{"feeds": rows})
		return
	}
	var b bytes.Buffer
	p := page{Title: "Feed health", Topics: s.topics(), Body: rows,
		Alternates: []alternate{{"application/json", "/feeds.json", "JSON"}}}
	if err := s.pages.ExecuteTemplate(&b, "feeds.html", p); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", pageTypes["html"])
	w.Write(b.Bytes())
}

// opml serves /opml: Herald's own output feeds, one folder per topic, for
// subscribing a reader to all of them at once.
func (s *server) opml(w http.ResponseWriter, r *http.Request) {
	base := s.base(r)
	list := []feeds.OPMLFeed{{URL: base + "/all.rss", Title: "Herald: all topics"}}
	for _, t := range s.topics() {
		list = append(list,
			feeds.OPMLFeed{URL: base + "/topics/" + t.Name + ".rss", Title: "Herald: " + t.Title, Topic: t.Title},
			feeds.OPMLFeed{URL: base + "/topics/" + t.Name + "/briefings.rss", Title: "Herald: " + t.Title + " daily briefing", Topic: t.Title})
	}
	var b bytes.Buffer
	if err := feeds.WriteOPML(&b, "Herald output feeds", list); err != nil {
		s.fail(w, r, err)
		return
	}
	serveBody(w, r, "text/x-opml; charset=utf-8", b.Bytes(), time.Time{})
}
