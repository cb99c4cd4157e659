package feeds

import (
	"slices"
	"strings"
	"testing"
)

func TestSanitizeHTML(t *testing.T) {
	base := parseBase("https://example.com/blog/")
	tests := []struct {
		name, in  string
		want      []string // substrings that must be present
		forbidden []string
	}{
		{"script", `<p>Hi</p><script>alert(1)</script>`, []string{"<p>Hi</p>"}, []string{"script", "alert"}},
		{"style", `<style>p{}</style><p style="color:red">x</p>`, []string{"<p>x</p>"}, []string{"style"}},
		{"iframe", `<iframe src="https://evil.example"></iframe>ok`, []string{"ok"}, []string{"iframe"}},
		{"event handler", `<img src="https://example.com/a.png" onerror="alert(1)">`, []string{`src="https://example.com/a.png"`}, []string{"onerror", "alert"}},
		{"javascript URL", `<a href="javascript:alert(1)">x</a>`, []string{"x"}, []string{"javascript"}},
		{"data URL", `<img src="data:image/png;base64,AAAA">`, nil, []string{"data:"}},
		{"absolute link", `<a href="https://other.example/x">x</a>`, []string{`rel="nofollow noopener"`, `target="_blank"`}, nil},
		{"relative link resolved", `<a href="/2026/post">x</a> <img src="img/a.png">`,
			[]string{`href="https://example.com/2026/post"`, `src="https://example.com/blog/img/a.png"`, `noopener`}, nil},
		{"scheme-relative image", `<img src="//feeds.example/~r/a.gif">`, []string{`src="https://feeds.example/~r/a.gif"`}, nil},
		{"empty", "  ", nil, []string{"<"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sanitizeHTML(tt.in, base)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("sanitizeHTML(%q) = %q, lacks %q", tt.in, got, w)
				}
			}
			for _, f := range tt.forbidden {
				if strings.Contains(got, f) {
					t.Errorf("sanitizeHTML(%q) = %q, contains %q", tt.in, got, f)
				}
			}
		})
	}
}

func TestSanitizeHTMLCapsAndCloses(t *testing.T) {
	huge := "<div><b>" + strings.Repeat("word ", maxHTMLLen) + "</b></div>"
	got := sanitizeHTML(huge, nil)
	if len(got) > maxHTMLLen {
		t.Errorf("sanitized length %d over the cap %d", len(got), maxHTMLLen)
	}
	if !strings.HasSuffix(got, "</b></div>") {
		t.Errorf("truncated HTML ends %q, want its elements closed", got[len(got)-30:])
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 3, "hel"},
		{"héllo", 2, "h"}, // never splits the two bytes of é
		{"€", 2, ""},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestHTMLToLines(t *testing.T) {
	in := `<h1>Title</h1><p>First   para&nbsp;with <b>bold</b>
	and &amp; entities.</p><ul><li>one</li><li>two</li></ul>line<br>break<script>var x;</script><style>p{}</style>`
	want := []string{"Title", "First para with bold and & entities.", "one", "two", "line", "break"}
	got := htmlToLines(in)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("htmlToLines = %q, want %q", got, want)
	}
}

// sanitizedLines must read sanitizeHTML's output as the tokenizer does.
func FuzzSanitizedLines(f *testing.F) {
	for _, s := range []string{
		`<h1>Title</h1><p>First   para&nbsp;with <b>bold</b> and &amp; entities.</p><ul><li>one</li></ul>line<br>break`,
		`<p>It's "quoted" &lt;b&gt; text</p><div><img src="/a.png" alt="x > y"><a href="b">link</a></div>`,
		"<pre>a\n\nb</pre><div>x\r\ny</div><table><tr><td>c</td><th>d</th></tr></table>",
		`<textarea><b>x</b></textarea><title>&amp;</title><script>var a = "<p>";</script>after`,
		"<P>One<BR>two<hr/>three</P><!-- c --><figure><figcaption>cap</figcaption></figure>\xff",
	} {
		f.Add(s)
	}
	base := parseBase("https://example.com/blog/")
	f.Fuzz(func(t *testing.T, s string) {
		for _, clean := range []string{sanitizeHTML(s, base), truncateHTML(sanitizeHTML(s, nil), 2*closeRoom)} {
			got, want := sanitizedLines(clean), htmlToLines(clean)
			if !slices.Equal(got, want) {
				t.Fatalf("sanitizedLines(%q) = %q, want %q", clean, got, want)
			}
		}
	})
}

