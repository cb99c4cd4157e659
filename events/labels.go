package events

import "strings"

// labels shares the strings that many held docs repeat: publisher names
// and topic lists. A window holds thousands of docs of each publisher, and
// every doc read from the store or a snapshot brings its own copies.
type labels struct {
	names  map[string]string
	topics map[string]*sharedTopics
}

// sharedTopics is a doc's topics, shared: a pointer is a third of a slice.
type sharedTopics struct{ list []string }

// maxLabels bounds each table: past it, new labels are held as they come
// (a store has about one name per feed, and a few topic lists).
const maxLabels = 1 << 16

func newLabels() labels {
	return labels{names: map[string]string{}, topics: map[string]*sharedTopics{}}
}

// name returns s, or the equal string already held.
func (l *labels) name(s string) string {
	if held, ok := l.names[s]; ok {
		return held
	}
	if len(l.names) < maxLabels {
		l.names[s] = s
	}
	return s
}

// topicList returns ts, or the equal list already held. Held lists are
// shared: nothing may change them.
func (l *labels) topicList(ts []string) *sharedTopics {
	if len(ts) == 0 {
		return nil
	}
	key := strings.Join(ts, "\x00")
	if held, ok := l.topics[key]; ok {
		return held
	}
	held := &sharedTopics{ts}
	if len(l.topics) < maxLabels {
		l.topics[key] = held
	}
	return held
}

// topics returns the list's topics (none for nil).
func (t *sharedTopics) topics() []string {
	if t == nil {
		return nil
	}
	return t.list
}
