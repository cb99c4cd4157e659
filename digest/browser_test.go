package digest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"herald/web/browsertest"
)

// TestHTMLPartInChromium opens the HTML part in headless Chromium: every
// headline is visible, the source links are the sources' http URLs and one
// of them opens, nothing is logged to the console, and text stays readable
// in dark mode. Screenshots go to artifacts/digest.png and digest-dark.png.
func TestHTMLPartInChromium(t *testing.T) {
	tab, console := browsertest.Tab(t, 0, 0)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	d := sampleDigest()
	var want []string // the source links, in page order: in the fixture, each publisher's report that is not a copy
	for _, th := range d.Threads {
		for _, e := range th.Entries {
			for j := range e.Event.Sources {
				if s := &e.Event.Sources[j]; isWebURL(s.URL) && !s.Duplicate {
					s.URL = fmt.Sprintf("%s/story/%s-%d", srv.URL, e.Event.ID, j)
					want = append(want, s.URL)
				}
			}
		}
	}
	msg, err := Render(d, testMail())
	if err != nil {
		t.Fatal(err)
	}
	mux.HandleFunc("/digest.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(msg.HTML))
	})
	mux.HandleFunc("/story/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<!DOCTYPE html><title>Story %s</title><p>story", r.PathValue("id"))
	})
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })

	if err := chromedp.Do(tab, chromedp.EmulateViewport(700, 900), chromedp.Navigate(srv.URL+"/digest.html"),
		chromedp.WaitVisible(chromedp.CSS("h2"))); err != nil {
		t.Fatal(err)
	}
	visible, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".headline"))
		.filter(h => h.getBoundingClientRect().height > 0).map(h => h.innerText)`))
	if err != nil {
		t.Fatal(err)
	}
	storyline, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("h2.storyline")))
	if err != nil || storyline != "Zürich · cafés <b>" {
		t.Errorf("storyline heading %q (%v), want the thread's name as text", storyline, err)
	}
	for i, e := range d.Entries() {
		if i >= len(visible) || visible[i] != oneLine(e.Event.Headline) {
			t.Fatalf("visible headlines %q, want %q at %d", visible, e.Event.Headline, i)
		}
	}
	hrefs, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".sources a")).map(a => a.href)`))
	if err != nil || !slices.Equal(hrefs, want) {
		t.Fatalf("source links %q (%v), want %q", hrefs, err, want)
	}
	keepScreenshot(t, tab, "digest.png")

	// Dark mode: the page must not force dark text on a dark canvas.
	if _, err := chromedp.Call(tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
	colors, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[getComputedStyle(document.querySelector("h2")).color,
		getComputedStyle(document.documentElement).backgroundColor, getComputedStyle(document.documentElement).colorScheme]`))
	if err != nil {
		t.Fatal(err)
	}
	if colors[0] != "rgb(255, 255, 255)" {
		t.Errorf("dark mode: headline color %s on background %s (color-scheme %s), want white text", colors[0], colors[1], colors[2])
	}
	keepScreenshot(t, tab, "digest-dark.png")

	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(".sources a")), chromedp.WaitReady(chromedp.CSS("p"))); err != nil {
		t.Fatal(err)
	}
	if loc, err := chromedp.Run(tab, chromedp.Location()); err != nil || loc != want[0] {
		t.Fatalf("the first source link led to %s (%v), want %s", loc, err, want[0])
	}
	if errs := console.Errors(); len(errs) > 0 {
		t.Fatalf("console errors: %q", errs)
	}
}

// keepScreenshot saves a full-page screenshot to the repository's
// artifacts/ folder.
func keepScreenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100)) // 100 gives a PNG; lower, a JPEG
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := filepath.Join("..", "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
