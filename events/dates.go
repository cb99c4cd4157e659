package events

import "strconv"

// A title that names its day ("TV Patrol Panay - April 27, 2020", "Unang
// Hirit (April 29, 2020)") tells which day's happening it reports: the same
// show or briefing on another day is another event, however alike the
// rest of the title. titleDay reads such a date as month*100 + day (0 when
// the title names none); the year is not needed inside an event's window.
func titleDay(words []word) int {
	for i := 0; i+1 < len(words); i++ {
		if m := monthOf(words[i].lower); m > 0 {
			if d := dayOf(words[i+1].lower); d > 0 {
				return m*100 + d
			}
		}
		if d := dayOf(words[i].lower); d > 0 {
			if m := monthOf(words[i+1].lower); m > 0 {
				return m*100 + d
			}
		}
	}
	return 0
}

var months = map[string]int{
	"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
	"may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
	"september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
	"december": 12, "dec": 12,
}

func monthOf(lower string) int { return months[lower] }

// dayOf reads "27" or "27th" as a day of the month.
func dayOf(lower string) int {
	for _, suffix := range []string{"st", "nd", "rd", "th"} {
		if len(lower) > 2 && lower[len(lower)-2:] == suffix {
			lower = lower[:len(lower)-2]
			break
		}
	}
	if len(lower) == 0 || len(lower) > 2 {
		return 0
	}
	d, err := strconv.Atoi(lower)
	if err != nil || d < 1 || d > 31 {
		return 0
	}
	return d
}

// dayClash reports whether a doc dated day cannot join an event whose
// dated members name other days only.
func (ev *eventState) dayClash(day int) bool {
	if day == 0 || len(ev.days) == 0 {
		return false
	}
	return ev.days[day] == 0
}
