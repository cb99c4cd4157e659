package events

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
)

// analysed is what the clusterer keeps of a doc, computed once on arrival.
type analysed struct {
	// terms holds three lists in one array, one allocation and one slice
	// header for all (a window holds a doc's vectors for days):
	//   - vec: title, body and names;
	//   - tvec: the title and its names alone;
	//   - rounded: the terms counted in the vocabulary that vec left out
	//     (their weight rounds to nothing), sorted, as entries of weight 0:
	//     the doc's terms are vec's and these, which eviction uncounts.
	terms []entry
	soft  sparse // tvec's weight spread onto words close in meaning (lexicon.go)
	sig   signature
	*transient
	nVec, nTitle uint32 // the lengths of vec and tvec in terms
	day          int32  // the day the title names (see titleDay), 0 for none
}

func (a *analysed) vec() sparse { n := a.nVec; return a.terms[:n:n] }

func (a *analysed) tvec() sparse { i, j := a.nVec, a.nVec+a.nTitle; return a.terms[i:j:j] }

func (a *analysed) rounded() sparse { return a.terms[a.nVec+a.nTitle:] }

// setTerms lays vec, tvec and rounded out in terms.
func (a *analysed) setTerms(vec, tvec sparse, rounded []uint32) {
	a.terms = make([]entry, 0, len(vec)+len(tvec)+len(rounded))
	a.terms = append(append(a.terms, vec...), tvec...)
	for _, id := range rounded {
		a.terms = append(a.terms, entry{id: id})
	}
	a.nVec, a.nTitle = uint32(len(vec)), uint32(len(tvec))
}

// transient is what a doc holds only while it is placed, and then lets go
// (Clusterer.shed): its names, which its event counts, and its lead, which
// goes out with its assignment.
type transient struct {
	entities []entity
	entTerms []uint32 // the term ("@key") of each entity, in the order of entities
	entIDs   []uint32 // the same, sorted
	lead     string   // the description without its feed's boilerplate, clipped to summaryLen
}

// analyse reads a doc: words, then the source's boilerplate removed, then
// terms and entities, then the vectors. It updates the learned state
// (boilerplate counts, document frequencies) exactly once per doc, so that
// replaying a stream rebuilds the same state.
func (c *Clusterer) analyse(d Doc) analysed {
	text, buf := bodyOf(d), &c.buf
	buf.title = appendWords(buf.title, d.Title, len(d.Title))
	buf.body = appendWords(buf.body, text, c.opts.BodyWords)
	title, body := buf.title, buf.body
	day := titleDay(title)
	full := body
	title, body = c.boiler.clean(d.Source, title, body)
	leadText := lead(text, full, body)
	en := isEnglish(d.Lang)
	tterms, bterms := c.terms(title, en), c.terms(body, en)
	tents := findEntities(title)
	ents := dedupEntities(append(append([]entity(nil), tents...), findEntities(body)...))
	a := analysed{transient: &transient{entities: ents, lead: clip(leadText, summaryLen)}, day: int32(day)}
	// The names' term ids, in the order of ents, whose first len(tents)
	// are the title's.
	nameIDs := make([]uint32, len(ents))
	for i, e := range ents {
		nameIDs[i] = c.vocab.id("@"+e.key, e.name)
		ents[i].name = c.vocab.spelling(nameIDs[i], e.name)
	}
	a.entTerms = nameIDs
	if len(nameIDs) > 0 {
		a.entIDs = slices.Sorted(slices.Values(nameIDs)) // for lookups; nameIDF follows this order
	}
	src := c.habits.of(d.Source)
	vec, rounded, factors := c.vectorize(src, tterms, bterms, nameIDs)
	tvec := c.titleVector(factors, tterms, nameIDs[:len(tents)])
	a.setTerms(vec, tvec, rounded)
	a.soft = c.softVector(tvec)
	c.vocab.hold(a.soft)
	c.habits.record(src, factors, c.vocab.keys)
	a.sig = minhashTerms(tterms, bterms)
	return a
}

// bodyOf is the summary followed by the body text, skipping a body that
// merely repeats the summary (common in feeds).
func bodyOf(d Doc) string {
	s, t := strings.TrimSpace(d.Summary), strings.TrimSpace(d.Text)
	switch {
	case t == "":
		return s
	case s == "" || strings.HasPrefix(t, s):
		return t
	}
	return s + "\n" + t
}

