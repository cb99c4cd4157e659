package rank

import (
	"net/url"
	"strings"

	"herald/events"
)

// Publishers returns one report per publisher of ev, the one readers are
// sent to: among the publisher's reports with a web link, the one the
// deduplicator marked (events.Source.Link: its most central, most recent
// report), else its latest that is not a near copy, else its latest. A
// publisher with no web link at all is returned with its latest report.
// Publishers come in the order of their first report.
func Publishers(ev events.Event) []events.Source {
	var out []events.Source
	at := map[string]int{}
	for _, s := range ev.Sources {
		k := strings.ToLower(publisherKey(s))
		i, ok := at[k]
		if !ok {
			at[k] = len(out)
			out = append(out, s)
			continue
		}
		if better(s, out[i]) {
			out[i] = s
		}
	}
	return out
}

// better reports whether report a is a better link to a publisher than b.
func better(a, b events.Source) bool {
	if wa, wb := isWebURL(a.URL), isWebURL(b.URL); wa != wb {
		return wa
	}
	if a.Link != b.Link {
		return a.Link
	}
	if a.Duplicate != b.Duplicate {
		return !a.Duplicate
	}
	return !a.Published.Before(b.Published) // sources come oldest first: the later one wins ties
}

// isWebURL reports whether s is an absolute http(s) URL: sources come
// from strangers' feeds, and only those are ever linked.
func isWebURL(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
