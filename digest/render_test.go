package digest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"herald/events"
)

// sampleDigest has what a renderer must survive: non-ASCII everywhere, a
// headline with markup, a javascript: link, an update, a late flag.
func sampleDigest() Digest {
	korea := event("ev-korea", "North and South Korea agree to seek talks to end the Korean War", 4, 1, time.Hour, "world")
	korea.Summary = "Leaders of the two Koreas said on Thursday they would seek talks with the United States and China " +
		"to formally end the war, in a declaration signed in Pyongyang after three days of meetings."
	cafe := event("ev-cafe", `Café owners <script>alert("x")</script> & “quotes” in Zürich`, 2, 0, 2*time.Hour, "world")
	cafe.Sources = append(cafe.Sources, events.Source{Publisher: "Evil", URL: "javascript:alert(1)"})
	upd := Entry{Event: event("ev-upd", "Talks resume", 6, 0, 3*time.Hour, "world"), Sources: 6, Update: true, Was: 2}
	// A storyline mailed before: its new events under the heading it had.
	cafes := Thread{Storyline: "sl-cafes", Name: "Zürich · cafés <b>", Entries: []Entry{{Event: cafe, Sources: 2}, upd},
		Sources: 8, Earlier: 3, More: 2}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	return Digest{
		Subscriber: Subscriber{Email: "zoe@example.org", Name: "Zoë Ångström", Topics: []string{"world"},
			TopicTitles: []string{"World news"}, Location: berlin},
		Period:  Period{Start: t0.Add(-24 * time.Hour), End: t0, Late: true},
		Threads: []Thread{{Storyline: "sl-korea", Name: "Korean War", Entries: []Entry{{Event: korea, Sources: 4}}, Sources: 4}, cafes},
	}
}

func TestRenderPartsAndEscaping(t *testing.T) {
	msg, err := Render(sampleDigest(), testMail())
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range msg.Bytes {
		if c > 127 {
			t.Fatalf("byte %d of the message is not 7-bit: %q", i, msg.Bytes[max(0, i-20):i+1])
		}
	}
	if strings.Contains(msg.HTML, "<script") || strings.Contains(msg.HTML, "javascript:") {
		t.Fatal("the HTML part carries markup or a script link from a feed")
	}
	for _, want := range []string{"&lt;script&gt;", `href="https://news0.example/ev-korea" rel="noopener noreferrer"`,
		`href="https://herald.example/events/ev-korea.html"`, "Covered by 4 sources", "Update", "color-scheme",
		"(topics: World news)", `<a href="https://herald.example/storylines/sl-cafes.html" style="text-decoration:none;">Zürich · cafés &lt;b&gt;</a></h2>`,
		"2 new events, 8 sources &middot; Continued: 3 events of this storyline in your earlier briefings."} {
		if !strings.Contains(msg.HTML, want) {
			t.Errorf("HTML part lacks %q", want)
		}
	}
	for _, line := range strings.Split(msg.Text, "\n") {
		if n := len([]rune(line)); n > 72 && !strings.Contains(line, "://") {
			t.Errorf("text line of %d columns: %q", n, line)
		}
	}
	for _, want := range []string{"\n   b. [UPDATE] Talks resume", "Covered by 6 sources (2 when", "This briefing is late",
		"\n2. Zürich · cafés <b>: 2 new events, 8 sources\n   Continued: 3 events", "\n   a. Café owners", "\n1. North and South Korea",
		"\n   and 2 more of this storyline since your last briefing",
		"https://news1.example/ev-korea", "Unsubscribe: https://herald.example/unsubscribe?token="} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("text part lacks %q", want)
		}
	}
	if !strings.HasPrefix(msg.Subject, "[Late] Herald briefing, 24 Nov: North and South Korea") {
		t.Errorf("subject %q", msg.Subject)
	}
	again, _ := Render(sampleDigest(), testMail())
	if again.ID != msg.ID || string(again.Bytes) != string(msg.Bytes) {
		t.Error("rendering the same digest twice gave different messages")
	}
}

