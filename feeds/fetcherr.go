package feeds

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Errors a caller may branch on with errors.Is. Every error Fetch returns
// is a *FetchError; these are wrapped inside it.
var (
	// ErrGone: the server answered 410. FetchError.Permanent is set too;
	// the poller should disable the feed.
	ErrGone = errors.New("feed gone")
	// ErrNotFeed: the body is something other than RSS, Atom or JSON Feed,
	// such as an HTML page (a login wall, a bot challenge, a soft 404); the
	// message names what was seen. Keep the stored items: it is not "0 items".
	// Fetch returns it for bodies that are plainly HTML, Parse for the rest.
	ErrNotFeed = errors.New("not a feed")
	// ErrTooLarge: the decompressed body exceeds Fetcher.MaxBytes.
	ErrTooLarge = errors.New("response too large")
	// ErrTimeout: the whole exchange took longer than Fetcher.Timeout.
	ErrTimeout = errors.New("fetch timed out")
)

// FetchError is a failed fetch, explained for the user.
type FetchError struct {
	URL        string    // the feed URL that was asked for
	Status     int       // HTTP status of the final response; 0 when none arrived
	RetryAfter time.Time // from Retry-After on 429/503, clamped; zero when absent
	Permanent  bool      // 410 Gone: stop polling
	Err        error
}

func (e *FetchError) Error() string { return fmt.Sprintf("fetch %s: %v", e.URL, e.Err) }

func (e *FetchError) Unwrap() error { return e.Err }

// statusError explains a non-success status in words a user can act on.
func statusError(feedURL string, hr *http.Response, now time.Time) *FetchError {
	e := &FetchError{URL: feedURL, Status: hr.StatusCode}
	answered := fmt.Sprintf("server answered %d %s", hr.StatusCode, http.StatusText(hr.StatusCode))
	switch hr.StatusCode {
	case http.StatusGone:
		e.Permanent = true
		e.Err = fmt.Errorf("%w: %s; Herald stops polling it (if it comes back, `herald add` it again)", ErrGone, answered)
	case http.StatusUnauthorized:
		e.Err = fmt.Errorf("%s: the feed needs a login, which Herald does not send; use a public feed URL", answered)
	case http.StatusForbidden:
		e.Err = fmt.Errorf("%s: access forbidden (a login wall or a blocked client); check the URL in a browser", answered)
	case http.StatusNotFound:
		e.Err = fmt.Errorf("%s: check the feed URL, or find the new one with `herald add SITE`", answered)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		e.RetryAfter = ParseRetryAfter(hr.Header.Get("Retry-After"), now)
		if e.RetryAfter.IsZero() {
			e.Err = fmt.Errorf("%s; backing off", answered)
		} else {
			e.Err = fmt.Errorf("%s; retrying after %s", answered, e.RetryAfter.UTC().Format(time.RFC3339))
		}
	default:
		e.Err = errors.New(answered)
	}
	discard(hr)
	return e
}
