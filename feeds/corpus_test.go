package feeds

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
)

// corpusDir holds the shared robustness corpus (see its README.md).
const corpusDir = "../../shared/data/feeds"

type corpusCase struct {
	file        string // relative to corpusDir
	format      string // as MANIFEST.tsv names it
	size        int    // bytes
	contentType string // the simulated HTTP header, for feedparser's http_* cases
	body        []byte
}

// simulatedHeader finds the Content-Type a case must be served with in the
// manifest's "exercises" column.
var simulatedHeader = regexp.MustCompile(`(?i)simulated HTTP header: Content-type:\s*([^|]*)`)

// readManifest returns the manifest's files in order with the Content-Type
// each must be served with ("" for most), skipping the test when the corpus
// is not checked out next to the repository.
func readManifest(tb testing.TB) []corpusCase {
	tb.Helper()
	cases, err := parseManifest()
	if errors.Is(err, os.ErrNotExist) {
		tb.Skipf("feed corpus not found at %s (it lives in the shared data checkout)", corpusDir)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return cases
}

// parseManifest reads MANIFEST.tsv: file, format and size of each case, and
// the Content-Type it must be served with.
func parseManifest() ([]corpusCase, error) {
	f, err := os.Open(filepath.Join(corpusDir, "MANIFEST.tsv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var cases []corpusCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for first := true; sc.Scan(); first = false {
		cols := strings.Split(sc.Text(), "\t")
		if first || len(cols) < 8 {
			continue
		}
		c := corpusCase{file: cols[0], format: cols[5]}
		c.size, _ = strconv.Atoi(cols[6])
		if m := simulatedHeader.FindStringSubmatch(cols[7]); m != nil {
			c.contentType = strings.TrimSpace(m[1])
		}
		cases = append(cases, c)
	}
	return cases, sc.Err()
}

// loadCorpus reads every file listed in the manifest.
func loadCorpus(tb testing.TB) []corpusCase {
	tb.Helper()
	cases := readManifest(tb)
	for i := range cases {
		var err error
		if cases[i].body, err = os.ReadFile(filepath.Join(corpusDir, cases[i].file)); err != nil {
			tb.Fatalf("manifest lists %s: %v", cases[i].file, err)
		}
	}
	return cases
}

// corpusFile reads one corpus file with its manifest Content-Type.
func corpusFile(tb testing.TB, name string) corpusCase {
	tb.Helper()
	for _, c := range readManifest(tb) {
		if c.file == name {
			body, err := os.ReadFile(filepath.Join(corpusDir, name))
			if err != nil {
				tb.Fatal(err)
			}
			c.body = body
			return c
		}
	}
	tb.Fatalf("%s is not in the manifest", name)
	return corpusCase{}
}

// errorKind groups parse errors for the corpus report.
func errorKind(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, errParserPanic):
		return "panic"
	case errors.Is(err, ErrEmptyBody):
		return "empty body"
	case errors.Is(err, ErrNotFeed):
		if strings.Contains(err.Error(), "HTML page") {
			return "not a feed (HTML)"
		}
		return "not a feed (other)"
	default:
		return "malformed"
	}
}

// gofeedParses reports whether gofeed alone parses b, counting a panic as
// a failure.
func gofeedParses(b []byte) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	_, err := gofeed.NewParser().Parse(bytes.NewReader(b))
	return err == nil
}

func TestCorpus(t *testing.T) {
	cases := loadCorpus(t)
	fetchedAt := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	kinds := map[string]int{}
	var ours, theirs, items, emptyFeeds int
	for _, c := range cases {
		feed := Feed{URL: "https://example.com/" + c.file}
		doc, err := Parse(c.body, c.contentType, feed, fetchedAt)
		kind := errorKind(err)
		kinds[kind]++
		gofeedOK := gofeedParses(c.body)
		if gofeedOK {
			theirs++
		}
		switch {
		case kind == "panic":
			t.Errorf("%s: %v", c.file, err)
		case err == nil:
			ours++
			items += len(doc.Items)
			checkInvariants(t, c.file, doc, fetchedAt)
			if len(doc.Items) == 0 {
				emptyFeeds++
			}
		case gofeedOK:
			t.Logf("%s: gofeed parses it, we do not: %v", c.file, err)
		case err.Error() == "":
			t.Errorf("%s: error without a message", c.file)
		}
	}
	t.Logf("corpus: %d files; ours: %d parsed (%d items, %d feeds without items); gofeed alone: %d parsed",
		len(cases), ours, items, emptyFeeds, theirs)
	for _, kind := range slices.Sorted(maps.Keys(kinds)) {
		t.Logf("  %-20s %d", kind, kinds[kind])
	}
	if ours < theirs {
		t.Errorf("we parse %d files, fewer than gofeed's %d", ours, theirs)
	}
}

// checkInvariants checks what every parsed item promises its consumers.
func checkInvariants(t *testing.T, file string, doc *Document, fetchedAt time.Time) {
	t.Helper()
	for i, it := range doc.Items {
		var problems []string
		if it.GUID == "" || it.Hash == "" {
			problems = append(problems, "no GUID or hash")
		}
		if it.Published.IsZero() || it.Published.After(fetchedAt) || it.Updated.Before(it.Published) || it.Updated.After(fetchedAt) {
			problems = append(problems, fmt.Sprintf("dates %v / %v", it.Published, it.Updated))
		}
		if len(it.Title) > maxTitleLen || len(it.Summary) > maxHTMLLen || len(it.Content) > maxHTMLLen || len(it.Text) > maxTextLen {
			problems = append(problems, "a field over its cap")
		}
		if it.URL != "" && CanonicalURL(it.URL) != it.URL {
			problems = append(problems, "URL not canonical: "+it.URL)
		}
		for _, s := range []string{it.Title, it.Text, it.Author} {
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\x08\x0c") {
				problems = append(problems, fmt.Sprintf("bad characters in %q", truncate(s, 40)))
			}
		}
		if len(problems) > 0 {
			t.Errorf("%s item %d: %s", file, i, strings.Join(problems, "; "))
		}
	}
}

// BenchmarkParseCorpus measures the cost of Herald's decoding, hardening and
// normalization on top of gofeed, over the whole corpus.
func BenchmarkParseCorpus(b *testing.B) {
	cases := loadCorpus(b)
	var total int64
	for _, c := range cases {
		total += int64(len(c.body))
	}
	fetchedAt := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	b.Run("herald", func(b *testing.B) {
		b.SetBytes(total)
		for b.Loop() {
			for _, c := range cases {
				_, _ = Parse(c.body, c.contentType, Feed{URL: "https://example.com/feed"}, fetchedAt)
			}
		}
	})
	b.Run("gofeed", func(b *testing.B) {
		b.SetBytes(total)
		for b.Loop() {
			for _, c := range cases {
				gofeedParses(c.body)
			}
		}
	})
}
