package events

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var hlSets = []string{"headlines-2020-dev", "headlines-2020a-train", "headlines-2020b-train"}

func labScore(docs []LabeledDoc, opts Options) Scores {
	return Score(Gold(docs), Predicted(Stream(docs, opts)))
}

func fmtModel(m Model) string {
	out := ""
	for i, w := range m.Weights {
		if w != 0 {
			out += fmt.Sprintf("%s=%.2f ", featureNames[i], w)
		}
	}
	return out + fmt.Sprintf("bias=%.2f", m.Bias)
}

// TestLabPairs: how well does one pairwise similarity separate same-event
// pairs from the rest (best F1 over thresholds, over all pairs of a window)?
func TestLabPairs(t *testing.T) {
	if os.Getenv("HERALD_LAB") == "" {
		t.Skip("lab: set HERALD_LAB=1")
	}
	base := DefaultOptions()
	if v := os.Getenv("HERALD_LAB_IDF"); v != "" {
		base.IDFPower, _ = strconv.ParseFloat(v, 64)
	}
	if v := os.Getenv("HERALD_LAB_ENT"); v != "" {
		base.EntityWeight, _ = strconv.ParseFloat(v, 64)
	}
	for _, n := range hlSets {
		docs := sortedDocs(devSet(t, n))
		c := New(base)
		var ds []*docState
		for _, d := range docs {
			c.Teach(d.Doc, d.Event)
			ds = append(ds, c.docs[d.ID])
		}
		// recompute vectors with the final window's IDF
		type pr struct {
			s    float64
			same bool
		}
		for _, kind := range []string{"full", "title"} {
			var ps []pr
			gold := 0
			for i := range ds {
				for j := i + 1; j < len(ds); j++ {
					same := docs[i].Event == docs[j].Event
					if same {
						gold++
					}
					var s float64
					if kind == "full" {
						s = ds[i].an.vec.cosine(ds[j].an.vec)
					} else {
						s = ds[i].an.tvec.cosine(ds[j].an.tvec)
					}
					if s > 0.05 {
						ps = append(ps, pr{s, same})
					}
				}
			}
			slices.SortFunc(ps, func(a, b pr) int { return cmp.Compare(b.s, a.s) })
			tp, best, bestT := 0, 0.0, 0.0
			for k, p := range ps {
				if p.same {
					tp++
				}
				f := 2 * float64(tp) / float64(k+1+gold)
				if f > best {
					best, bestT = f, p.s
				}
			}
			fmt.Printf("%-24s %-5s best pair F1 %.3f at %.2f (gold pairs %d)\n", n, kind, best, bestT, gold)
		}
	}
}

func TestLabPairErrors(t *testing.T) {
	if os.Getenv("HERALD_LAB") == "" {
		t.Skip("lab: set HERALD_LAB=1")
	}
	n := os.Getenv("HERALD_LAB_SET")
	docs := sortedDocs(devSet(t, n))
	c := New(DefaultOptions())
	var ds []*docState
	for _, d := range docs {
		c.Teach(d.Doc, d.Event)
		ds = append(ds, c.docs[d.ID])
	}
	type pr struct {
		s    float64
		i, j int
	}
	var fp, fn []pr
	for i := range ds {
		for j := i + 1; j < len(ds); j++ {
			s := ds[i].an.vec.cosine(ds[j].an.vec)
			if docs[i].Event == docs[j].Event {
				fn = append(fn, pr{s, i, j})
			} else if s > 0.2 {
				fp = append(fp, pr{s, i, j})
			}
		}
	}
	slices.SortFunc(fp, func(a, b pr) int { return cmp.Compare(b.s, a.s) })
	slices.SortFunc(fn, func(a, b pr) int { return cmp.Compare(a.s, b.s) })
	show := func(p pr) {
		fmt.Printf("%.2f  %-30.30s %-70.70s\n      %-30.30s %-70.70s\n", p.s, docs[p.i].Event[5:], docs[p.i].Title, docs[p.j].Event[5:], docs[p.j].Title)
	}
	fmt.Println("== false pairs, most similar")
	for _, p := range fp[:min(40, len(fp))] {
		show(p)
	}
	fmt.Println("== true pairs, least similar")
	for _, p := range fn[:min(40, len(fn))] {
		show(p)
	}
}

