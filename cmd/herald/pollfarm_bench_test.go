package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"herald/store"
	"herald/store/pgtest"
)

// BenchmarkPollFarm measures the poll phase of a first refresh (every feed
// fetched, parsed and stored into an empty store) against a running feed
// farm, with the poller `herald poll --all` builds from the default
// configuration. It reports the CPU seconds of this process and, on
// PostgreSQL, of the server, so that both databases compare in one run
// with the limit (../shared/tools/limits: httpbench -mode full -parse
// -store DB -c 2). The farm's items must be recent (-epoch now): older
// ones are past the default retention and not stored.
//
//	/tmp/feedfarm -n 1000 -epoch now -warm -addr 127.0.0.1:18493 &
//	HERALD_FEEDFARM=http://127.0.0.1:18493 scripts/pg-test-env \
//	  go test ./cmd/herald/ -run XXX -bench PollFarm -benchtime 1x
func BenchmarkPollFarm(b *testing.B) {
	farm := os.Getenv("HERALD_FEEDFARM")
	if farm == "" {
		b.Skip("HERALD_FEEDFARM is not set: start ../shared/tools/feedfarm and give its base URL")
	}
	n := farmSize(b, farm)
	b.Run("sqlite", func(b *testing.B) {
		benchPollFarm(b, farm, n, func(b *testing.B) string {
			return "sqlite:" + filepath.Join(b.TempDir(), "herald.db")
		}, 0)
	})
	b.Run("postgres", func(b *testing.B) {
		if !pgtest.Enabled() {
			b.Skip(pgtest.SkipMessage)
		}
		benchPollFarm(b, farm, n, func(b *testing.B) string { return pgtest.Schema(b) }, postmasterOf(os.Getenv(pgtest.EnvVar)))
	})
}

// benchPollFarm polls the farm into the stores dsn opens; pg is the
// PostgreSQL server's process (0 on SQLite).
func benchPollFarm(b *testing.B, farm string, n int, dsn func(*testing.B) string, pg int) {
	ctx := context.Background()
	raw := "storage: bench.db\npoll: {allow_networks: [127.0.0.0/8]}\ntopics:\n  - {name: bench, title: Bench, feeds: []}\n"
	cfg, err := ParseConfig("bench.yaml", []byte(raw), func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	var specs []store.FeedSpec
	for i := range n {
		specs = append(specs, store.FeedSpec{URL: fmt.Sprintf("%s/feed/%d", farm, i), Topic: "bench"})
	}
	var secs, cpu, pgCPU float64
	var items int
	var trips int64
	for range b.N {
		b.StopTimer()
		st, err := store.Open(ctx, dsn(b)) // a first refresh: an empty store
		if err != nil {
			b.Fatal(err)
		}
		if err := st.SyncFeeds(ctx, store.OriginConfig, specs, time.Now()); err != nil {
			b.Fatal(err)
		}
		due, err := st.DueFeeds(ctx, "", time.Now())
		if err != nil {
			b.Fatal(err)
		}
		poller := newPoller(cfg, st, slog.New(slog.DiscardHandler))
		start, cpu0, pg0, trips0 := time.Now(), processCPU(), pgTreeCPU(pg), st.RoundTrips()
		b.StartTimer()
		results := poller.PollAll(ctx, due, nil)
		b.StopTimer()
		secs += time.Since(start).Seconds()
		cpu += processCPU() - cpu0
		pgCPU += pgTreeCPU(pg) - pg0
		trips += st.RoundTrips() - trips0
		for _, r := range results {
			if r.Err != nil {
				b.Errorf("%s: %v", r.Feed.URL, r.Err)
			}
			items += r.Saved.New
		}
		if len(results) != n {
			b.Fatalf("polled %d feeds, want %d", len(results), n)
		}
		st.Close()
	}
	runs := float64(b.N)
	b.ReportMetric(secs/runs, "s")
	b.ReportMetric(cpu/runs, "herald_cpu_s")
	if pg > 0 {
		b.ReportMetric(pgCPU/runs, "pg_cpu_s")
		b.ReportMetric(float64(trips)/runs/float64(n), "trips/feed")
	}
	b.ReportMetric(float64(items)/runs, "items")
}

// farmSize asks the farm how many feeds it serves.
func farmSize(b *testing.B, farm string) int {
	resp, err := http.Get(farm + "/stats")
	if err != nil {
		b.Fatalf("feed farm: %v", err)
	}
	defer resp.Body.Close()
	var stats struct {
		Feeds int `json:"feeds"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil || stats.Feeds == 0 {
		b.Fatalf("feed farm %s/stats: no feed count (%v)", farm, err)
	}
	return stats.Feeds
}

func processCPU() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// postmasterOf finds the PostgreSQL server listening on the DSN's port
// (scripts/pg-test-env starts it with -p PORT); 0 when none is found.
func postmasterOf(dsn string) int {
	u, err := url.Parse(dsn)
	if err != nil || u.Port() == "" {
		return 0
	}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		args := strings.Split(string(cmd), "\x00")
		for i := 0; i+1 < len(args); i++ {
			if strings.HasSuffix(args[0], "postgres") && args[i] == "-p" && args[i+1] == u.Port() {
				return pid
			}
		}
	}
	return 0
}

// pgTreeCPU is the CPU seconds of the server and its backends: the
// postmaster's own and its reaped children's, plus its live children's.
func pgTreeCPU(postmaster int) float64 {
	if postmaster == 0 {
		return 0
	}
	total := 0.0
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		f := procStat(pid)
		if len(f) < 15 {
			continue
		}
		switch {
		case pid == postmaster:
			total += ticks(f[11]) + ticks(f[12]) + ticks(f[13]) + ticks(f[14])
		case f[1] == strconv.Itoa(postmaster):
			total += ticks(f[11]) + ticks(f[12])
		}
	}
	return total
}

// procStat returns the fields of /proc/PID/stat after the command name.
func procStat(pid int) []string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	s := string(raw)
	return strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
}

func ticks(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v / 100 // USER_HZ
}
