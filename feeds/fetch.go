package feeds

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"time"
)

// Defaults for a zero Fetcher.
const (
	DefaultUserAgent    = "Herald/0.1 (+https://github.com/herald-news/herald; feed poller)"
	DefaultFetchTimeout = 30 * time.Second
	DefaultMaxBytes     = 16 << 20
	DefaultMaxRedirects = 5
)

// acceptFeeds prefers feed types but still takes anything, because many
// servers label real feeds text/html or application/octet-stream.
const acceptFeeds = "application/rss+xml, application/atom+xml, application/feed+json, " +
	"application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"

// Fetcher downloads feeds politely and within fixed limits of time, size and
// redirects, so that a hostile or broken server costs bounded resources.
// Set its fields before the first Fetch; a Fetcher must not be copied after
// first use. It is safe for concurrent use.
type Fetcher struct {
	Client       *http.Client  // nil: a default client; redirects are followed by Fetch itself
	UserAgent    string        // default DefaultUserAgent
	Timeout      time.Duration // total deadline per fetch, body included (default 30s)
	MaxBytes     int64         // cap on the decompressed body (default 16 MiB)
	MaxRedirects int           // default 5
	// Allow lists the internal networks (loopback, private, link-local ...)
	// feeds may reach. Empty, the secure default, refuses them all with
	// ErrForbiddenAddress; see CheckAddr.
	Allow []netip.Prefix

	once   sync.Once
	client *http.Client // Client (or the default) with redirects turned off
}

// Request names the feed to fetch and the validators stored from the last fetch.
type Request struct {
	URL          string
	ETag         string
	LastModified string
}

// Response is a successful fetch: a body, or word that nothing changed.
type Response struct {
	URL          string // final URL after redirects
	PermanentURL string // set when every redirect hop was 301/308: the feed's new home
	NotModified  bool   // the server answered 304
	Body         []byte // decompressed and capped; nil on 304
	ContentType  string
	ETag         string    // validators to store for the next fetch
	LastModified string    // (on 304 the old ones when the server sent none)
	FreshUntil   time.Time // Cache-Control/Expires: do not poll before (zero if none)
	FetchedAt    time.Time
}

// Fetch downloads req.URL with a conditional GET. It fails with a
// *FetchError on any non-2xx/304 status, an empty body, or an HTML page.
func (f *Fetcher) Fetch(ctx context.Context, req Request) (*Response, error) {
	resp, err := f.fetch(ctx, req)
	if err != nil {
		return nil, err
	}
	if !resp.NotModified && sniffMarkup(resp.Body) == "text/html" {
		return nil, &FetchError{URL: req.URL, Status: http.StatusOK, Err: fmt.Errorf(
			"%w: server sent an HTML page (Content-Type %q): try `herald add %s` to discover the feed",
			ErrNotFeed, resp.ContentType, req.URL)}
	}
	return resp, nil
}

// errDeadline marks our own deadline, to tell it from the caller cancelling.
var errDeadline = errors.New("fetch deadline")

// fetch is Fetch without the HTML check, which Discover must skip.
func (f *Fetcher) fetch(ctx context.Context, req Request) (*Response, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, f.timeout(), errDeadline)
	defer cancel()

	hr, permanent, err := f.follow(ctx, req)
	if err != nil {
		return nil, f.fail(ctx, req.URL, 0, err)
	}
	defer hr.Body.Close()

	now := time.Now()
	resp := newResponse(hr, permanent, now)
	switch {
	case resp.NotModified:
		// Some servers omit validators on 304; keep the ones that worked.
		resp.ETag = cmp.Or(resp.ETag, req.ETag)
		resp.LastModified = cmp.Or(resp.LastModified, req.LastModified)
		return resp, nil
	case hr.StatusCode < 200 || hr.StatusCode > 299:
		return nil, statusError(req.URL, hr, now)
	}

	resp.Body, err = f.readBody(hr)
	if err != nil {
		return nil, f.fail(ctx, req.URL, hr.StatusCode, err)
	}
	if len(bytes.TrimSpace(bytes.TrimPrefix(resp.Body, []byte("\uFEFF")))) == 0 {
		// Transient: keep the old items and validators, retry with backoff.
		return nil, &FetchError{URL: req.URL, Status: hr.StatusCode, Err: fmt.Errorf(
			"server answered %d with an empty body; keeping the previous items", hr.StatusCode)}
	}
	return resp, nil
}

// newResponse reads what Response needs from the final response's headers.
func newResponse(hr *http.Response, permanent bool, now time.Time) *Response {
	resp := &Response{
		URL:          hr.Request.URL.String(),
		NotModified:  hr.StatusCode == http.StatusNotModified,
		ContentType:  hr.Header.Get("Content-Type"),
		ETag:         hr.Header.Get("ETag"),
		LastModified: hr.Header.Get("Last-Modified"),
		FreshUntil:   cacheFreshUntil(hr.Header, now),
		FetchedAt:    now,
	}
	if permanent {
		resp.PermanentURL = resp.URL
	}
	return resp
}

// fail turns err into a *FetchError, telling our deadline from the caller's.
func (f *Fetcher) fail(ctx context.Context, feedURL string, status int, err error) error {
	if ctx.Err() != nil {
		if errors.Is(context.Cause(ctx), errDeadline) {
			err = fmt.Errorf("%w: took longer than %v (server too slow)", ErrTimeout, f.timeout())
		} else {
			err = fmt.Errorf("canceled: %w", ctx.Err())
		}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // *url.Error repeats the URL that FetchError already names
	}
	return &FetchError{URL: feedURL, Status: status, Err: err}
}

