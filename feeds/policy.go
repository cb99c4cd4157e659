package feeds

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Limits of the polling policy.
const (
	// maxHintDelay caps what a document or cache header may ask for, so a
	// silly <ttl> or max-age cannot stop a feed for weeks.
	maxHintDelay = 24 * time.Hour
	// A failing feed is retried after 5 min, 10 min, 20 min … up to 12 h,
	// for ever: it recovers on its own when the server does.
	backoffBase = 5 * time.Minute
	backoffMax  = 12 * time.Hour
	// maxRetryAfter bounds a server's Retry-After.
	maxRetryAfter = 7 * 24 * time.Hour
)

// NextPoll returns the earliest time the feed may be fetched again after a poll at now.
// Pass the Hints the document declared (zero value when unknown), the response's FreshUntil,
// the failure's RetryAfter (zero when none), and the consecutive failure count AFTER this poll
// (0 when this poll succeeded). jitter(d) returns a random duration in [0, d); tests pass a fixed one.
// A nil jitter means none.
//
// On success the next poll waits for the longest of TTL, UpdateEvery and
// freshUntil (each capped at 24 h), then moves out of skipHours/skipDays
// (GMT). On failure it backs off exponentially. Either way it never comes
// before retryAfter (capped at 7 days).
func NextPoll(now time.Time, h Hints, freshUntil, retryAfter time.Time, failures int, jitter func(time.Duration) time.Duration) time.Time {
	var next time.Time
	if failures > 0 {
		next = now.Add(backoff(failures, jitter))
	} else {
		next = latest(now,
			now.Add(capDelay(h.TTL, maxHintDelay)),
			now.Add(capDelay(h.UpdateEvery, maxHintDelay)),
			clampTime(freshUntil, now, now.Add(maxHintDelay)))
		next = skipForward(next, h.SkipHours, h.SkipDays)
	}
	if !retryAfter.IsZero() {
		next = latest(next, clampTime(retryAfter, now, now.Add(maxRetryAfter)))
	}
	return next
}

// backoff is 5 min doubled per failure up to 12 h, shortened by up to a
// fifth at random so that feeds which failed together do not retry together.
func backoff(failures int, jitter func(time.Duration) time.Duration) time.Duration {
	d := backoffBase
	for i := 1; i < failures && d < backoffMax; i++ {
		d *= 2
	}
	d = min(d, backoffMax)
	if jitter != nil {
		d -= jitter(d / 5)
	}
	return d
}

// skipForward moves t to the first hour that neither skipHours nor
// skipDays excludes (both in GMT). A document that skips every hour or
// every day is ignored rather than allowed to stop the feed.
func skipForward(t time.Time, skipHours []int, skipDays []time.Weekday) time.Time {
	var hours [24]bool
	var days [7]bool
	for _, h := range skipHours {
		hours[((h%24)+24)%24] = true // some feeds write 24 for midnight
	}
	for _, d := range skipDays {
		if d >= time.Sunday && d <= time.Saturday {
			days[d] = true
		}
	}
	if allTrue(hours[:]) || allTrue(days[:]) {
		return t
	}
	u := t.UTC()
	for i := 0; i < 8*24 && (hours[u.Hour()] || days[u.Weekday()]); i++ {
		u = u.Truncate(time.Hour).Add(time.Hour)
	}
	return u.In(t.Location())
}

// ParseRetryAfter reads a Retry-After value in either form, delay-seconds
// ("120") or an HTTP date (IMF-fixdate, RFC 850 or asctime), and clamps the
// result to [now, now+7 days]. It returns the zero time when v is empty or
// unreadable, so the caller falls back to its own backoff.
func ParseRetryAfter(v string, now time.Time) time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}
	}
	var t time.Time
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		secs = min(secs, int64(maxRetryAfter/time.Second)) // no overflow below
		t = now.Add(time.Duration(secs) * time.Second)
	} else if date, err := http.ParseTime(v); err == nil {
		t = date
	} else {
		return time.Time{}
	}
	return clampTime(t, now, now.Add(maxRetryAfter))
}

// cacheFreshUntil reads how long a response stays fresh from Cache-Control
// max-age (or s-maxage) minus Age, else from Expires. It returns the zero
// time for no-cache, no-store, or when the headers say nothing useful.
func cacheFreshUntil(h http.Header, now time.Time) time.Time {
	maxAge, sMaxAge := -1, -1
	for _, field := range h.Values("Cache-Control") {
		for _, directive := range strings.Split(field, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(directive), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-cache", "no-store":
				return time.Time{}
			case "max-age":
				maxAge = parseSeconds(value)
			case "s-maxage":
				sMaxAge = parseSeconds(value)
			}
		}
	}
	if maxAge < 0 {
		maxAge = sMaxAge
	}
	if maxAge >= 0 {
		age := max(parseSeconds(h.Get("Age")), 0)
		return futureOrZero(now.Add(time.Duration(maxAge-age)*time.Second), now)
	}
	return expiresTime(h, now)
}

// expiresTime reads Expires relative to the server's Date, so that a server
// whose clock is off still gets the lifetime it meant.
func expiresTime(h http.Header, now time.Time) time.Time {
	expires, err := http.ParseTime(h.Get("Expires"))
	if err != nil {
		return time.Time{} // absent or invalid ("0", "-1"): already expired
	}
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		return futureOrZero(now.Add(expires.Sub(date)), now)
	}
	return futureOrZero(expires, now)
}

// parseSeconds reads a non-negative delta-seconds value, or returns -1.
func parseSeconds(v string) int {
	n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(v), `"`))
	if err != nil || n < 0 {
		return -1
	}
	return min(n, int(maxRetryAfter/time.Second)) // bounded: no overflow in Duration math
}

func futureOrZero(t, now time.Time) time.Time {
	if !t.After(now) {
		return time.Time{}
	}
	return t
}

// capDelay bounds a hint's delay to [0, limit].
func capDelay(d, limit time.Duration) time.Duration {
	return min(max(d, 0), limit)
}

// clampTime bounds t to [lo, hi].
func clampTime(t, lo, hi time.Time) time.Time {
	switch {
	case t.Before(lo):
		return lo
	case t.After(hi):
		return hi
	}
	return t
}

func latest(t time.Time, more ...time.Time) time.Time {
	for _, m := range more {
		if m.After(t) {
			t = m
		}
	}
	return t
}

func allTrue(bs []bool) bool {
	for _, b := range bs {
		if !b {
			return false
		}
	}
	return true
}