func labSets(t *testing.T) []Set {
	var folds []Set
	for _, n := range hlSets {
		s, err := LoadSet(filepath.Join(devDir, n+".jsonl"), true)
		if err != nil {
			t.Fatal(err)
		}
		folds = append(folds, s)
	}
	for _, n := range []string{"uci-newsagg-head-dev", "googlenews-ts-dev"} {
		s, err := LoadSet(filepath.Join(devDir, n+".jsonl"), false)
		if err != nil {
			t.Fatal(err)
		}
		sp := s.Split()
		folds = append(folds, sp[0], sp[1])
	}
	return folds
}

func labBase() Options {
	base := DefaultOptions()
	if v := os.Getenv("HERALD_LAB_IDF"); v != "" {
		base.IDFPower, _ = strconv.ParseFloat(v, 64)
	}
	if v := os.Getenv("HERALD_LAB_ENT"); v != "" {
		base.EntityWeight, _ = strconv.ParseFloat(v, 64)
	}
	base.StoryFounders = os.Getenv("HERALD_LAB_FOUNDERS") != ""
	if v := os.Getenv("HERALD_LAB_BG"); v != "" {
		base.BackgroundIDF, _ = strconv.ParseFloat(v, 64)
	}
	return base
}

func TestLabCV(t *testing.T) {
	if os.Getenv("HERALD_LAB") == "" {
		t.Skip("lab: set HERALD_LAB=1")
	}
	base := labBase()
	folds := labSets(t)
	sums := map[string][]float64{}
	defer func() {
		for _, k := range []string{"hl-pair", "hl-b3", "uci-story", "gn-story", "uci-event", "gn-event"} {
			fmt.Printf("%s %.3f  ", k, sum(sums[k])/float64(len(sums[k])))
		}
		fmt.Println()
	}()
	for i, out := range folds {
		if f := os.Getenv("HERALD_LAB_FOLD"); f != "" && !strings.Contains(out.Name, f) {
			continue
		}
		train := slices.Delete(slices.Clone(folds), i, i+1)
		opts := Fit(train, base)
		g := Evaluate(out, opts)
		switch {
		case out.Happenings:
			sums["hl-pair"] = append(sums["hl-pair"], g.Event.PairF1)
			sums["hl-b3"] = append(sums["hl-b3"], g.Event.BcubedF1)
		case strings.HasPrefix(out.Name, "uci"):
			sums["uci-story"] = append(sums["uci-story"], g.Story.BcubedF1)
			sums["uci-event"] = append(sums["uci-event"], g.Event.BcubedF1)
		default:
			sums["gn-story"] = append(sums["gn-story"], g.Story.BcubedF1)
			sums["gn-event"] = append(sums["gn-event"], g.Event.BcubedF1)
		}
		fmt.Printf("%-26s join %.2f sjoin %.2f | event B3 %.3f pair %.3f (P %.3f R %.3f) | story B3 %.3f (P %.3f R %.3f) pair %.3f\n",
			out.Name, opts.Join, opts.StoryJoin, g.Event.BcubedF1, g.Event.PairF1, g.Event.PairP, g.Event.PairR,
			g.Story.BcubedF1, g.Story.BcubedP, g.Story.BcubedR, g.Story.PairF1)
		if os.Getenv("HERALD_LAB_V") != "" {
			fmt.Println("   ", fmtModel(opts.Model), "|", opts.StoryModel)
		}
	}
}

func TestLabPred(t *testing.T) {
	dir := os.Getenv("HERALD_LAB_PRED")
	if os.Getenv("HERALD_LAB") == "" || dir == "" {
		t.Skip("lab: set HERALD_LAB=1 HERALD_LAB_PRED=dir")
	}
	base := labBase()
	folds := labSets(t)
	for i, out := range folds {
		if f := os.Getenv("HERALD_LAB_FOLD"); f != "" && !strings.Contains(out.Name, f) {
			continue
		}
		train := slices.Delete(slices.Clone(folds), i, i+1)
		opts := Fit(train, base)
		as := Stream(out.Docs, opts)
		name := strings.ReplaceAll(out.Name, "/", "-")
		f, _ := os.Create(filepath.Join(dir, name+".pred"))
		WritePredictions(f, as)
		f.Close()
		for k := range as {
			as[k].EventID = as[k].StorylineID
		}
		f, _ = os.Create(filepath.Join(dir, name+".story.pred"))
		WritePredictions(f, as)
		f.Close()
	}
}

