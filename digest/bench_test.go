package digest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"herald/events"
)

// BenchmarkDigests builds and renders the digests of 1,000 subscribers
// over 10,000 events of one period in 20 topics; one op is all 1,000.
// Each subscriber follows 3 topics and was sent a fifth of the events
// before, with fewer sources (some come back as updates).
//
// "per-subscriber-candidates" gives each Build the events of the
// subscriber's topics, as the daemon does (the store selects them by
// topic); "all-candidates" gives every Build all 10,000 events.
func BenchmarkDigests(b *testing.B) {
	const nSubs, nEvents, nTopics = 1000, 10000, 20
	rng := rand.New(rand.NewPCG(1, 2))
	evs := make([]events.Event, nEvents)
	for i := range evs {
		topic := fmt.Sprintf("topic-%d", rng.IntN(nTopics))
		evs[i] = event(fmt.Sprintf("ev-%05d", i), fmt.Sprintf("Headline number %d about a happening somewhere in the world", i),
			1+rng.IntN(8), rng.IntN(3), time.Duration(rng.IntN(24*60))*time.Minute, topic)
	}
	subs := make([]Subscriber, nSubs)
	sent := make([]map[string]int, nSubs)
	mine := make([][]events.Event, nSubs)
	for i := range subs {
		subs[i] = Subscriber{Email: fmt.Sprintf("reader%d@example.org", i), Name: fmt.Sprintf("Reader %d", i), Location: time.UTC}
		for range 3 {
			subs[i].Topics = append(subs[i].Topics, fmt.Sprintf("topic-%d", rng.IntN(nTopics)))
		}
		sent[i] = map[string]int{}
		for range nEvents / 5 {
			sent[i][evs[rng.IntN(nEvents)].ID] = 1
		}
		for _, ev := range evs {
			if slices.Contains(subs[i].Topics, ev.Topics[0]) {
				mine[i] = append(mine[i], ev)
			}
		}
	}
	run := func(b *testing.B, candidates func(i int) []events.Event) {
		mail, period := testMail(), testPeriod()
		b.ReportAllocs()
		var size int
		cpu := cpuTime()
		for b.Loop() {
			for i, sub := range subs {
				msg, err := Render(Build(sub, period, Input{Candidates: candidates(i), Sent: sent[i]}, Options{}), mail)
				if err != nil {
					b.Fatal(err)
				}
				size += len(msg.Bytes)
			}
		}
		b.ReportMetric(float64(nSubs*b.N)/b.Elapsed().Seconds(), "digests/s")
		b.ReportMetric(float64(nSubs*b.N)/(cpuTime()-cpu).Seconds(), "digests/cpu-s")
		b.ReportMetric(float64(size)/float64(nSubs*b.N), "msgbytes/digest")
	}
	b.Run("per-subscriber-candidates", func(b *testing.B) { run(b, func(i int) []events.Event { return mine[i] }) })
	b.Run("all-candidates", func(b *testing.B) { run(b, func(int) []events.Event { return evs }) })
}