// follow sends the request and follows redirects itself, so that it can
// detect loops, refuse downgrades and tell a permanent move (every hop
// 301/308) from a temporary one.
func (f *Fetcher) follow(ctx context.Context, req Request) (*http.Response, bool, error) {
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, false, fmt.Errorf("bad feed URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, false, fmt.Errorf("unsupported URL scheme %q: use http or https", u.Scheme)
	}
	seen := map[string]bool{u.String(): true}
	permanent := true
	for hops := 0; ; hops++ {
		hr, err := f.send(ctx, u, req)
		if ae := (*AddressError)(nil); errors.As(err, &ae) {
			return nil, false, refusal(u, hops, ae)
		}
		if err != nil {
			return nil, false, err
		}
		next, err := redirectTarget(hr, u)
		if err != nil {
			discard(hr)
			return nil, false, err
		}
		if next == nil {
			return hr, permanent && hops > 0, nil
		}
		discard(hr)
		switch {
		case hops >= f.maxRedirects():
			return nil, false, fmt.Errorf("stopped after %d redirects (last to %s); give the final feed URL", hops, next)
		case seen[next.String()]:
			return nil, false, fmt.Errorf("redirect loop at %s; the server is misconfigured", next)
		}
		seen[next.String()] = true
		permanent = permanent && (hr.StatusCode == http.StatusMovedPermanently || hr.StatusCode == http.StatusPermanentRedirect)
		u = next
	}
}

// refusal explains which host or redirect led to a forbidden address.
func refusal(u *url.URL, hops int, ae *AddressError) error {
	switch {
	case hops > 0:
		return fmt.Errorf("redirect to %s: %w", u, ae)
	case u.Hostname() != ae.Addr.String():
		return fmt.Errorf("host %s: %w", u.Hostname(), ae)
	}
	return ae
}

// redirectTarget returns where a redirect points, or nil when hr is not one.
func redirectTarget(hr *http.Response, from *url.URL) (*url.URL, error) {
	switch hr.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return nil, nil
	}
	loc := hr.Header.Get("Location")
	if loc == "" {
		return nil, fmt.Errorf("server answered %d without a Location to go to", hr.StatusCode)
	}
	next, err := from.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("bad redirect Location %q: %w", loc, err)
	}
	next.Fragment = ""
	switch {
	case next.Scheme != "http" && next.Scheme != "https":
		return nil, fmt.Errorf("refused redirect to %s: only http and https are followed", next)
	case from.Scheme == "https" && next.Scheme == "http":
		return nil, fmt.Errorf("refused redirect from https to %s (a downgrade to plain http)", next)
	}
	return next, nil
}

// send makes one GET with the polite headers and the validators.
func (f *Fetcher) send(ctx context.Context, u *url.URL, req Request) (*http.Response, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	hreq.Header.Set("User-Agent", cmp.Or(f.UserAgent, DefaultUserAgent))
	hreq.Header.Set("Accept", acceptFeeds)
	// Setting Accept-Encoding ourselves turns off the transport's transparent
	// gzip, so readBody sees the compressed stream and caps what it inflates.
	hreq.Header.Set("Accept-Encoding", "gzip, deflate")
	if req.ETag != "" {
		hreq.Header.Set("If-None-Match", req.ETag)
	}
	if req.LastModified != "" {
		hreq.Header.Set("If-Modified-Since", req.LastModified)
	}
	return f.httpClient().Do(hreq)
}

// discard reads a little of an unwanted body so the connection can be
// reused, then closes it. A big or slow body just closes the connection.
func discard(hr *http.Response) {
	_, _ = io.CopyN(io.Discard, hr.Body, 4<<10)
	hr.Body.Close()
}

// httpClient returns the client with redirects turned off and every
// connection checked against Allow, made once. A Client whose Transport is
// not an *http.Transport is used as given: it must do its own checks.
func (f *Fetcher) httpClient() *http.Client {
	f.once.Do(func() {
		c := http.Client{}
		if f.Client != nil {
			c = *f.Client
		}
		switch t := c.Transport.(type) {
		case nil:
			c.Transport = guardTransport(defaultTransport(), f.Allow)
		case *http.Transport:
			c.Transport = guardTransport(t, f.Allow) // a clone: its own connection pool
		}
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		f.client = &c
	})
	return f.client
}

// defaultTransport has timeouts for each phase; Fetch adds the total deadline.
func defaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSHandshakeTimeout = 10 * time.Second
	t.MaxIdleConnsPerHost = 16 // the poller limits concurrency per host; keep its connections warm
	t.MaxResponseHeaderBytes = 256 << 10
	return t
}

func (f *Fetcher) timeout() time.Duration {
	if f.Timeout > 0 {
		return f.Timeout
	}
	return DefaultFetchTimeout
}

func (f *Fetcher) maxBytes() int64 {
	if f.MaxBytes > 0 {
		return f.MaxBytes
	}
	return DefaultMaxBytes
}

func (f *Fetcher) maxRedirects() int {
	if f.MaxRedirects > 0 {
		return f.MaxRedirects
	}
	return DefaultMaxRedirects
}
