package events

import (
	"math"
	"time"
)

// Baseline is the plain clusterer the labeled sets' README reports:
// streaming TF-IDF, each doc joining the cluster whose centroid is the
// most similar within a time window when the cosine reaches Threshold,
// else opening one. Herald's figures are compared with it, run in the
// same command on the same docs. It lives in package events, not in the
// evaluation lab (events/eval), because it reads words as the clusterer
// does (splitting, stop words, stemming), which the package does not
// export.
type Baseline struct {
	Threshold float64
	TitleOnly bool
}

type baseCluster struct {
	id   string
	sum  map[string]float64
	last time.Time
}

// Run assigns each doc, in stream order (by publication time, stable), to
// a cluster id.
func (b Baseline) Run(docs []Doc) map[string]string {
	const window = 72 * time.Hour
	df := map[string]int{}
	var clusters []*baseCluster
	out := map[string]string{}
	for n, d := range sortedDocs(docs) {
		text := d.Title
		if !b.TitleOnly {
			text += " " + d.Summary
		}
		tf := map[string]float64{}
		for _, w := range splitWords(text) {
			if !isStop(w.lower) {
				tf[stem(w.lower, true)]++
			}
		}
		for t := range tf {
			df[t]++
		}
		vec := map[string]float64{}
		var norm float64
		for t, f := range tf {
			w := f * (math.Log(float64(n+2)/float64(df[t]+1)) + 1)
			vec[t] = w
			norm += w * w
		}
		for t := range vec {
			vec[t] /= math.Sqrt(norm)
		}
		var best *baseCluster
		bestCos := b.Threshold
		for _, c := range clusters {
			if d.Published.Sub(c.last) > window {
				continue
			}
			if cos := cosineMaps(vec, c.sum); cos >= bestCos {
				best, bestCos = c, cos
			}
		}
		if best == nil {
			best = &baseCluster{id: d.ID, sum: map[string]float64{}}
			clusters = append(clusters, best)
		}
		for t, w := range vec {
			best.sum[t] += w
		}
		best.last = d.Published
		out[d.ID] = best.id
	}
	return out
}

func cosineMaps(a, b map[string]float64) float64 {
	var dot, nb float64
	for t, w := range b {
		nb += w * w
		dot += w * a[t]
	}
	if nb == 0 {
		return 0
	}
	return dot / math.Sqrt(nb)
}
