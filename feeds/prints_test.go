package feeds

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// entriesRSS writes an RSS document of the given entries (title and
// description); an entry without a title has no link or date either.
func entriesRSS(entries ...[2]string) []byte {
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel><title>Desk</title><link>http://desk.example/</link>`)
	for i, e := range entries {
		if e[0] == "" {
			fmt.Fprintf(&b, `<item><description>%s</description></item>`, e[1])
			continue
		}
		fmt.Fprintf(&b, `<item><title>%s</title><link>/%d</link><pubDate>Mon, 07 Dec 2026 10:0%d:00 +0000</pubDate>
			<description>%s</description></item>`, e[0], i, i, e[1])
	}
	b.WriteString(`</channel></rss>`)
	return []byte(b.String())
}

// An entry the feed's last document held as it is comes back Unchanged,
// without the body normalizing would have made (no HTML sanitized, no
// text); an edited, retitled or new entry is read in full, and so is every
// entry when the settings change. Identities are those of a full read.
func TestUnchangedEntriesAreNotReadAgain(t *testing.T) {
	feed := Feed{URL: "http://desk.example/rss"}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	first := entriesRSS([2]string{"Talks open", "<p>Envoys met.</p>"}, [2]string{"Talks stall", "<p>No deal.</p>"},
		[2]string{"Talks end", "<p>Done.</p>"}, [2]string{"", "<p>Untitled note.</p>"})
	doc1, err := parse(first, "", feed, now, ParseOptions{}, &printer{seed: "s"})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range doc1.Items {
		if it.Print == 0 || it.Unchanged || it.Hash == "" {
			t.Fatalf("first read: %+v; want every entry printed and read", it)
		}
	}
	again := entriesRSS([2]string{"Talks open", "<p>Envoys met.</p>"}, [2]string{"Talks stall", "<p>No deal, yet.</p>"},
		[2]string{"Talks ended", "<p>Done.</p>"}, [2]string{"", "<p>Untitled note.</p>"}, [2]string{"Talks resume", "<p>Again.</p>"})
	doc2, err := parse(again, "", feed, now, ParseOptions{}, &printer{seed: "s", last: PrintsOf(doc1.Items)})
	if err != nil {
		t.Fatal(err)
	}
	full, err := Parse(again, "", feed, now)
	if err != nil {
		t.Fatal(err)
	}
	var unchanged []string
	for i, it := range doc2.Items {
		if it.GUID != full.Items[i].GUID || it.URL != full.Items[i].URL || it.Title != full.Items[i].Title {
			t.Errorf("entry %d: identity %q %q %q, a full read gives %q %q %q", i, it.GUID, it.URL, it.Title,
				full.Items[i].GUID, full.Items[i].URL, full.Items[i].Title)
		}
		switch {
		case it.Unchanged && (it.Summary != "" || it.Text != "" || it.Hash != ""):
			t.Errorf("unchanged entry %q was read again: %+v", it.Title, it)
		case it.Unchanged:
			unchanged = append(unchanged, it.Title)
		case it.Hash != full.Items[i].Hash || it.Text != full.Items[i].Text:
			t.Errorf("entry %q read in full differs from Parse: %+v", it.Title, it)
		}
	}
	if strings.Join(unchanged, "|") != "Talks open" {
		t.Errorf("unchanged entries %q, want only the one the document kept as it was (an untitled one has only its text to go by)", unchanged)
	}
	doc3, err := parse(again, "", feed, now, ParseOptions{}, &printer{seed: "other filters", last: PrintsOf(doc1.Items)})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range doc3.Items {
		if it.Unchanged {
			t.Errorf("entry %q unchanged under other settings", it.Title)
		}
	}
}
