package events

import (
	"fmt"
	"testing"
	"time"
)

// furnishedDocs are one channel's unrelated bulletin items, each title
// wrapped in the channel's furniture: a programme prefix, a show name and
// the day's date after "|".
func furnishedDocs() []Doc {
	t0 := time.Date(2020, 6, 2, 6, 0, 0, 0, time.UTC)
	stories := []string{
		"Mga pasahero ng MRT, maagang pumila sa istasyon",
		"Sunog sa isang bodega sa Tondo, naapula na",
		"Presyo ng gulay sa Divisoria, tumaas ngayong linggo",
		"Bagyong papalapit, binabantayan ng PAGASA",
		"Bagong bike lanes sa EDSA, binuksan sa publiko",
		"Mga estudyante, naghahanda sa online classes",
		"Lindol na magnitude 4, naramdaman sa Batangas",
	}
	var docs []Doc
	for i, s := range stories {
		day := t0.Add(time.Duration(i) * 5 * time.Hour)
		docs = append(docs, Doc{
			ID: fmt.Sprint("b", i), Source: "Radyo Channel",
			Title:     fmt.Sprintf("UB: %s | Teleradyo (%d June 2020)", s, day.Day()),
			Published: day,
		})
	}
	return docs
}

// Title furniture a source repeats (a programme name after "|", a
// prefix, the date) is learned from its own stream and does not make
// its unrelated items alike.
func TestTitleFurnitureDoesNotJoin(t *testing.T) {
	checkFurniture(t, furnishedDocs())
}

// A segment that differs only by its date is the same furniture: the
// show of June 2 and the show of June 3 hash alike.
func TestFurnitureIgnoresDates(t *testing.T) {
	a := titleSegments(splitWords("Radyo Patrol Balita | Teleradyo (2 June 2020)"))
	b := titleSegments(splitWords("Radyo Patrol Balita | Teleradyo (3 June 2020)"))
	if len(a) != 2 || len(b) != 2 {
		t.Fatalf("segments: %d and %d, want 2 each", len(a), len(b))
	}
	if a[1].hash != b[1].hash {
		t.Error("the dated show segments hash apart")
	}
	c := titleSegments(splitWords("Radyo Patrol Balita | Teleradyo Espesyal"))
	if c[1].hash == a[1].hash {
		t.Error("a different show name hashes like the dated one")
	}
}
