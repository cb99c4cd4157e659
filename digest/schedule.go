package digest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// LateAfter is how long after its period ends a digest may be rendered
// before it is flagged late (the daemon was down, or stopped).
const LateAfter = 15 * time.Minute

var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// starBit marks a cron field written as "*" (robfig/cron's convention):
// day-of-month and day-of-week then combine with AND instead of OR.
const starBit = 1 << 63

// maxSearchDays bounds the search for a firing: a spec like "0 0 30 2 *"
// never fires.
const maxSearchDays = 5 * 366

// Schedule says when a subscriber's digest periods end: at each firing of a
// cron spec in the subscriber's time zone.
//
// robfig/cron alone skips a 02:30 job on the spring-forward day and runs it
// twice on the fall-back day. Schedule instead fires at the first valid
// instant after a wall time that does not exist (03:00 CEST for 02:30
// Europe/Berlin) and only at the first occurrence of a wall time that
// happens twice.
type Schedule struct {
	spec  *cron.SpecSchedule // nil for @every
	every time.Duration
	loc   *time.Location
}

// ParseSchedule reads a cron spec (five fields or a descriptor such as
// @daily or @every 12h) for the time zone loc.
func ParseSchedule(spec string, loc *time.Location) (Schedule, error) {
	if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") {
		return Schedule{}, errors.New("a digest schedule takes its zone from the subscriber's timezone: drop the CRON_TZ= prefix")
	}
	s, err := cronParser.Parse(spec)
	if err != nil {
		return Schedule{}, err
	}
	if loc == nil {
		loc = time.UTC
	}
	switch v := s.(type) {
	case *cron.SpecSchedule:
		return Schedule{spec: v, loc: loc}, nil
	case cron.ConstantDelaySchedule:
		return Schedule{every: v.Delay, loc: loc}, nil
	}
	return Schedule{}, fmt.Errorf("schedule %q: unsupported kind %T", spec, s)
}

// Location is the zone the schedule runs in.
func (s Schedule) Location() *time.Location { return s.loc }

// Next returns the first firing strictly after t (zero if there is none
// within five years).
func (s Schedule) Next(t time.Time) time.Time {
	if s.spec == nil {
		return t.Truncate(s.every).Add(s.every) // anchored at a fixed origin: stable period keys
	}
	day := t.In(s.loc)
	for range maxSearchDays {
		for _, f := range s.firingsOn(day) {
			if f.After(t) {
				return f
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return time.Time{}
}

// Prev returns the last firing at or before t (zero if there is none within
// five years).
func (s Schedule) Prev(t time.Time) time.Time {
	if s.spec == nil {
		return t.Truncate(s.every)
	}
	day := t.In(s.loc)
	for range maxSearchDays {
		fs := s.firingsOn(day)
		for i := len(fs) - 1; i >= 0; i-- {
			if !fs[i].After(t) {
				return fs[i]
			}
		}
		day = day.AddDate(0, 0, -1)
	}
	return time.Time{}
}

// firingsOn lists the instants the schedule fires on day's local date, in
// order, once each.
func (s Schedule) firingsOn(day time.Time) []time.Time {
	y, mo, d := day.Date()
	date := time.Date(y, mo, d, 12, 0, 0, 0, s.loc)
	if s.spec.Month&(1<<uint(mo)) == 0 || !s.dayMatches(date) {
		return nil
	}
	var out []time.Time
	for h := range 24 {
		if s.spec.Hour&(1<<uint(h)) == 0 {
			continue
		}
		for m := range 60 {
			if s.spec.Minute&(1<<uint(m)) == 0 {
				continue
			}
			f := resolve(y, mo, d, h, m, s.loc)
			if len(out) == 0 || f.After(out[len(out)-1]) { // wall times in a DST gap share one instant
				out = append(out, f)
			}
		}
	}
	return out
}

func (s Schedule) dayMatches(t time.Time) bool {
	dom := s.spec.Dom&(1<<uint(t.Day())) != 0
	dow := s.spec.Dow&(1<<uint(t.Weekday())) != 0
	if s.spec.Dom&starBit != 0 || s.spec.Dow&starBit != 0 {
		return dom && dow
	}
	return dom || dow
}

// resolve turns a local wall time into an instant. A wall time skipped by
// a clock change resolves to the change itself (the first valid instant
// after it); a wall time that happens twice resolves to its first
// occurrence.
func resolve(y int, mo time.Month, d, h, m int, loc *time.Location) time.Time {
	want := time.Date(y, mo, d, h, m, 0, 0, time.UTC)
	t := time.Date(y, mo, d, h, m, 0, 0, loc)
	if got := wall(t); !got.Equal(want) {
		start, end := t.ZoneBounds()
		if got.After(want) {
			return start // normalised forward: the zone that begins at the change
		}
		return end
	}
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return t
	}
	_, before := start.Add(-time.Second).Zone()
	_, after := t.Zone()
	if before > after { // the clocks went back: the same wall time also happened earlier
		if alt := t.Add(-time.Duration(before-after) * time.Second); alt.Before(start) && wall(alt).Equal(want) {
			return alt
		}
	}
	return t
}

// wall is t's local clock reading as a UTC time, for comparing wall times.
func wall(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}

// Period is what one digest covers: events that gained a report stored in
// [Start, End). A digest is identified by its subscriber and End.
type Period struct {
	Start, End time.Time
	Late       bool // rendered well after End, or after missed firings
}

// Due returns the period whose digest is due at now, if any. last is the
// end of the subscriber's previous digest (zero if none) and since is when
// Herald first saw the subscriber, so a new subscriber gets no backdated
// digest. After downtime only the most recent period is due, covering
// everything since the last digest and flagged late: one digest, not one
// per missed firing.
func (s Schedule) Due(last, since, now time.Time) (Period, bool) {
	end := s.Prev(now)
	anchor := last
	if anchor.IsZero() {
		anchor = since
	}
	if end.IsZero() || !end.After(anchor) {
		return Period{}, false
	}
	p := Period{Start: last, End: end, Late: now.Sub(end) > LateAfter}
	if last.IsZero() {
		p.Start = s.FirstStart(end)
	} else if next := s.Next(last); next.Before(end) {
		p.Late = true // at least one firing was missed
	}
	return p, true
}

// FirstStart is where a subscriber's first digest, ending at end, starts:
// at the schedule's firing before end (a day back when there is none). On a
// clock-change day that period is 23 or 25 hours long, like the day.
func (s Schedule) FirstStart(end time.Time) time.Time {
	if prev := s.Prev(end.Add(-time.Millisecond)); !prev.IsZero() {
		return prev
	}
	return end.Add(-24 * time.Hour)
}

// LocalTime turns a wall time, its fields read (to the minute) as a clock
// in loc shows them, into an instant the way the schedule resolves its
// firings: a wall time that happens twice is its first occurrence, one that
// a clock change skips is the change itself. `herald digest --at` reads
// local times with it, so a digest named by a local time is the one the
// schedule makes.
func LocalTime(wall time.Time, loc *time.Location) time.Time {
	return resolve(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), loc)
}
