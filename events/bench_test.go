package events

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// generator makes a synthetic stream: stories of a few docs each, whose
// docs share the story's key words and otherwise draw words with the
// frequencies they have in the dev sets (stop words included, as in real
// text), from 200 sources, at docsPerDay. Without the dev sets, made-up
// words with a Zipf-like skew stand in.
type generator struct {
	rng     *rand.Rand
	words   []string
	cum     []int // cumulative counts, for sampling by frequency
	t       time.Time
	step    time.Duration
	n       int
	stories []story
}

type story struct {
	keys []string
	left int
}

const docsPerDay = 10_000

func newGenerator(seed uint64) *generator {
	g := &generator{
		rng:  rand.New(rand.NewPCG(seed, 1)),
		t:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		step: 24 * time.Hour / docsPerDay,
	}
	counts := devWordCounts()
	if len(counts) == 0 {
		for i := range 20_000 {
			counts[fmt.Sprintf("w%dx%d", i, i%97)] = 20_000/(i+1) + 1
		}
	}
	for w := range counts {
		g.words = append(g.words, w)
	}
	slices.Sort(g.words) // map order must not make the stream random
	total := 0
	for _, w := range g.words {
		total += counts[w]
		g.cum = append(g.cum, total)
	}
	return g
}

// devWordCounts counts the words of the dev sets' titles and summaries.
func devWordCounts() map[string]int {
	counts := map[string]int{}
	for _, name := range devSets {
		f, err := os.Open(filepath.Join(devDir, name+".jsonl"))
		if err != nil {
			continue
		}
		docs, _ := readDocs(f)
		f.Close()
		for _, d := range docs {
			for _, w := range strings.Fields(d.Title + " " + d.Summary) {
				if w = strings.Trim(w, ".,:;!?'\"()|"); w != "" && !isURL(w) {
					counts[w]++
				}
			}
		}
	}
	return counts
}

// word draws a word with its corpus frequency.
func (g *generator) word() string {
	x := g.rng.IntN(g.cum[len(g.cum)-1])
	i, _ := slices.BinarySearch(g.cum, x+1)
	return g.words[i]
}

// rareWord draws a word uniformly: most are rare, as the names that make
// a story are.
func (g *generator) rareWord() string { return g.words[g.rng.IntN(len(g.words))] }

func (g *generator) next() Doc {
	g.n++
	g.t = g.t.Add(g.step)
	// One doc in three opens a story; the others continue a recent one.
	if len(g.stories) == 0 || g.rng.IntN(3) == 0 {
		s := story{left: 1 + g.rng.IntN(6)}
		for range 3 {
			s.keys = append(s.keys, g.rareWord())
		}
		g.stories = append(g.stories, s)
		if len(g.stories) > 64 {
			g.stories = g.stories[1:]
		}
	}
	i := g.rng.IntN(len(g.stories))
	s := &g.stories[i]
	var title, summary strings.Builder
	title.WriteString(s.keys[0] + " " + s.keys[1])
	for range 6 {
		title.WriteString(" " + g.word())
	}
	summary.WriteString(s.keys[2])
	for range 14 {
		summary.WriteString(" " + g.word())
	}
	if s.left--; s.left <= 0 {
		g.stories = append(g.stories[:i], g.stories[i+1:]...)
	}
	return Doc{
		ID: fmt.Sprintf("syn-%d", g.n), Source: fmt.Sprintf("source-%d", g.rng.IntN(200)),
		Title: title.String(), Summary: summary.String(), Published: g.t,
	}
}

// feed adds n docs, evicting past the window as a daemon would.
func (g *generator) feed(c *Clusterer, n int) {
	for range n {
		d := g.next()
		c.Add(d)
		if g.n%1000 == 0 {
			c.Evict(d.Published.Add(-c.opts.Window))
		}
	}
}

// warm is the clusterer the benchmarks share, fed with history docs as
// far as the sub-benchmark being run needs: the three sizes run in order,
// and each only adds to the history of the previous one.
var warm struct {
	g *generator
	c *Clusterer
}

func warmClusterer(history int) (*generator, *Clusterer) {
	if warm.c == nil {
		warm.g, warm.c = newGenerator(42), New(DefaultOptions())
	}
	warm.g.feed(warm.c, history-warm.g.n)
	return warm.g, warm.c
}

// BenchmarkAdd measures incremental clustering after 10k, 100k and 1M docs
// of history. The cost per doc should not grow with the history: events
// older than the window are evicted, and candidates come from the index.
func BenchmarkAdd(b *testing.B) {
	for _, history := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			g, c := warmClusterer(history)
			docs := make([]Doc, b.N)
			for i := range docs {
				docs[i] = g.next()
			}
			b.ResetTimer()
			cpu0 := cpuTime()
			for i, d := range docs {
				c.Add(d)
				if i%1000 == 999 {
					c.Evict(d.Published.Add(-c.opts.Window))
				}
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
			b.ReportMetric(float64(b.N)/cpu.Seconds(), "items/cpu-s")
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapAlloc)/float64(len(c.docs)), "bytes/item")
			b.ReportMetric(float64(len(c.docs)), "held-items")
		})
	}
}
