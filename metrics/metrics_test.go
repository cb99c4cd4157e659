package metrics

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestTextFormat(t *testing.T) {
	m := New()
	m.Polls.Inc("ok")
	m.Polls.Add(2, "error")
	m.ItemsStored.Add(60)
	m.EventsOpened.Inc()
	m.ObserveRequest("GET /events/{file}", 200)
	m.ObserveRequest("GET /events/{file}", 200)
	m.ObserveRequest(`odd "route"\`, 404)
	m.PollSeconds.Observe(0.2)
	m.PollSeconds.Observe(7)
	m.PollSeconds.Observe(100)
	m.AddGauge(NewGaugeFunc("herald_digests", "Digests in the outbox by status.", "status",
		func(context.Context) (map[string]float64, error) {
			return map[string]float64{"sent": 3, "failed": 1}, nil
		}))
	var b strings.Builder
	if err := m.WriteText(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	fams, err := parseText(b.String())
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	for series, want := range map[string]float64{
		`herald_polls_total{result="ok"}`:                                     1,
		`herald_polls_total{result="error"}`:                                  2,
		`herald_items_stored_total`:                                           60,
		`herald_events_opened_total`:                                          1,
		`herald_events_grown_total`:                                           0,
		`herald_http_requests_total{route="GET /events/{file}",status="200"}`: 2,
		`herald_http_requests_total{route="odd \"route\"\\",status="404"}`:    1,
		`herald_poll_duration_seconds_bucket{le="0.25"}`:                      1,
		`herald_poll_duration_seconds_bucket{le="10"}`:                        2,
		`herald_poll_duration_seconds_bucket{le="+Inf"}`:                      3,
		`herald_poll_duration_seconds_count`:                                  3,
		`herald_poll_duration_seconds_sum`:                                    107.2,
		`herald_cluster_duration_seconds_count`:                               0,
		`herald_digests{status="sent"}`:                                       3,
		`herald_digests{status="failed"}`:                                     1,
	} {
		if got, ok := fams.samples[series]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	if fams.types["herald_poll_duration_seconds"] != "histogram" || fams.types["herald_digests"] != "gauge" {
		t.Errorf("types: %v", fams.types)
	}
}

func TestFailingGaugeLeavesTheRest(t *testing.T) {
	m := New()
	m.Polls.Inc("ok")
	m.AddGauge(NewGaugeFunc("herald_digests", "x", "status",
		func(context.Context) (map[string]float64, error) { return nil, errors.New("db down") }))
	var b strings.Builder
	err := m.WriteText(context.Background(), &b)
	if err == nil || !strings.Contains(err.Error(), "herald_digests") {
		t.Errorf("error %v, want one naming the gauge", err)
	}
	if _, perr := parseText(b.String()); perr != nil || !strings.Contains(b.String(), `herald_polls_total{result="ok"} 1`) {
		t.Errorf("output without the gauge: %v\n%s", perr, b.String())
	}
}

// parsed is the text format read back: samples by series (name and
// labels as written) and types by family.
type parsed struct {
	samples map[string]float64
	types   map[string]string
}

var (
	metricName = `[a-zA-Z_:][a-zA-Z0-9_:]*`
	helpLine   = regexp.MustCompile(`^# HELP (` + metricName + `) .*$`)
	typeLine   = regexp.MustCompile(`^# TYPE (` + metricName + `) (counter|gauge|histogram|summary|untyped)$`)
	sampleLine = regexp.MustCompile(`^(` + metricName + `)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (\S+)$`)
)

// parseText checks text against the Prometheus text exposition format
// 0.0.4 (one TYPE per family, before its samples; samples of a family
// together; valid names, label escapes and values; cumulative histogram
// buckets ending in +Inf equal to _count).
func parseText(text string) (parsed, error) {
	p := parsed{samples: map[string]float64{}, types: map[string]string{}}
	done := map[string]bool{}
	current := ""
	var lastBucket float64
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if m := typeLine.FindStringSubmatch(line); m != nil {
			if _, dup := p.types[m[1]]; dup {
				return p, fmt.Errorf("line %d: second TYPE for %s", i+1, m[1])
			}
			if current != "" {
				done[current] = true
			}
			p.types[m[1]], current, lastBucket = m[2], m[1], 0
			continue
		}
		if helpLine.MatchString(line) {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			return p, fmt.Errorf("line %d: not a valid line: %q", i+1, line)
		}
		family := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m[1], "_bucket"), "_sum"), "_count")
		if family != current || done[family] {
			return p, fmt.Errorf("line %d: sample of %s outside its family's block", i+1, m[1])
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			return p, fmt.Errorf("line %d: value %q: %v", i+1, m[3], err)
		}
		if strings.HasSuffix(m[1], "_bucket") {
			if v < lastBucket {
				return p, fmt.Errorf("line %d: buckets not cumulative", i+1)
			}
			lastBucket = v
		}
		if strings.HasSuffix(m[1], "_count") && p.types[family] == "histogram" && v != lastBucket {
			return p, fmt.Errorf("line %d: _count %v != +Inf bucket %v", i+1, v, lastBucket)
		}
		p.samples[m[1]+m[2]] = v
	}
	return p, nil
}
