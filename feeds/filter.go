package feeds

import "strings"

// Filter keeps a topic's items by keyword: an item passes when its title or
// text contains one of Include (or Include is empty) and none of Exclude.
// Matching ignores case; a keyword may hold several words ("kim jong").
type Filter struct {
	Include []string
	Exclude []string
}

// Match reports whether the item passes the filter.
func (f Filter) Match(it Item) bool {
	if len(f.Include) == 0 && len(f.Exclude) == 0 {
		return true
	}
	hay := strings.ToLower(it.Title + "\n" + it.Text)
	for _, w := range f.Exclude {
		if strings.Contains(hay, strings.ToLower(w)) {
			return false
		}
	}
	if len(f.Include) == 0 {
		return true
	}
	for _, w := range f.Include {
		if strings.Contains(hay, strings.ToLower(w)) {
			return true
		}
	}
	return false
}
