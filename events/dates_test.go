package events

import (
	"testing"
	"time"
)

func TestTitleDay(t *testing.T) {
	for title, want := range map[string]int{
		"TV Patrol Panay - April 27, 2020":         427,
		"Unang Hirit Livestream (April 29, 2020)":  429,
		"Markets on 3rd May: stocks slide":         503,
		"Singapore visitor arrivals in March fall": 0,
		"Trump may 2x tariffs":                     0,
		"Apollo 13 launched 50 years ago":          0,
	} {
		if got := titleDay(splitWords(title)); got != want {
			t.Errorf("titleDay(%q) = %d, want %d", title, got, want)
		}
	}
}

// A daily bulletin's editions share everything but their date: each is
// its own event.
func TestDatedBulletinsStayApart(t *testing.T) {
	c := New(DefaultOptions())
	t0 := time.Date(2020, 4, 27, 9, 0, 0, 0, time.UTC)
	blurb := "Regional news from Panay and Guimaras, every weekday on the evening bulletin."
	a := c.Add(Doc{ID: "1", Source: "ABS-CBN", Title: "TV Patrol Panay - April 27, 2020", Summary: blurb, Published: t0})
	b := c.Add(Doc{ID: "2", Source: "ABS-CBN", Title: "TV Patrol Panay - April 28, 2020", Summary: blurb, Published: t0.Add(24 * time.Hour)})
	if a.EventID == b.EventID {
		t.Errorf("editions of April 27 and 28 joined one event %s", a.EventID)
	}
	same := c.Add(Doc{ID: "3", Source: "ABS-CBN TV", Title: "TV Patrol Panay - April 28, 2020", Summary: blurb, Published: t0.Add(25 * time.Hour)})
	if same.EventID != b.EventID {
		t.Errorf("two copies of the April 28 edition were split: %s and %s", b.EventID, same.EventID)
	}
}
