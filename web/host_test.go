package web

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// Without http.public_url the request's Host makes the absolute links of
// feeds and the OPML: such an answer must not be kept by a shared cache
// for other clients (private, Vary: Host). With public_url the links are
// fixed and the answer may be cached publicly.
func TestHostHeaderCannotPoisonACache(t *testing.T) {
	st, _ := fixture(t)
	fetch := func(srvURL, path string) (string, http.Header) {
		t.Helper()
		req, err := http.NewRequest("GET", srvURL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = "evil.example"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body), resp.Header
	}
	open := serve(t, st, Options{})
	for _, path := range []string{"/all.rss", "/opml", "/topics/world.atom", "/"} {
		body, h := fetch(open.URL, path)
		cc := h.Get("Cache-Control")
		if strings.Contains(cc, "public") || !strings.Contains(cc, "private") || !strings.Contains(h.Get("Vary"), "Host") {
			t.Errorf("%s without public_url: Cache-Control %q, Vary %q; want private and Vary: Host", path, cc, h.Get("Vary"))
		}
		if path == "/all.rss" && !strings.Contains(body, "http://evil.example/") {
			t.Errorf("%s: links do not follow the Host, so this test proves nothing:\n%.400s", path, body)
		}
	}
	fixed := serve(t, st, Options{PublicURL: "https://news.example.org"})
	body, h := fetch(fixed.URL, "/all.rss")
	if strings.Contains(body, "evil.example") || !strings.HasPrefix(h.Get("Cache-Control"), "public") {
		t.Errorf("with public_url: Cache-Control %q, links to the Host %v", h.Get("Cache-Control"), strings.Contains(body, "evil.example"))
	}
}
