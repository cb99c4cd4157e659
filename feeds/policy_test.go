package feeds

import (
	"net/http"
	"testing"
	"time"
)

// policyNow is a Wednesday morning in GMT; all policy tests are DST-free.
var policyNow = time.Date(2026, 11, 4, 10, 15, 0, 0, time.UTC)

func at(day, hour, minute int) time.Time {
	return time.Date(2026, 11, day, hour, minute, 0, 0, time.UTC)
}

func noJitter(time.Duration) time.Duration { return 0 }

func TestNextPoll(t *testing.T) {
	if policyNow.Weekday() != time.Wednesday {
		t.Fatalf("policyNow is a %v; the cases below assume a Wednesday", policyNow.Weekday())
	}
	const h = time.Hour
	tests := []struct {
		name       string
		hints      Hints
		freshUntil time.Time
		retryAfter time.Time
		failures   int
		want       time.Time
	}{
		{name: "no hints: now", want: policyNow},
		{name: "ttl", hints: Hints{TTL: h}, want: at(4, 11, 15)},
		{name: "updateEvery beats ttl", hints: Hints{TTL: h, UpdateEvery: 2 * h}, want: at(4, 12, 15)},
		{name: "freshUntil beats hints", hints: Hints{TTL: h}, freshUntil: at(4, 13, 15), want: at(4, 13, 15)},
		{name: "freshUntil in the past", freshUntil: at(3, 9, 0), want: policyNow},
		{name: "negative ttl ignored", hints: Hints{TTL: -h}, want: policyNow},
		{name: "silly ttl capped at 24h", hints: Hints{TTL: 30 * 24 * h}, want: at(5, 10, 15)},
		{name: "silly updateEvery capped", hints: Hints{UpdateEvery: 365 * 24 * h}, want: at(5, 10, 15)},
		{name: "year-long max-age capped", freshUntil: policyNow.AddDate(1, 0, 0), want: at(5, 10, 15)},
		{name: "skipHours pushes past skipped hours",
			hints: Hints{TTL: h, SkipHours: []int{11, 12}}, want: at(4, 13, 0)},
		{name: "skipHours covers now",
			hints: Hints{SkipHours: []int{10}}, want: at(4, 11, 0)},
		{name: "skipHours elsewhere: unchanged",
			hints: Hints{TTL: h, SkipHours: []int{3, 4}}, want: at(4, 11, 15)},
		{name: "skipDays Wednesday",
			hints: Hints{TTL: h, SkipDays: []time.Weekday{time.Wednesday}}, want: at(5, 0, 0)},
		{name: "skipDays and skipHours together",
			hints: Hints{SkipDays: []time.Weekday{time.Wednesday, time.Thursday}, SkipHours: []int{0}}, want: at(6, 1, 0)},
		{name: "skipHours 24 means midnight",
			hints: Hints{SkipDays: []time.Weekday{time.Wednesday}, SkipHours: []int{24}}, want: at(5, 1, 0)},
		{name: "every hour skipped: ignored",
			hints: Hints{TTL: h, SkipHours: allHours()}, want: at(4, 11, 15)},
		{name: "every day skipped: ignored",
			hints: Hints{TTL: h, SkipDays: []time.Weekday{0, 1, 2, 3, 4, 5, 6}}, want: at(4, 11, 15)},
		{name: "1 failure: 5 min", failures: 1, want: at(4, 10, 20)},
		{name: "2 failures: 10 min", failures: 2, want: at(4, 10, 25)},
		{name: "4 failures: 40 min", failures: 4, want: at(4, 10, 55)},
		{name: "10 failures: capped at 12h", failures: 10, want: at(4, 22, 15)},
		{name: "a million failures: still 12h", failures: 1_000_000, want: at(4, 22, 15)},
		{name: "failure ignores hints", failures: 1,
			hints: Hints{TTL: 2 * h, SkipHours: []int{10}}, want: at(4, 10, 20)},
		{name: "retryAfter beats backoff", failures: 1, retryAfter: at(4, 11, 15), want: at(4, 11, 15)},
		{name: "backoff beats retryAfter", failures: 5, retryAfter: at(4, 10, 25), want: at(4, 11, 35)},
		{name: "retryAfter capped at 7 days", failures: 1, retryAfter: policyNow.AddDate(0, 2, 0), want: at(11, 10, 15)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NextPoll(policyNow, tt.hints, tt.freshUntil, tt.retryAfter, tt.failures, noJitter)
			if !got.Equal(tt.want) {
				t.Errorf("NextPoll = %v, want %v", got, tt.want)
			}
		})
	}
}

