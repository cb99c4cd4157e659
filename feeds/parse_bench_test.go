package feeds

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// newsFeed builds an RSS document shaped like the feeds of the throughput
// bar: n items, each with a title, link, guid, date and a CDATA description
// of about 1.8 KB of HTML (60 items make the average 110 KB news feed).
func newsFeed(n int) []byte {
	var b strings.Builder
	b.Grow(n * 1900)
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>` +
		`<title>News</title><link>http://example.com/news</link>`)
	body := strings.Repeat("Officials said the talks would continue next week as negotiators met again in the capital. ", 16)
	for i := range n {
		fmt.Fprintf(&b, `<item><title>Story %d of the day</title><link>http://example.com/news/story/%d</link>`+
			`<guid>news-%d</guid><pubDate>Mon, 02 Nov 2026 10:%02d:00 GMT</pubDate>`+
			`<description><![CDATA[<p>%s</p>]]></description></item>`, i, i, i, i%60, body)
	}
	b.WriteString(`</channel></rss>`)
	return []byte(b.String())
}

// BenchmarkParseNewsFeed compares Parse with gofeed alone on one typical
// news feed; the throughput bar allows Parse about 1.3 times gofeed's cost.
func BenchmarkParseNewsFeed(b *testing.B) {
	body := newsFeed(60)
	feed := Feed{URL: "http://example.com/news.rss", Title: "News"}
	fetchedAt := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	b.Run("herald", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Parse(body, "application/rss+xml", feed, fetchedAt); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gofeed", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if !gofeedParses(body) {
				b.Fatal("gofeed failed")
			}
		}
	})
}
