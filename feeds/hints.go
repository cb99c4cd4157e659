package feeds

import (
	"slices"
	"strconv"
	"strings"
	"time"

	ext "github.com/mmcdole/gofeed/extensions"
	"github.com/mmcdole/gofeed/rss"
)

// The poll hints a document gives (RSS ttl, skipHours, skipDays and the
// syndication module's update period), read for feeds/policy.go.

// positiveInt parses a positive decimal integer, tolerating white space.
func positiveInt(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil && n > 0
}

// weekdays maps RSS skipDays names (and common abbreviations) to days.
var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
	"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday,
	"saturday": time.Saturday, "sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// syPeriods are the sy:updatePeriod values.
var syPeriods = map[string]time.Duration{
	"hourly": time.Hour, "daily": 24 * time.Hour, "weekly": 7 * 24 * time.Hour,
	"monthly": 30 * 24 * time.Hour, "yearly": 365 * 24 * time.Hour,
}

// maxHint caps the poll hints a document can give, against overflow and
// typos (ttl=9999999); the scheduling policy applies its own, lower cap.
const maxHint = 30 * 24 * time.Hour

// rssHints reads ttl (minutes), skipHours (0-23, 24 meaning midnight) and
// skipDays, ignoring values that do not parse.
func rssHints(rf *rss.Feed) Hints {
	var h Hints
	if n, ok := positiveInt(rf.TTL); ok {
		h.TTL = time.Duration(min(n, int(maxHint/time.Minute))) * time.Minute
	}
	for _, s := range rf.SkipHours {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 0 && n <= 24 && !slices.Contains(h.SkipHours, n%24) {
			h.SkipHours = append(h.SkipHours, n%24)
		}
	}
	for _, s := range rf.SkipDays {
		if d, ok := weekdays[strings.ToLower(strings.TrimSpace(s))]; ok && !slices.Contains(h.SkipDays, d) {
			h.SkipDays = append(h.SkipDays, d)
		}
	}
	slices.Sort(h.SkipHours)
	slices.Sort(h.SkipDays)
	return h
}

// updateEvery reads the syndication module: updatePeriod (default daily)
// divided by updateFrequency (default 1).
func updateEvery(exts ext.Extensions) time.Duration {
	sy := exts["sy"]
	period, freq := firstExt(sy, "updatePeriod"), firstExt(sy, "updateFrequency")
	if period == "" && freq == "" {
		return 0
	}
	if period == "" {
		period = "daily"
	}
	d, ok := syPeriods[strings.ToLower(period)]
	if !ok {
		return 0
	}
	if n, ok := positiveInt(freq); ok {
		d /= time.Duration(n)
	}
	return min(d, maxHint)
}

func firstExt(m map[string][]ext.Extension, name string) string {
	for _, e := range m[name] {
		if v := strings.TrimSpace(e.Value); v != "" {
			return v
		}
	}
	return ""
}