func allHours() []int {
	hours := make([]int, 24)
	for i := range hours {
		hours[i] = i
	}
	return hours
}

func TestNextPollJitter(t *testing.T) {
	var asked time.Duration
	biggest := func(d time.Duration) time.Duration { asked = d; return d - 1 }
	got := NextPoll(policyNow, Hints{}, time.Time{}, time.Time{}, 1, biggest)
	if asked != time.Minute {
		t.Errorf("jitter asked for up to %v, want a fifth of 5 min", asked)
	}
	if want := policyNow.Add(4*time.Minute + 1); !got.Equal(want) {
		t.Errorf("NextPoll = %v, want %v (5 min less the jitter)", got, want)
	}
	if got := NextPoll(policyNow, Hints{}, time.Time{}, time.Time{}, 1, nil); !got.Equal(at(4, 10, 20)) {
		t.Errorf("nil jitter: NextPoll = %v, want plain backoff", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	week := policyNow.Add(7 * 24 * time.Hour)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"120", policyNow.Add(2 * time.Minute)},
		{"  120 ", policyNow.Add(2 * time.Minute)},
		{"0", policyNow},
		{"-30", policyNow},
		{"99999999999999", week},
		{"Wed, 04 Nov 2026 11:15:00 GMT", at(4, 11, 15)},     // IMF-fixdate
		{"Wednesday, 04-Nov-26 11:15:00 GMT", at(4, 11, 15)}, // RFC 850
		{"Wed Nov  4 11:15:00 2026", at(4, 11, 15)},          // asctime
		{"Wed, 21 Oct 2015 07:28:00 GMT", policyNow},         // past: now
		{"Sat, 01 Jan 2050 00:00:00 GMT", week},
		{"", time.Time{}},
		{"1.5", time.Time{}},
		{"tomorrow", time.Time{}},
	}
	for _, tt := range tests {
		if got := ParseRetryAfter(tt.in, policyNow); !got.Equal(tt.want) {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestPolicyCacheFreshUntil(t *testing.T) {
	date := func(t time.Time) string { return t.Format(http.TimeFormat) }
	tests := []struct {
		name    string
		headers http.Header
		want    time.Time
	}{
		{"max-age", http.Header{"Cache-Control": {"public, max-age=600"}}, policyNow.Add(10 * time.Minute)},
		{"upper case, quoted", http.Header{"Cache-Control": {`MAX-AGE="60"`}}, policyNow.Add(time.Minute)},
		{"max-age minus Age", http.Header{"Cache-Control": {"max-age=600"}, "Age": {"100"}}, policyNow.Add(500 * time.Second)},
		{"Age past max-age", http.Header{"Cache-Control": {"max-age=60"}, "Age": {"100"}}, time.Time{}},
		{"max-age=0", http.Header{"Cache-Control": {"max-age=0"}}, time.Time{}},
		{"s-maxage alone", http.Header{"Cache-Control": {"s-maxage=300"}}, policyNow.Add(5 * time.Minute)},
		{"max-age beats s-maxage", http.Header{"Cache-Control": {"s-maxage=300, max-age=60"}}, policyNow.Add(time.Minute)},
		{"no-cache", http.Header{"Cache-Control": {"max-age=600, no-cache"}}, time.Time{}},
		{"no-store on a second line", http.Header{"Cache-Control": {"max-age=600", "no-store"}}, time.Time{}},
		{"max-age beats Expires", http.Header{"Cache-Control": {"max-age=60"}, "Expires": {date(at(5, 0, 0))}}, policyNow.Add(time.Minute)},
		{"Expires", http.Header{"Expires": {date(at(4, 12, 0))}}, at(4, 12, 0)},
		{"Expires relative to a slow server clock",
			http.Header{"Date": {date(policyNow.Add(-time.Hour))}, "Expires": {date(policyNow)}}, policyNow.Add(time.Hour)},
		{"Expires in the past", http.Header{"Expires": {date(at(3, 0, 0))}}, time.Time{}},
		{"Expires 0", http.Header{"Expires": {"0"}}, time.Time{}},
		{"nothing", http.Header{}, time.Time{}},
	}
	for _, tt := range tests {
		if got := cacheFreshUntil(tt.headers, policyNow); !got.Equal(tt.want) {
			t.Errorf("%s: cacheFreshUntil = %v, want %v", tt.name, got, tt.want)
		}
	}
}
