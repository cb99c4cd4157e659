package eval

import (
	"crypto/sha1"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"herald/events"
)

// Set is a labeled set as the fitter and the cross-validation see it.
type Set struct {
	Name string
	Docs []LabeledDoc
	// Happenings is true when the gold clusters are events (one
	// happening each), false when they are storylines (UCI, GoogleNews).
	Happenings bool
	// Story maps each doc id to its gold storyline: the gold cluster for
	// storyline sets, the gold event's component of related events for
	// happening sets.
	Story map[string]string
	// Baseline is the plain clusterer the set's README reports.
	Baseline events.Baseline
}

// LoadSet reads NAME.jsonl and, beside it, NAME.related.tsv if present.
func LoadSet(path string, happenings bool) (Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return Set{}, err
	}
	defer f.Close()
	docs, err := ReadDocs(f)
	if err != nil {
		return Set{}, fmt.Errorf("%s: %w", path, err)
	}
	s := Set{Name: strings.TrimSuffix(filepath.Base(path), ".jsonl"), Docs: docs, Happenings: happenings, Story: map[string]string{}}
	var pairs [][2]string
	if happenings {
		if rf, err := os.Open(strings.TrimSuffix(path, ".jsonl") + ".related.tsv"); err == nil {
			pairs, err = ReadRelatedPairs(rf)
			rf.Close()
			if err != nil {
				return Set{}, fmt.Errorf("%s: %w", rf.Name(), err)
			}
		}
	}
	comp := components(pairs)
	for _, d := range docs {
		s.Story[d.ID] = d.Event
		if c, ok := comp[d.Event]; ok {
			s.Story[d.ID] = c
		}
	}
	return s, nil
}

// components names each event of the related pairs by the smallest event
// of its connected component.
func components(pairs [][2]string) map[string]string {
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if p, ok := parent[x]; ok && p != x {
			r := find(p)
			parent[x] = r
			return r
		}
		parent[x] = x
		return x
	}
	for _, p := range pairs {
		a, b := find(p[0]), find(p[1])
		if a > b {
			a, b = b, a
		}
		parent[b] = a
	}
	out := map[string]string{}
	for x := range parent {
		out[x] = find(x)
	}
	return out
}

// Split divides a set in two folds: by time (the first half of its days)
// when its docs span several days, else by a hash of the gold cluster.
func (s Set) Split() [2]Set {
	var out [2]Set
	for k := range out {
		out[k] = Set{Name: fmt.Sprintf("%s/%d", s.Name, k+1), Happenings: s.Happenings, Story: map[string]string{}, Baseline: s.Baseline}
	}
	days := map[string]bool{}
	for _, d := range s.Docs {
		days[d.Published.Format("2006-01-02")] = true
	}
	sorted := make([]string, 0, len(days))
	for d := range days {
		sorted = append(sorted, d)
	}
	slices.Sort(sorted)
	for _, d := range s.Docs {
		k := 0
		if len(sorted) > 1 {
			if d.Published.Format("2006-01-02") >= sorted[len(sorted)/2] {
				k = 1
			}
		} else if sum := sha1.Sum([]byte("fold:" + d.Event)); sum[19]&1 == 1 {
			k = 1
		}
		out[k].Docs = append(out[k].Docs, d)
		out[k].Story[d.ID] = s.Story[d.ID]
	}
	return out
}

// Grains scores a run on a set at both grains.
type Grains struct {
	Event, Story Scores
}

// Evaluate streams a set with opts and scores both grains: the event grain
// against the gold clusters, the storyline grain against the gold
// storylines.
func Evaluate(s Set, opts events.Options) Grains {
	as, _ := StreamClusterer(s.Docs, opts)
	return grains(s, as)
}

// EvaluateBounded is Evaluate with the clusterer bounded to maxHeld docs,
// as the placer bounds it (StreamBounded).
func EvaluateBounded(s Set, opts events.Options, maxHeld int) Grains {
	return grains(s, StreamBounded(s.Docs, opts, maxHeld))
}

