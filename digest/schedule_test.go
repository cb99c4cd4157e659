package digest

import (
	"testing"
	"time"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustSchedule(t *testing.T, spec string, loc *time.Location) Schedule {
	t.Helper()
	s, err := ParseSchedule(spec, loc)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// firings lists the schedule's firings in [from, to).
func firings(s Schedule, from, to time.Time) []time.Time {
	var out []time.Time
	for f := s.Next(from.Add(-time.Nanosecond)); !f.IsZero() && f.Before(to); f = s.Next(f) {
		out = append(out, f)
	}
	return out
}

// On the spring-forward day 02:30 does not exist in Berlin: the digest goes
// at 03:00 CEST (01:00 UTC), the first valid instant after it. robfig/cron
// alone skips the day.
func TestScheduleSpringForwardBerlin(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	s := mustSchedule(t, "30 2 * * *", berlin)
	got := firings(s, time.Date(2027, 3, 27, 0, 0, 0, 0, berlin), time.Date(2027, 3, 30, 0, 0, 0, 0, berlin))
	want := []time.Time{
		time.Date(2027, 3, 27, 1, 30, 0, 0, time.UTC), // 02:30 CET
		time.Date(2027, 3, 28, 1, 0, 0, 0, time.UTC),  // 03:00 CEST: 02:30 does not exist
		time.Date(2027, 3, 29, 0, 30, 0, 0, time.UTC), // 02:30 CEST
	}
	assertTimes(t, got, want)
	if p := s.Prev(time.Date(2027, 3, 28, 12, 0, 0, 0, time.UTC)); !p.Equal(want[1]) {
		t.Fatalf("Prev on the spring-forward day = %v, want %v", p, want[1])
	}
}

// On the fall-back day 02:30 happens twice in Berlin: the digest goes once,
// at the first (CEST).
func TestScheduleFallBackBerlin(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	s := mustSchedule(t, "30 2 * * *", berlin)
	got := firings(s, time.Date(2027, 10, 30, 0, 0, 0, 0, berlin), time.Date(2027, 11, 2, 0, 0, 0, 0, berlin))
	want := []time.Time{
		time.Date(2027, 10, 30, 0, 30, 0, 0, time.UTC), // 02:30 CEST
		time.Date(2027, 10, 31, 0, 30, 0, 0, time.UTC), // 02:30 CEST, the first of two
		time.Date(2027, 11, 1, 1, 30, 0, 0, time.UTC),  // 02:30 CET
	}
	assertTimes(t, got, want)
	// Asked between the two occurrences, Prev still names the first.
	between := time.Date(2027, 10, 31, 1, 15, 0, 0, time.UTC) // 02:15 CET
	if p := s.Prev(between); !p.Equal(want[1]) {
		t.Fatalf("Prev between the two 02:30s = %v, want %v", p, want[1])
	}
	if n := s.Next(want[1]); !n.Equal(want[2]) {
		t.Fatalf("Next after the first 02:30 = %v, want the next day %v", n, want[2])
	}
}

// A US zone changes at 02:00 on other dates (2027-03-14 and 2027-11-07).
func TestScheduleNewYork(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	s := mustSchedule(t, "15 2 * * *", ny)
	got := firings(s, time.Date(2027, 3, 13, 0, 0, 0, 0, ny), time.Date(2027, 3, 15, 0, 0, 0, 0, ny))
	assertTimes(t, got, []time.Time{
		time.Date(2027, 3, 13, 7, 15, 0, 0, time.UTC), // 02:15 EST
		time.Date(2027, 3, 14, 7, 0, 0, 0, time.UTC),  // 03:00 EDT
	})
	// Clocks go back from 02:00 EDT to 01:00 EST: 01:30 happens twice.
	s = mustSchedule(t, "30 1 * * *", ny)
	got = firings(s, time.Date(2027, 11, 7, 0, 0, 0, 0, ny), time.Date(2027, 11, 8, 0, 0, 0, 0, ny))
	assertTimes(t, got, []time.Time{time.Date(2027, 11, 7, 5, 30, 0, 0, time.UTC)}) // 01:30 EDT only
	// An hourly schedule has one firing fewer on the fall-back day, none doubled.
	hourly := mustSchedule(t, "0 * * * *", ny)
	day := firings(hourly, time.Date(2027, 11, 7, 0, 0, 0, 0, ny), time.Date(2027, 11, 8, 0, 0, 0, 0, ny))
	if len(day) != 24 {
		t.Fatalf("hourly firings on a 25-hour day = %d, want 24 (01:00 once)", len(day))
	}
}

func TestScheduleWeekdaysAndEvery(t *testing.T) {
	s := mustSchedule(t, "0 7 * * 1-5", time.UTC)
	fri := time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)
	if n := s.Next(fri); !n.Equal(time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC)) {
		t.Fatalf("after Friday's digest comes %v, want Monday 07:00", n)
	}
	e := mustSchedule(t, "@every 6h", time.UTC)
	at := time.Date(2026, 11, 27, 13, 0, 0, 0, time.UTC)
	if p, n := e.Prev(at), e.Next(at); n.Sub(p) != 6*time.Hour || p.After(at) || !n.After(at) {
		t.Fatalf("@every 6h around %v: prev %v next %v", at, p, n)
	}
	if _, err := ParseSchedule("CRON_TZ=Europe/Berlin 0 7 * * *", time.UTC); err == nil {
		t.Fatal("a CRON_TZ prefix was accepted; the zone belongs in timezone")
	}
	never := mustSchedule(t, "0 0 30 2 *", time.UTC)
	if n := never.Next(fri); !n.IsZero() {
		t.Fatalf("30 February fired at %v", n)
	}
}

