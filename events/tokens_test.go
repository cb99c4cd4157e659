package events

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func lowers(ws []word) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.lower)
	}
	return out
}

func TestSplitWords(t *testing.T) {
	cases := map[string][]string{
		"U.S. troops, 12,000 strong, don't leave": {"us", "troops", "12000", "strong", "don't", "leave"},
		"Johnson's son: see https://t.co/x #CNN":  {"johnson", "son", "see", "cnn"},
		"COVID-19 'Bulletin' | 4.8% up…":          {"covid", "19", "bulletin", "4.8", "up"},
		"Pinay caregiver sa Taiwan dinepensahan":  {"pinay", "caregiver", "sa", "taiwan", "dinepensahan"},
		"Пекин и Москва — 北京":                     {"пекин", "и", "москва", "北京"},
		"":                                        nil,
	}
	for in, want := range cases {
		if got := lowers(splitWords(in)); !slices.Equal(got, want) {
			t.Errorf("splitWords(%q) = %q, want %q", in, got, want)
		}
	}
	ws := splitWords("Storm hits: Coast guard. Boats sink")
	if !ws[2].hardBreak || !ws[4].sentStart || ws[1].hardBreak {
		t.Errorf("breaks not marked: %+v", ws)
	}
	if text := "ab  cd"; splitWords(text)[1].start != 4 {
		t.Errorf("offsets: %+v", splitWords(text))
	}
}

func TestTermsStemEnglishOnly(t *testing.T) {
	c := New(DefaultOptions())
	names := func(ids []uint32) []string {
		byID := map[uint32]string{}
		for term, id := range c.vocab.ids {
			byID[id] = term
		}
		var out []string
		for _, id := range ids {
			out = append(out, byID[id])
		}
		return out
	}
	if got := names(c.terms(splitWords("The protesters were protesting"), true)); !slices.Equal(got, []string{"protest", "protest"}) {
		t.Errorf("English terms = %q", got)
	}
	if got := names(c.terms(splitWords("Les manifestations continuent"), false)); !slices.Equal(got, []string{"les", "manifestations", "continuent"}) {
		t.Errorf("other-language terms = %q", got)
	}
}

func entityNames(text string) []string {
	var out []string
	for _, e := range findEntities(splitWords(text)) {
		out = append(out, e.name)
	}
	slices.Sort(out)
	return out
}

func TestFindEntities(t *testing.T) {
	cases := map[string][]string{
		"Boris Johnson and Carrie Symonds announce birth of son":           {"Boris Johnson", "Carrie Symonds"},
		"Officials in Pyongyang met envoys from Seoul on Tuesday":          {"North Korea", "South Korea"},
		"CNN's Jake Tapper asks the Bank of England about rates":           {"Bank of England", "CNN", "Jake Tapper", "United Kingdom"},
		"Chinese Weak Trading Data Paused World Stocks":                    {"China"},
		"turkey prices rise before thanksgiving in the us":                 nil,
		"Turkey and the US sign a deal":                                    {"Turkey", "United States"},
		"Boris Johnson DELAYS paternity leave amid the coronavirus crisis": {"Boris Johnson"},
	}
	for in, want := range cases {
		if got := entityNames(in); !slices.Equal(got, want) {
			t.Errorf("entities of %q = %q, want %q", in, got, want)
		}
	}
}

func TestMinhashEstimatesOverlap(t *testing.T) {
	v := newVocab(0)
	ids := func(text string) []uint32 {
		var out []uint32
		for _, w := range strings.Fields(text) {
			out = append(out, v.id(w, w))
		}
		return out
	}
	a := ids("pence tours mayo clinic without a mask despite the clinic policy on masks")
	b := ids("pence tours clinic without a mask despite the clinic policy on masks")
	other := ids("british airways to cut up to twelve thousand jobs as air travel collapses")
	sa, sb, so := minhash(shingles(a)), minhash(shingles(b)), minhash(shingles(other))
	if s := sa.similarity(&sb); s < 0.5 {
		t.Errorf("edited headline: similarity %.2f, want ≥ 0.5", s)
	}
	if s := sa.similarity(&so); s > 0.2 {
		t.Errorf("unrelated texts: similarity %.2f, want ≤ 0.2", s)
	}
	x := newLSH()
	da, do := sigDoc("a", sa), sigDoc("o", so)
	x.add(da)
	x.add(do)
	if got := docIDs(x.candidates(&sb)); !slices.Contains(got, "a") || slices.Contains(got, "o") {
		t.Errorf("LSH candidates of the edited headline = %v", got)
	}
	x.remove(da)
	if got := docIDs(x.candidates(&sb)); slices.Contains(got, "a") {
		t.Errorf("removed doc still a candidate: %v", got)
	}
	empty := minhash(nil)
	x.add(sigDoc("e", empty))
	if got := x.candidates(&empty); len(got) != 0 {
		t.Errorf("empty signatures match: %v", docIDs(got))
	}
}