// grains scores a set's assignments at both grains.
func grains(s Set, as []events.Assignment) Grains {
	ev, st := map[string]string{}, map[string]string{}
	for _, a := range as {
		ev[a.DocID], st[a.DocID] = a.EventID, a.StorylineID
	}
	return Grains{Event: Score(Gold(s.Docs), ev), Story: Score(s.Story, st)}
}

// labeledFiles are the labeled sets of shared/data/clustering: which
// grain their gold clusters are, and the plain baseline their README
// reports for them.
var labeledFiles = []struct {
	name       string
	happenings bool
	baseline   events.Baseline
}{
	{"headlines-2020-dev", true, events.Baseline{Threshold: 0.45, TitleOnly: true}},
	{"headlines-2020a-train", true, events.Baseline{Threshold: 0.45, TitleOnly: true}},
	{"headlines-2020b-train", true, events.Baseline{Threshold: 0.45, TitleOnly: true}},
	{"uci-newsagg-head-dev", false, events.Baseline{Threshold: 0.10, TitleOnly: true}},
	{"googlenews-ts-dev", false, events.Baseline{Threshold: 0.10}},
}

// LabeledSets loads the labeled sets found in dir.
func LabeledSets(dir string) ([]Set, error) {
	var out []Set
	for _, f := range labeledFiles {
		s, err := LoadSet(filepath.Join(dir, f.name+".jsonl"), f.happenings)
		if err != nil {
			return nil, err
		}
		s.Baseline = f.baseline
		out = append(out, s)
	}
	return out, nil
}

// Folds cuts the sets into the folds of the cross-validation: each
// headlines window is a fold (leave one window out), and each storyline
// set gives two (by time for UCI, by story for GoogleNews).
func Folds(sets []Set) []Set {
	var out []Set
	for _, s := range sets {
		if s.Happenings {
			out = append(out, s)
		} else {
			halves := s.Split()
			out = append(out, halves[0], halves[1])
		}
	}
	return out
}

// FoldResult is the score of one fold, fitted on all the others.
type FoldResult struct {
	Name       string
	Happenings bool
	Items      int
	Fitted     events.Fitted
	Herald     Grains
	Bounded    *Grains // with the clusterer bounded (CrossValidate's maxHeld); nil without
	Baseline   Scores
}

// CrossValidate fits on all folds but one and scores that one, for each
// fold, also with the clusterer bounded to maxHeld docs when it is above
// 0; progress is called after each.
func CrossValidate(folds []Set, base events.Options, maxHeld int, progress func(FoldResult)) []FoldResult {
	var out []FoldResult
	for i, f := range folds {
		train := slices.Delete(slices.Clone(folds), i, i+1)
		opts := Fit(train, base)
		r := FoldResult{Name: f.Name, Happenings: f.Happenings, Items: len(f.Docs), Fitted: events.FittedOf(opts),
			Herald: Evaluate(f, opts), Baseline: Score(Gold(f.Docs), f.Baseline.Run(plainDocs(f.Docs)))}
		if maxHeld > 0 {
			b := EvaluateBounded(f, opts, maxHeld)
			r.Bounded = &b
		}
		out = append(out, r)
		if progress != nil {
			progress(r)
		}
	}
	return out
}

// Fit fits a configuration on labeled sets (events.Fit), choosing its
// thresholds by their scores: pairwise plus B-cubed F1 of the happening
// sets at the event grain, B-cubed F1 of every set at the storyline grain.
func Fit(train []Set, base events.Options) events.Options {
	sets := make([]events.TrainingSet, len(train))
	for i, s := range train {
		sets[i] = events.TrainingSet{Docs: plainDocs(s.Docs), Story: s.Story, Happenings: s.Happenings}
		if s.Happenings {
			sets[i].Event = Gold(s.Docs)
		}
	}
	return events.Fit(sets, base, events.Objective{
		Event: func(o events.Options) float64 {
			total := 0.0
			for _, s := range train {
				if s.Happenings {
					sc := Evaluate(s, o).Event
					total += sc.PairF1 + sc.BcubedF1
				}
			}
			return total
		},
		Story: func(o events.Options) float64 {
			total := 0.0
			for _, s := range train {
				total += Evaluate(s, o).Story.BcubedF1
			}
			return total
		},
	})
}
