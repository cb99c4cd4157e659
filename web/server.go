// Package web is Herald's HTTP side: output feeds of events (RSS, Atom,
// JSON Feed), event, storyline and briefing pages in four formats (HTML,
// JSON, XML, Markdown), the health table of the polled feeds, an OPML of
// the output feeds, health checks, metrics and the digest's unsubscribe
// endpoint.
//
// Everything it shows comes from feeds written by strangers: HTML goes
// through html/template, summaries are shown as plain text, and only http(s)
// links are ever emitted.
package web

import (
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	texttemplate "text/template"
	"time"

	"herald/events"
	"herald/feeds"
)

// Store is what the web server reads; *store.Store is one.
type Store interface {
	Ping(ctx context.Context) error
	// WriteError is why the store's last write failed, nil when it went
	// through: a store that cannot write (a full disk) is not ready,
	// whatever it reads.
	WriteError() error
	// Events returns the events q selects, the most recently updated
	// first.
	Events(ctx context.Context, q events.Query) ([]events.Event, error)
	// EventWeights returns the events q selects with what ranking reads
	// and no text: ids, storylines, reports, times, and the sources'
	// publishers, links and copy flags. A page ranks on these, then reads
	// in full what it shows.
	EventWeights(ctx context.Context, q events.Query) ([]events.Event, error)
	// Event returns one event (a folded id resolves) and its related
	// events; an error wrapping ErrNotFound when there is none.
	Event(ctx context.Context, id string) (events.Event, []events.Relation, error)
	// Storyline returns a storyline (a folded id resolves) and its events,
	// oldest first; an error wrapping ErrNotFound when it holds none.
	Storyline(ctx context.Context, id string) (events.Storyline, []events.Event, error)
	// Storylines returns the storylines named by ids that hold events, by
	// id, each with its events' ids, oldest first.
	Storylines(ctx context.Context, ids []string) (map[string]events.Storyline, error)
	// Feeds returns every polled feed with its state, ordered by URL.
	Feeds(ctx context.Context) ([]feeds.Feed, error)
	// FeedPage returns limit feeds of that list from offset on, and how
	// many there are in all.
	FeedPage(ctx context.Context, offset, limit int) ([]feeds.Feed, int, error)
}

// ErrNotFound is what a Store may wrap when an event or a storyline does
// not exist. Any error with a NotFound() bool method that answers true
// counts the same (the store's ErrNotFound has one), so that a Store need
// not import this package.
var ErrNotFound error = notFound{}

type notFound struct{}

func (notFound) Error() string  { return "not found" }
func (notFound) NotFound() bool { return true }

// isNotFound reports whether err says that what was asked for does not
// exist.
func isNotFound(err error) bool {
	var nf interface{ NotFound() bool }
	return errors.As(err, &nf) && nf.NotFound()
}

// Topic is one of the configured topics.
type Topic struct {
	Name, Title string
}

// selects is the topic as an events.Query filter: none for the zero
// Topic, which stands for all topics.
func (t Topic) selects() []string {
	if t.Name == "" {
		return nil
	}
	return []string{t.Name}
}

// Recorder counts requests; *metrics.Metrics is one.
type Recorder interface {
	ObserveRequest(route string, status int)
}

// Options are the server's settings and optional parts.
type Options struct {
	Topics    []Topic
	PublicURL string // absolute links use it when set, else the request's scheme and host

	Metrics      http.Handler // serves /metrics; nil leaves the route out
	Recorder     Recorder     // nil records nothing
	Unsubscriber Unsubscriber // nil leaves /unsubscribe out
	// SchedulerRunning reports whether the daemon's scheduler runs; nil
	// means there is none to check.
	SchedulerRunning func() bool
	// Instance names this daemon among those sharing the database and says
	// whether it leads (clusters); nil when there is no such thing to show.
	Instance func() (id string, leader bool)
	Now      func() time.Time // the clock; time.Now when nil
	Log      *slog.Logger
	// Templates render the pages (ParseTemplates); nil: the built-in ones.
	Templates *Templates
}

// server holds what the handlers share.
type server struct {
	st    Store
	opt   Options
	pages *template.Template
	md    *texttemplate.Template
	log   *slog.Logger
}