// TestRenderParsesWithPython reads the message with Python's email package
// (Debian's /usr/bin/python3, policy.default): no defects, the right
// structure and every header a list mail needs.
func TestRenderParsesWithPython(t *testing.T) {
	msg, err := Render(sampleDigest(), testMail())
	if err != nil {
		t.Fatal(err)
	}
	got := pythonParse(t, msg.Bytes)
	want := map[string]any{
		"defects": "", "type": "multipart/alternative", "parts": "text/plain utf-8,text/html utf-8",
		"subject": msg.Subject, "message_id": msg.ID, "list_post": "List-Unsubscribe=One-Click",
		"to": "Zoë Ångström <zoe@example.org>",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("python: %s = %q, want %q", k, got[k], v)
		}
	}
	unsub, _ := got["list_unsubscribe"].(string)
	if !strings.Contains(unsub, "<https://herald.example/unsubscribe?token=") || !strings.Contains(unsub, "<mailto:news@herald.example?subject=unsubscribe") {
		t.Errorf("python: List-Unsubscribe = %q, want an https and a mailto URI", unsub)
	}
	for _, k := range []string{"date", "list_id"} {
		if got[k] == "" || got[k] == nil {
			t.Errorf("python: no %s header", k)
		}
	}
	if text, _ := got["text"].(string); !strings.Contains(text, "Café owners <script>") {
		t.Errorf("python: text part does not decode to the headline: %.200q", text)
	}
}

// pythonParse runs /usr/bin/python3's email parser over raw and returns
// what it found.
func pythonParse(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	py := requireProgram(t, "/usr/bin/python3")
	path := filepath.Join(t.TempDir(), "msg.eml")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	const script = `
import email, email.policy, json, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
parts = [p for p in m.walk() if not p.is_multipart()]
defects = [str(d) for p in m.walk() for d in p.defects]
def h(name):
    v = m[name]
    return None if v is None else str(v).strip()
print(json.dumps({
  "defects": ";".join(defects), "type": m.get_content_type(),
  "parts": ",".join(p.get_content_type() + " " + str(p.get_content_charset()) for p in parts),
  "subject": h("Subject"), "message_id": h("Message-ID"), "to": h("To"), "date": h("Date"),
  "list_id": h("List-Id"), "list_unsubscribe": h("List-Unsubscribe"), "list_post": h("List-Unsubscribe-Post"),
  "text": m.get_body(preferencelist=("plain",)).get_content(),
  "html": m.get_body(preferencelist=("html",)).get_content(),
}))
`
	out, err := exec.Command(py, "-c", script, path).Output()
	if err != nil {
		t.Fatalf("python email parser: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python output %q: %v", out, err)
	}
	return got
}

// requireProgram returns path when it is executable; otherwise the test is
// skipped, except in CI, where it fails.
func requireProgram(t *testing.T, path string) string {
	t.Helper()
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (CI must have it): %v", path, err)
		}
		t.Skipf("%s is missing: %v", path, err)
	}
	return path
}

// Without http.public_url there is no page to link to: no event links, and
// List-Unsubscribe offers the mailto alone (one-click needs an https URI).
func TestRenderWithoutPublicURL(t *testing.T) {
	m := testMail()
	m.PublicURL = ""
	msg, err := Render(sampleDigest(), m)
	if err != nil {
		t.Fatal(err)
	}
	head := string(msg.Bytes[:strings.Index(string(msg.Bytes), "\r\n\r\n")])
	if strings.Contains(head, "List-Unsubscribe-Post") || !strings.Contains(head, "List-Unsubscribe: <mailto:news@herald.example?subject=unsubscribe%20") {
		t.Fatalf("headers without a public URL:\n%s", head)
	}
	if strings.Contains(msg.HTML, "/events/") || strings.Contains(msg.Text, "/unsubscribe?") {
		t.Fatal("links to Herald's pages without a public URL")
	}
}
