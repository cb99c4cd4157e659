package web

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"

	"herald/events"
)

// maxBars bounds the timeline's width: a story older than three days is
// shown in buckets of several hours.
const maxBars = 72

// timeline draws the sources of an event per hour as an inline SVG bar
// chart with a title and a description for screen readers. It uses only
// counts and times, never text from a feed.
func timeline(sources []events.Source) template.HTML {
	if len(sources) == 0 {
		return ""
	}
	first, last := sources[0].Published, sources[0].Published
	for _, s := range sources {
		first, last = earlier(first, s.Published), later(last, s.Published)
	}
	start, step, counts := buckets(sources, first, last)
	peak, peakAt := 0, 0
	for i, c := range counts {
		if c > peak {
			peak, peakAt = c, i
		}
	}
	const w, h, top, bottom = 600.0, 110.0, 8.0, 20.0
	barW := w / float64(len(counts))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="timeline" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="tl-title tl-desc" xmlns="http://www.w3.org/2000/svg">`, w, h)
	fmt.Fprintf(&b, `<title id="tl-title">Reports per %s</title>`, unit(step))
	fmt.Fprintf(&b, `<desc id="tl-desc">%d report%s from %s to %s; the busiest %s, from %s, had %d.</desc>`,
		len(sources), plural(len(sources)), html.EscapeString(when(first)), html.EscapeString(when(last)),
		unit(step), html.EscapeString(when(start.Add(time.Duration(peakAt*step)*time.Hour))), peak)
	for i, c := range counts {
		if c == 0 {
			continue
		}
		bh := (h - top - bottom) * float64(c) / float64(peak)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%d</title></rect>`,
			float64(i)*barW+1, h-bottom-bh, max(barW-2, 1), bh, c)
	}
	fmt.Fprintf(&b, `<text x="0" y="%.0f">%s</text>`, h-5, html.EscapeString(start.Format("2 Jan 15:04")))
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="end">%s</text>`, w, h-5,
		html.EscapeString(start.Add(time.Duration(len(counts)*step)*time.Hour).Format("2 Jan 15:04 UTC")))
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // only numbers and formatted times, escaped
}

// buckets counts sources per bar: bars of step hours from start, the hour
// of the first source.
func buckets(sources []events.Source, first, last time.Time) (start time.Time, step int, counts []int) {
	start = first.UTC().Truncate(time.Hour)
	hours := int(last.Sub(start)/time.Hour) + 1
	step = (hours + maxBars - 1) / maxBars
	counts = make([]int, (hours+step-1)/step)
	for _, s := range sources {
		counts[int(s.Published.Sub(start)/time.Hour)/step]++
	}
	return start, step, counts
}

func unit(step int) string {
	if step == 1 {
		return "hour"
	}
	return fmt.Sprintf("%d hours", step)
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