// New returns the handler for every route Herald serves.
func New(st Store, opt Options) http.Handler {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Templates == nil {
		opt.Templates = defaultTemplates()
	}
	s := &server{st: st, opt: opt, pages: opt.Templates.html, md: opt.Templates.md, log: opt.Log}
	mux := http.NewServeMux()
	s.routes(mux)
	return s.observe(mux)
}

func (s *server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /{$}", s.frontPage)
	mux.HandleFunc("GET /events/{file}", s.eventPage)
	mux.HandleFunc("GET /storylines/{file}", s.storyline)
	mux.HandleFunc("GET /briefings/{file}", s.briefingPage)
	mux.HandleFunc("GET /topics/{topic}/briefings/{file}", s.briefingPage)
	mux.HandleFunc("GET /topics/{file}", s.topicFeed)
	mux.HandleFunc("GET /topics/{topic}/{file}", s.briefingFeed)
	for _, f := range []string{"/all.rss", "/all.atom", "/all.json"} {
		mux.HandleFunc("GET "+f, s.allFeed)
	}
	mux.HandleFunc("GET /feeds", s.feedHealth)
	mux.HandleFunc("GET /feeds.json", s.feedHealth)
	mux.HandleFunc("GET /opml", s.opml)
	if s.opt.Metrics != nil {
		mux.Handle("GET /metrics", s.opt.Metrics)
	}
	if s.opt.Unsubscriber != nil {
		mux.HandleFunc("GET /unsubscribe", s.unsubscribeForm)
		mux.HandleFunc("POST /unsubscribe", s.unsubscribe)
	}
}

// statusWriter remembers the status a handler wrote. With hostLinks (no
// public URL: absolute links come from the request's Host) it makes a
// cacheable answer private, so that a shared cache never hands a page
// built for one Host to another client.
type statusWriter struct {
	http.ResponseWriter
	status    int
	hostLinks bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.privateCache()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
		w.privateCache()
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) privateCache() {
	h := w.Header()
	if cc := h.Get("Cache-Control"); w.hostLinks && strings.HasPrefix(cc, "public") {
		h.Set("Cache-Control", "private"+strings.TrimPrefix(cc, "public"))
	}
}

// observe sets the headers every answer carries and counts requests by
// route pattern (not by path, which would give a series per event).
func (s *server) observe(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// Pages use no script and no outside resource: forbid both, so
		// even markup that slipped through could run nothing.
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		sw := &statusWriter{ResponseWriter: w, hostLinks: s.opt.PublicURL == ""}
		if sw.hostLinks {
			h.Set("Vary", "Host") // absolute links follow it (base)
		}
		mux.ServeHTTP(sw, r) // sets r.Pattern to the route that matched
		if s.opt.Recorder != nil {
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			if sw.status == 0 {
				sw.status = http.StatusOK
			}
			s.opt.Recorder.ObserveRequest(route, sw.status)
		}
	})
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// readyz answers 200 when the store answers and the scheduler runs. The
// JSON object is open: more checks can add keys.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	body := map[string]string{"status": "ok", "store": "ok"}
	code := http.StatusOK
	if err := s.st.Ping(ctx); err != nil {
		body["status"], body["store"] = "unavailable", "error: "+err.Error()
		code = http.StatusServiceUnavailable
	} else if err := s.st.WriteError(); err != nil {
		body["status"], body["store"] = "unavailable", "error: cannot write: "+err.Error()
		code = http.StatusServiceUnavailable
	}
	if s.opt.SchedulerRunning != nil {
		body["scheduler"] = "running"
		if !s.opt.SchedulerRunning() {
			body["status"], body["scheduler"] = "unavailable", "stopped"
			code = http.StatusServiceUnavailable
		}
	}
	if s.opt.Instance != nil {
		id, leader := s.opt.Instance()
		body["instance"], body["role"] = id, "follower"
		if leader {
			body["role"] = "leader"
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, code, body)
}

// fail answers a request that could not be served: 404 for a missing
// thing, 500 (logged, details hidden) for the rest.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if isNotFound(err) {
		s.notFound(w, r, err.Error())
		return
	}
	if r.Context().Err() != nil {
		return // the client left
	}
	s.log.Error("http request failed", "path", r.URL.Path, "error", err)
	http.Error(w, "internal error; see the server log", http.StatusInternalServerError)
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request, msg string) {
	http.Error(w, msg, http.StatusNotFound)
}
