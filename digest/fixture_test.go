package digest

import (
	"fmt"
	"time"

	"herald/events"
)

var t0 = time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)

// event makes an event with n sources from distinct publishers (plus dups
// near copies), updated at t0 minus age.
func event(id, headline string, n, dups int, age time.Duration, topics ...string) events.Event {
	ev := events.Event{ID: id, Headline: headline, Summary: "Summary of " + headline + ".",
		FirstSeen: t0.Add(-age - time.Hour), LastUpdated: t0.Add(-age), Topics: topics}
	for i := range n + dups {
		pub := fmt.Sprintf("Publisher %d", i)
		if i >= n {
			pub = "Publisher 0" // a near copy from a publisher already counted
		}
		ev.Sources = append(ev.Sources, events.Source{DocID: fmt.Sprint(id, "-", i), Publisher: pub,
			Title: headline, URL: fmt.Sprintf("https://news%d.example/%s", i, id), Published: ev.LastUpdated,
			Duplicate: i >= n})
	}
	ev.Size = len(ev.Sources)
	return ev
}

func testMail() Mail {
	return Mail{From: "Herald <news@herald.example>", PublicURL: "https://herald.example",
		Secret: []byte("test secret"), Now: t0}
}

func testPeriod() Period {
	return Period{Start: t0.Add(-24 * time.Hour), End: t0}
}