// scratch holds buffers that analysing and placing a doc reuse from one
// doc to the next (the clusterer takes one doc at a time): a doc's words
// and raw weights are garbage once its vectors are made, and reusing them
// spares the collector most of a doc's short-lived allocations. Nothing
// kept refers to them.
type scratch struct {
	title, body  []word
	raw, factors weights
	vec, tvec    sparse     // vectorize's and titleVector's results, copied into the doc's terms
	fresh        []termStat // centroids.add's new terms
	added        []uint32   // eventState.add's result
	events       []scored   // score's result
	stories      []scored   // storyCandidates' result
	soft         weights    // softVector's raw weights
	query        sparse     // queryOf's result, for the doc queryOf
	queryOf      *docState
	tellingQuery sparse    // storyCandidates' query
	told         []uint32  // addToStory's postings
	cent, other  centroids // the sums of one-member events, laid out (eventState.centroid)
}

// terms maps words to term ids, leaving out stop words.
func (c *Clusterer) terms(ws []word, english bool) []uint32 {
	out := make([]uint32, 0, len(ws))
	for _, w := range ws {
		if id := c.vocab.term(w, english); id != noTerm {
			out = append(out, id)
		}
	}
	return out
}

// vectorize weighs title terms above body terms (a headline is the
// writer's own summary) and adds entities as extra features, so that a
// shared name counts more than a shared common word, and scales down the
// source's habits. Document frequencies are counted first, so a doc's own
// terms are never unseen. It also returns the distinct terms it counted
// and each one's factor (IDF times habit discount), sorted by term, and
// the terms it counted that the vector rounds away.
func (c *Clusterer) vectorize(src *sourceHabits, title, body, names []uint32) (sparse, []uint32, weights) {
	o := c.opts
	raw := c.buf.raw[:0]
	raw.addTF(title, o.TitleWeight)
	raw.addTF(body, o.BodyWeight)
	for _, id := range names {
		raw = append(raw, weight{id, o.EntityWeight})
	}
	raw = raw.merge()
	ids := make([]uint32, len(raw))
	for i, x := range raw {
		ids[i] = x.id
	}
	c.vocab.count(ids)
	factors := c.buf.factors[:0]
	for i := range raw {
		f := c.vocab.idf(raw[i].id) * c.habits.discount(src, c.vocab.keys[raw[i].id])
		raw[i].w *= f
		factors = append(factors, weight{raw[i].id, f})
	}
	c.buf.raw, c.buf.factors = raw, factors
	vec := raw.quantize(c.buf.vec[:0])
	c.buf.vec = vec
	return vec, roundedAway(ids, vec), factors
}

// roundedAway lists the ids, sorted, that vec (made from them) left out;
// nil when it kept them all, as it nearly always does.
func roundedAway(ids []uint32, vec sparse) []uint32 {
	if len(vec) == len(ids) {
		return nil
	}
	var out []uint32
	j := 0
	for _, id := range ids {
		if j < len(vec) && vec[j].id == id {
			j++
		} else {
			out = append(out, id)
		}
	}
	return out
}

// titleVector weighs the title's terms and names alone, with the factors
// vectorize computed (the title's terms are among the doc's).
func (c *Clusterer) titleVector(factors weights, title, names []uint32) sparse {
	nameWeight := 1.0
	if c.opts.TitleWeight > 0 {
		nameWeight = c.opts.EntityWeight / c.opts.TitleWeight
	}
	factor := func(id uint32) float64 {
		i, _ := slices.BinarySearchFunc(factors, id, func(w weight, id uint32) int { return cmp.Compare(w.id, id) })
		return factors[i].w
	}
	raw := make(weights, 0, len(title)+len(names))
	for _, id := range title {
		raw = append(raw, weight{id, factor(id)})
	}
	for _, id := range names {
		raw = append(raw, weight{id, nameWeight * factor(id)})
	}
	// A term twice in a title counts once: keep the first, not the sum.
	raw = raw.dedup()
	c.buf.tvec = raw.quantize(c.buf.tvec[:0])
	return c.buf.tvec
}

// lead is the first stretch of the description that survived boilerplate
// removal, as written: a channel's blurb after it, or a dateline before
// it, is left out of the event's summary.
func lead(text string, all, kept []word) string {
	if len(kept) == 0 {
		return ""
	}
	if len(kept) == len(all) {
		return text
	}
	first := 0
	for first < len(all) && all[first].start != kept[0].start {
		first++
	}
	if first == len(all) {
		return ""
	}
	last := first
	for k := 1; k < len(kept) && last+1 < len(all) && all[last+1].start == kept[k].start; k++ {
		last++
	}
	end := all[last].end
	for end < len(text) && !unicode.IsSpace(rune(text[end])) {
		end++ // keep the closing punctuation
	}
	return text[all[first].start:end]
}