// A bucket keeps its docs in the order they came, through removals, and
// two bands that share a bucket key (32 bits of their hash) do not make
// their docs candidates of each other.
func TestLSHRingsAndSharedKeys(t *testing.T) {
	x := newLSH()
	same := minhash([]uint64{1, 2, 3})
	var docs []*docState
	for _, id := range []string{"a", "b", "c", "d"} {
		docs = append(docs, sigDoc(id, same))
		x.add(docs[len(docs)-1])
	}
	x.remove(docs[1])
	x.remove(docs[3])
	x.add(sigDoc("e", same))
	if got := docIDs(x.candidates(&same)); !slices.Equal(got, []string{"a", "c", "e"}) {
		t.Errorf("candidates %v, want a, c, e in the order they came", got)
	}

	// Two band-0 rows with one key, found by drawing rows until two collide.
	rng := rand.New(rand.NewPCG(1, 2))
	byKey := map[uint32][lshRows]uint32{}
	var r1, r2 [lshRows]uint32
	for {
		var rows [lshRows]uint32
		for i := range rows {
			rows[i] = rng.Uint32()
		}
		var s signature
		copy(s[:], rows[:])
		k := bandKey(&s, 0)
		if prev, ok := byKey[k]; ok && prev != rows {
			r1, r2 = prev, rows
			break
		}
		byKey[k] = rows
	}
	s1, s2 := minhash([]uint64{10, 11}), minhash([]uint64{20, 21})
	copy(s1[:lshRows], r1[:])
	copy(s2[:lshRows], r2[:])
	y := newLSH()
	y.add(sigDoc("one", s1))
	if len(y.buckets) != lshBands {
		t.Fatalf("%d buckets for one doc", len(y.buckets))
	}
	if got := docIDs(y.candidates(&s2)); len(got) != 0 {
		t.Errorf("a doc whose band only shares its key is a candidate: %v", got)
	}
	d2 := sigDoc("two", s2)
	y.add(d2)
	y.remove(d2)
	if got := docIDs(y.candidates(&s1)); !slices.Equal(got, []string{"one"}) {
		t.Errorf("after the other doc of the shared bucket went: %v", got)
	}
}

func sigDoc(id string, s signature) *docState {
	return &docState{id: id, an: analysed{sig: s}}
}

func docIDs(docs []*docState) []string {
	var out []string
	for _, ds := range docs {
		out = append(out, ds.id)
	}
	return out
}

// Whatever the input, reading and clustering never fail and every doc
// gets an event that can be looked up.
func FuzzAdd(f *testing.F) {
	f.Add("Boris Johnson welcomes baby", "Mother and baby are doing well.", "BBC", "en")
	f.Add("24 Oras: Bagong silang na sanggol", "Subscribe to our channel http://x.y", "GMA", "tl")
	f.Add("", "", "", "")
	f.Add("U.S.-China '12,000' ‘talks’ — ...", "\x00\xff\xfe", "src", "zh-Hant")
	f.Fuzz(func(t *testing.T, title, summary, source, lang string) {
		c := New(DefaultOptions())
		for i := range 3 {
			d := Doc{ID: string(rune('a' + i)), Title: title, Summary: summary, Source: source, Lang: lang}
			a := c.Add(d)
			if a.EventID == "" {
				t.Fatalf("no event for %+v", d)
			}
			ev, ok := c.Event(a.EventID)
			if !ok || ev.Size == 0 || ev.HeadlineDoc == "" {
				t.Fatalf("event %q: %+v, %v", a.EventID, ev, ok)
			}
			c.Related(a.EventID)
		}
	})
}
