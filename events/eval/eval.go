// Package eval is the evaluation lab of the deduplicator (package events):
// it reads the labeled sets of shared/data/clustering, streams them
// through a Clusterer, and scores the result the way shared/eval/score.py
// does, at the event and the storyline grain (score.go), with the related
// links (related.go); it fits the weights and cross-validates them
// (cv.go). It is a tool for measuring the package, not part of it, and
// uses only the package's exported API; `herald eval` runs it.
package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"herald/events"
)

// LabeledDoc is a doc of an evaluation set with its gold event, which may
// be empty when the set carries no labels.
type LabeledDoc struct {
	events.Doc
	Event string
}

// docLine is the JSON Lines schema of shared/data/clustering.
type docLine struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Summary   string   `json:"summary"`
	Text      string   `json:"text"`
	URL       string   `json:"url"`
	Source    string   `json:"source"`
	Published string   `json:"published"`
	Event     *string  `json:"event"`
	Lang      string   `json:"lang"`
	Topics    []string `json:"topics"`
}

// ReadDocs reads a JSON Lines evaluation set. Blank lines are skipped; a
// line without an id, or with a published time that is not RFC 3339, is
// an error naming the line.
func ReadDocs(r io.Reader) ([]LabeledDoc, error) {
	var out []LabeledDoc
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 64*1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		d, err := parseDocLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, d)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read docs: %w", err)
	}
	return out, nil
}

func parseDocLine(line []byte) (LabeledDoc, error) {
	var l docLine
	if err := json.Unmarshal(line, &l); err != nil {
		return LabeledDoc{}, err
	}
	if l.ID == "" {
		return LabeledDoc{}, fmt.Errorf("doc has no id")
	}
	var t time.Time
	if l.Published != "" {
		var err error
		if t, err = time.Parse(time.RFC3339, l.Published); err != nil {
			return LabeledDoc{}, fmt.Errorf("doc %s: published: %w", l.ID, err)
		}
	}
	d := LabeledDoc{Doc: events.Doc{
		ID: l.ID, Source: l.Source, Title: l.Title, Summary: l.Summary, Text: l.Text,
		Lang: l.Lang, Published: t.UTC(), Topics: l.Topics,
	}}
	if l.Event != nil {
		d.Event = *l.Event
	}
	return d, nil
}

// Stream runs the clusterer over docs as a stream in publication order
// (stable: docs published at the same instant keep their file order) and
// returns the assignments in that order, each with the doc's event at the
// end of the stream (events merged on the way are resolved). The gold
// event is never shown to the clusterer.
func Stream(docs []LabeledDoc, opts events.Options) []events.Assignment {
	as, _ := StreamClusterer(docs, opts)
	return as
}

// StreamClusterer is Stream that also returns the clusterer at the end of
// the stream, to ask it about the events (Related, Event).
func StreamClusterer(docs []LabeledDoc, opts events.Options) ([]events.Assignment, *events.Clusterer) {
	order := inPublicationOrder(docs)
	c := events.New(opts)
	out := make([]events.Assignment, 0, len(order))
	for _, d := range order {
		out = append(out, c.Add(d))
	}
	for i := range out {
		out[i].EventID, _ = c.EventOf(out[i].DocID)
		out[i].StorylineID, _ = c.StorylineOf(out[i].EventID)
	}
	return out, c
}

// StreamBounded is Stream with the clusterer bounded as the placer bounds
// it (poll.cluster_max_items): once it holds more than maxHeld docs, the
// events updated longest ago are let go, down to nine tenths of the bound.
// A doc's event is the one it was placed in (events do not merge), and its
// storyline the one that storyline was merged into by the end.
func StreamBounded(docs []LabeledDoc, opts events.Options, maxHeld int) []events.Assignment {
	order := inPublicationOrder(docs)
	c := events.New(opts)
	out := make([]events.Assignment, 0, len(order))
	into := map[string]string{} // merged storyline -> the one it went into
	for _, d := range order {
		a := c.Add(d)
		for _, old := range a.MergedStorylines {
			into[old] = a.StorylineID
		}
		out = append(out, a)
		c.Bound(maxHeld)
	}
	for i := range out {
		for st, ok := into[out[i].StorylineID]; ok; st, ok = into[st] {
			out[i].StorylineID = st
		}
	}
	return out
}

// inPublicationOrder returns the docs without their labels, as a stream
// brings them: by publication time, docs of one instant in file order.
func inPublicationOrder(docs []LabeledDoc) []events.Doc {
	order := plainDocs(docs)
	slices.SortStableFunc(order, func(a, b events.Doc) int { return a.Published.Compare(b.Published) })
	return order
}

// plainDocs returns the docs without their labels, in the same order.
func plainDocs(docs []LabeledDoc) []events.Doc {
	out := make([]events.Doc, len(docs))
	for i, d := range docs {
		out[i] = d.Doc
	}
	return out
}

// Gold maps doc id to gold event for the docs that carry one.
func Gold(docs []LabeledDoc) map[string]string {
	m := make(map[string]string, len(docs))
	for _, d := range docs {
		if d.Event != "" {
			m[d.ID] = d.Event
		}
	}
	return m
}

// Predicted maps doc id to predicted event id.
func Predicted(as []events.Assignment) map[string]string {
	m := make(map[string]string, len(as))
	for _, a := range as {
		m[a.DocID] = a.EventID
	}
	return m
}

// WritePredictions writes one {"id","cluster"} JSON object per line, the
// prediction format of shared/eval/score.py.
func WritePredictions(w io.Writer, as []events.Assignment) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, a := range as {
		if err := enc.Encode(struct {
			ID      string `json:"id"`
			Cluster string `json:"cluster"`
		}{a.DocID, a.EventID}); err != nil {
			return fmt.Errorf("write predictions: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write predictions: %w", err)
	}
	return nil
}