func TestCollapseSpace(t *testing.T) {
	tests := []struct{ in, want string }{
		{"one two", "one two"},
		{"  one two \n", "one two"},
		{"one  two\tthree\nfour", "one two three four"},
		{"one\u00a0two \u3000 three", "one two three"},
		{"caf\u00e9 \u00e9t\u00e9", "caf\u00e9 \u00e9t\u00e9"},
		{"bad \xff byte", "bad \ufffd byte"},
		{" \t\n ", ""},
	}
	for _, tt := range tests {
		if got := collapseSpace(tt.in); got != tt.want {
			t.Errorf("collapseSpace(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  Simple   title\n", "Simple title"},
		{"Caf&eacute; &amp; bar", "Café & bar"},
		{"Double &amp;eacute;scaped", "Double &eacute;scaped"}, // decoded once: text, as the feed wrote it
		{"<b>Bold</b> <i>news</i>", "Bold news"},
		{"AT&T profits", "AT&T profits"},
		{"5 < 6 and 7 > 3", "5 < 6 and 7 > 3"},
		{"Q&amp;A: &lt;b&gt; tags", "Q&A: tags"},
		// Escaped markup is markup: readers that render titles as HTML would run it.
		{"&lt;img src=x onerror=alert(1)&gt;Korea talks", "Korea talks"},
		{"<b>&lt;script&gt;alert(1)&lt;/script&gt;Bold</b>", "Bold"},
		{"&amp;lt;b&amp;gt; stays text", "&lt;b&gt; stays text"},
		{"Invoice\u202Egnp.exe", "Invoicegnp.exe"},
		{"Bell\x07 and\u2066 isolate\u2069 and\u0085 next line", "Bell and isolate and next line"},
		{strings.Repeat("x", 3*maxTitleLen), strings.Repeat("x", maxTitleLen)},
	}
	for _, tt := range tests {
		if got := plainText(tt.in, maxTitleLen); got != tt.want {
			t.Errorf("plainText(%q) = %q, want %q", truncate(tt.in, 40), truncate(got, 40), truncate(tt.want, 40))
		}
	}
}

// StripTags leaves no tag, decodes nothing, and is stable.
func TestStripTags(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain &amp; text", "plain &amp; text"},
		{"a <script>alert(1)</script>b", "a b"},
		{"<<b>b>", "< b>"},
		{"x</", "x</"},
		{"<img src=x onerror=alert(1)", ""},
	}
	for _, tt := range tests {
		got := StripTags(tt.in)
		if got != tt.want || StripTags(got) != got {
			t.Errorf("StripTags(%q) = %q (again: %q), want %q", tt.in, got, StripTags(got), tt.want)
		}
	}
}

func TestDropBoilerplate(t *testing.T) {
	removed := []string{
		"Subscribe to our newsletter",
		"Subscribe now for full access",
		"Sign up for the Morning Briefing newsletter.",
		"To read the full story, click the link below.",
		"The post Rates rise again appeared first on Example News.",
		"Continue reading...",
		"Read more",
		"Read the full story at example.com",
		"Photo: Jane Doe/AP",
		"Image credit: NASA",
		"Photograph by John Smith",
		"(Getty Images)",
		"Protesters gather in the square on Tuesday. (AP Photo/Jane Doe)",
		"Share this article",
		"Share on Facebook",
		"Facebook Twitter Email",
		"Follow us on Twitter",
	}
	kept := []string{
		"Subscribers complained that the service was down for hours.",
		"The minister said she would read more reports before deciding.",
		"Photography exhibitions reopened in Paris on Monday.",
		"Shares in the company fell 5% after the announcement.",
		"Readers wrote in to share their stories of the flood.",
		"Reuters reported the talks would continue next week.",
		"Subscribe to " + strings.Repeat("a very long paragraph ", 20), // too long to be a prompt
	}
	got := dropBoilerplate(append(append([]string{}, removed...), kept...))
	if strings.Join(got, "|") != strings.Join(kept, "|") {
		t.Errorf("dropBoilerplate kept:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(kept, "\n"))
	}
}

func TestTrimReadMore(t *testing.T) {
	tests := []struct{ in, want string }{
		{"The talks resumed. Continue reading...", "The talks resumed."},
		{"The talks resumed… Read more »", "The talks resumed…"},
		{"The talks resumed. Keep reading →", "The talks resumed."},
		{"Nothing to trim here.", "Nothing to trim here."},
		{"Read more", ""},
	}
	for _, tt := range tests {
		if got := trimReadMore(tt.in); got != tt.want {
			t.Errorf("trimReadMore(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestItemText(t *testing.T) {
	tests := []struct {
		name, summary, content, want string
	}{
		{"summary only", "<p>Talks resume.</p>", "", "Talks resume."},
		{"content only", "", "<p>One.</p><p>Two.</p>", "One.\nTwo."},
		{"summary is the start of content", "One. Two [&hellip;]", "<p>One.</p><p>Two.</p><p>Three.</p>", "One.\nTwo.\nThree."},
		{"summary with ellipsis", "One…", "<p>One. Two.</p>", "One. Two."},
		{"different texts are both kept", "A teaser.", "<p>The story.</p>", "A teaser.\nThe story."},
		{"boilerplate removed", "<p>Story.</p><p>The post Story appeared first on Site.</p>", "", "Story."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := itemText(sanitizeHTML(tt.summary, nil), sanitizeHTML(tt.content, nil))
			if got != tt.want {
				t.Errorf("itemText = %q, want %q", got, tt.want)
			}
		})
	}
	long := itemText("", "<p>"+strings.Repeat("word ", maxTextLen)+"</p>")
	if len(long) > maxTextLen {
		t.Errorf("text length %d over the cap %d", len(long), maxTextLen)
	}
}