func TestLabTrace(t *testing.T) {
	if os.Getenv("HERALD_LAB") == "" {
		t.Skip("lab: set HERALD_LAB=1")
	}
	base := labBase()
	folds := labSets(t)
	k := slices.IndexFunc(folds, func(s Set) bool { return strings.Contains(s.Name, os.Getenv("HERALD_LAB_FOLD")) })
	out := folds[k]
	opts := Fit(slices.Delete(slices.Clone(folds), k, k+1), base)
	fmt.Println(fmtModel(opts.Model), opts.Join)
	c := New(opts)
	gold := map[string]string{}
	for _, d := range out.Docs {
		gold[d.ID] = d.Event
	}
	for _, d := range sortedDocs(out.Docs) {
		ds := c.read(d.Doc)
		ev, st, _ := c.decide(ds)
		if ev != nil && ds.dupOf == "" {
			x := c.features(ds, c.nameIDFs(ds), ev)
			mark := "ok "
			if gold[ev.members[0].doc.ID] != d.Event {
				mark = "BAD"
			}
			fmt.Printf("%s p=%.2f %-60.60s -> [%d] %-50.50s ", mark, c.opts.Model.prob(x), d.Title, ev.size(), ev.members[0].doc.Title)
			for i, v := range x {
				fmt.Printf("%s=%.2f ", featureNames[i], v)
			}
			fmt.Println()
		}
		if ev == nil {
			ev = c.newEvent(c.eventID(d.ID))
			c.joinStory(ev, st)
		}
		c.attach(ds, ev)
	}
}

func TestLabCurve(t *testing.T) {
	if os.Getenv("HERALD_LAB") == "" {
		t.Skip("lab: set HERALD_LAB=1")
	}
	base := labBase()
	folds := labSets(t)
	k := slices.IndexFunc(folds, func(s Set) bool { return strings.Contains(s.Name, os.Getenv("HERALD_LAB_FOLD")) })
	out := folds[k]
	opts := Fit(slices.Delete(slices.Clone(folds), k, k+1), base)
	for j := 0.1; j < 0.96; j += 0.1 {
		opts.Join = j
		s := Evaluate(out, opts).Event
		fmt.Printf("join %.1f  B3 %.3f  pair %.3f (P %.3f R %.3f)\n", j, s.BcubedF1, s.PairF1, s.PairP, s.PairR)
	}
}

func TestLabStorySweep(t *testing.T) {
	if os.Getenv("HERALD_LAB") == "" {
		t.Skip("lab: set HERALD_LAB=1")
	}
	sets, err := LabeledSets(devDir)
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	fmt.Println("fitted sjoin", opts.StoryJoin, "smerge", opts.StoryMerge)
	for _, j := range []float64{0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5} {
		o := opts
		o.StoryJoin = j
		o.StoryMerge = max(o.StoryMerge, j)
		fmt.Printf("sjoin %.2f:", j)
		for _, s := range sets {
			st := Evaluate(s, o).Story
			fmt.Printf("  %s %.3f (P %.2f R %.2f)", s.Name[:8], st.BcubedF1, st.BcubedP, st.BcubedR)
		}
		fmt.Println()
	}
}

func TestLabStoryTrace(t *testing.T) {
	if os.Getenv("HERALD_LAB") == "" {
		t.Skip("lab: set HERALD_LAB=1")
	}
	name := os.Getenv("HERALD_LAB_SET")
	docs := devSet(t, name)
	opts := DefaultOptions()
	c := New(opts)
	gold := Gold(docs)
	// the gold label of a storyline: that of its founding doc
	label := func(st *storyline) string { return gold[st.events[0].members[0].doc.ID] }
	shown := 0
	for _, d := range sortedDocs(docs) {
		ds := c.read(d.Doc)
		ev, st, bridged := c.decide(ds)
		if ev == nil && shown < 60 {
			nameIDF := c.nameIDFs(ds)
			cands := c.score(ds, nameIDF)
			sc := c.storyCandidates(ds, cands)
			right := slices.IndexFunc(sc, func(s scored) bool { return label(s.story) == d.Event })
			if (st == nil || label(st) != d.Event) && right >= 0 {
				shown++
				x := c.storyFeatures(ds, nameIDF, sc[right].story, sc[right].p)
				fmt.Printf("MISS q=%.2f %-60.60s -> [%d docs] %v\n", c.opts.StoryModel.prob(x), d.Title, sc[right].story.docs, x)
			}
		}
		if ev == nil {
			ev = c.newEvent(c.eventID(d.ID))
			c.joinStory(ev, st)
		}
		c.attach(ds, ev)
		for _, o := range bridged {
			c.mergeStories(ev.story, o)
		}
	}
}