func TestDue(t *testing.T) {
	s := mustSchedule(t, "0 7 * * *", time.UTC)
	day := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, time.UTC) }
	// A subscriber first seen at 10:00 gets nothing for the 07:00 that passed.
	if p, ok := s.Due(time.Time{}, day(23, 10, 0), day(23, 10, 1)); ok {
		t.Fatalf("backdated first digest: %+v", p)
	}
	// Next morning: the first digest covers one day.
	p, ok := s.Due(time.Time{}, day(23, 10, 0), day(24, 7, 0))
	if !ok || !p.Start.Equal(day(23, 7, 0)) || !p.End.Equal(day(24, 7, 0)) || p.Late {
		t.Fatalf("first digest: %+v %v", p, ok)
	}
	// Already sent: nothing due until the next firing.
	if _, ok := s.Due(day(24, 7, 0), day(23, 10, 0), day(24, 18, 0)); ok {
		t.Fatal("a digest was due twice in one period")
	}
	// Down from the 24th 08:00 to the 26th 09:00: one late digest since the last.
	p, ok = s.Due(day(24, 7, 0), day(23, 10, 0), day(26, 9, 0))
	if !ok || !p.Start.Equal(day(24, 7, 0)) || !p.End.Equal(day(26, 7, 0)) || !p.Late {
		t.Fatalf("after downtime: %+v %v", p, ok)
	}
	// A few minutes after the firing is on time.
	if p, _ := s.Due(day(24, 7, 0), day(23, 10, 0), day(25, 7, 3)); p.Late {
		t.Fatalf("three minutes after the firing flagged late: %+v", p)
	}
}

func assertTimes(t *testing.T, got, want []time.Time) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range got {
		if !got[i].Equal(want[i]) {
			t.Fatalf("firing %d = %v, want %v (all: %v)", i, got[i].UTC(), want[i], got)
		}
	}
}

// A first digest ending on a clock-change day starts at the firing before
// it: 23 hours on the spring-forward day, 25 on the fall-back day (the end
// minus the gap between the two firings before it was an hour off).
func TestFirstWindowOnClockChangeDays(t *testing.T) {
	for _, tt := range []struct {
		zone       string
		end, start time.Time
	}{
		{"Europe/London", time.Date(2027, 3, 28, 6, 0, 0, 0, time.UTC), time.Date(2027, 3, 27, 7, 0, 0, 0, time.UTC)},
		{"Europe/London", time.Date(2026, 10, 25, 7, 0, 0, 0, time.UTC), time.Date(2026, 10, 24, 6, 0, 0, 0, time.UTC)},
		{"America/New_York", time.Date(2027, 3, 14, 11, 0, 0, 0, time.UTC), time.Date(2027, 3, 13, 12, 0, 0, 0, time.UTC)},
		{"America/New_York", time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 10, 31, 11, 0, 0, 0, time.UTC)},
	} {
		s := mustSchedule(t, "0 7 * * *", mustLoad(t, tt.zone))
		if got := s.FirstStart(tt.end); !got.Equal(tt.start) {
			t.Errorf("%s: first digest ending %v starts %v, want %v (the firing before)", tt.zone, tt.end, got, tt.start)
		}
		p, ok := s.Due(time.Time{}, tt.start.Add(-time.Hour), tt.end)
		if !ok || !p.Start.Equal(tt.start) || !p.End.Equal(tt.end) {
			t.Errorf("%s: first period %+v %v, want %v to %v", tt.zone, p, ok, tt.start, tt.end)
		}
	}
}

// A local wall time resolves as the schedule resolves its firings: one
// that happens twice to its first occurrence, one a clock change skips to
// the change itself.
func TestLocalTimeResolvesLikeTheSchedule(t *testing.T) {
	london := mustLoad(t, "Europe/London")
	for _, tt := range []struct {
		wall time.Time
		want time.Time
	}{
		{time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)}, // 01:30 BST, not GMT
		{time.Date(2027, 3, 28, 1, 30, 0, 0, time.UTC), time.Date(2027, 3, 28, 1, 0, 0, 0, time.UTC)},    // skipped: 02:00 BST
		{time.Date(2026, 7, 1, 9, 15, 0, 0, time.UTC), time.Date(2026, 7, 1, 8, 15, 0, 0, time.UTC)},
	} {
		got := LocalTime(tt.wall, london)
		if !got.Equal(tt.want) {
			t.Errorf("LocalTime(%s) = %v, want %v", tt.wall.Format("2006-01-02 15:04"), got.UTC(), tt.want)
		}
		s := mustSchedule(t, tt.wall.Format("4 15 2 1 *"), london)
		if f := s.Next(tt.wall.Add(-48 * time.Hour)); !f.Equal(got) {
			t.Errorf("the schedule fires at %v for that wall time, LocalTime says %v", f.UTC(), got.UTC())
		}
	}
}
