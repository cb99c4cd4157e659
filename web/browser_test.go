package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"herald/events"
	"herald/web/browsertest"
)

// browser opens a chromium tab for the page tests; a JavaScript dialog a
// page opens counts as an error, as console errors do.
func browser(t *testing.T) (context.Context, *browsertest.Console) {
	t.Helper()
	tab, console := browsertest.Tab(t, 1024, 768)
	if err := chromedp.Listen(tab, func(ev any) {
		if d, ok := ev.(*cdppage.EventJavascriptDialogOpening); ok {
			console.Add("a JavaScript dialog opened: " + d.Message)
		}
	}); err != nil {
		t.Fatal(err)
	}
	return tab, console
}

// TestPagesInABrowser walks front page → event → its storyline → an event
// of it → briefing
// in chromium by clicking links, keeps screenshots in artifacts/, and
// checks that no page logs an error, including a page of hostile text.
func TestPagesInABrowser(t *testing.T) {
	st, _ := fixture(t)
	seed(t, st, []events.Event{{ID: "ev-xss", Headline: "Hostile " + payload, Summary: payload,
		FirstSeen: now.Add(-3 * time.Hour), LastUpdated: now.Add(-3 * time.Hour), Size: 1, Topics: []string{"tech"},
		Sources: []events.Source{{Publisher: payload, Title: payload, URL: jsURL, Published: now.Add(-3 * time.Hour)}}}}, nil)
	srv := serve(t, st, Options{})
	tab, log := browser(t)
	artifacts := filepath.Join("..", "artifacts")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(artifacts, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// follow clicks the link matching sel and checks where it led.
	follow := func(sel, wantPath, wantH1 string) {
		t.Helper()
		// Mark the page, click, and wait for a new, loaded document: the
		// old page's h1 must not pass for the new one's.
		if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.heraldOld = true`)); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(sel))); err != nil {
			t.Fatalf("click %s: %v", sel, err)
		}
		for end := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			loaded, err := chromedp.Run(tab, chromedp.Evaluate[bool](`!window.heraldOld && document.readyState === "complete"`))
			if err == nil && loaded {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("click %s: no new page loaded (%v)", sel, err)
			}
		}
		loc, err := chromedp.Run(tab, chromedp.Location())
		if err != nil || !strings.HasSuffix(loc, wantPath) {
			t.Fatalf("click %s: at %s (%v), want %s", sel, loc, err, wantPath)
		}
		h1, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("main h1")))
		if err != nil || !strings.Contains(h1, wantH1) {
			t.Fatalf("%s: h1 %q (%v), want %q", wantPath, h1, err, wantH1)
		}
	}

	if err := chromedp.Do(tab, chromedp.Navigate(srv.URL+"/"), chromedp.WaitReady(chromedp.CSS("main h1"))); err != nil {
		t.Fatal(err)
	}
	shot("web-front.png")
	follow(`a[href$="/events/ev-talks.html"]`, "/events/ev-talks.html", "North and South Korea agree")
	if n, err := chromedp.Run(tab, chromedp.Nodes(chromedp.CSSAll("svg.timeline rect"))); err != nil || len(n) != 3 {
		t.Errorf("timeline bars: %d (%v), want 3", len(n), err)
	}
	shot("web-event.png")
	follow(`nav.storyline a[href$="/storylines/sl-korea.html"]`, "/storylines/sl-korea.html", "Korean War · talks")
	if n, err := chromedp.Run(tab, chromedp.Nodes(chromedp.CSSAll("svg.timeline rect"))); err != nil || len(n) != 5 {
		t.Errorf("storyline timeline bars: %d (%v), want 5", len(n), err)
	}
	shot("web-storyline.png")
	follow(`a[href$="/events/ev-summit.html"]`, "/events/ev-summit.html", "US and North Korean officials")
	follow(`a[href$="/briefings/2026-11-22.html"]`, "/briefings/2026-11-22.html", "Briefing for Sunday 22 November 2026")
	shot("web-briefing.png")
	follow(`a[rel="next"]`, "/briefings/2026-11-23.html", "Briefing for Monday 23 November 2026")
	follow(`a[href$="/events/ev-xss.html"]`, "/events/ev-xss.html", "Hostile <script>")
	shot("web-event-hostile.png")
	if err := chromedp.Do(tab, chromedp.EmulateViewport(375, 800), chromedp.Navigate(srv.URL+"/events/ev-talks.html"),
		chromedp.WaitReady(chromedp.CSS("main h1"))); err != nil {
		t.Fatal(err)
	}
	shot("web-event-narrow.png")
	// Scrolling sideways on a phone is a layout bug.
	if wide, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); err != nil || wide {
		t.Errorf("event page wider than a 375px screen (%v)", err)
	}
	time.Sleep(200 * time.Millisecond) // let the last console events arrive
	if errs := log.Errors(); len(errs) > 0 {
		t.Errorf("browser errors:\n%s", strings.Join(errs, "\n"))
	}
}
