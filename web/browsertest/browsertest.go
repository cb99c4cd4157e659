// Package browsertest opens Herald's pages and mail in a real browser for
// tests: Debian's chromium, headless, driven through chromedp. Tests only:
// where chromium is missing the test skips, except in CI (CI=true), where
// that is a failure.
package browsertest

import (
	"context"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path is where Debian installs chromium.
const Path = "/usr/bin/chromium"

// Tab starts chromium headless with a fresh profile and returns a tab and
// the console errors and exceptions of the pages it shows. A width or
// height of 0 keeps chromium's default window. The browser stops when the
// test ends, or after two minutes.
func Tab(t testing.TB, width, height int) (context.Context, *Console) {
	t.Helper()
	if _, err := os.Stat(Path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (install Debian chromium): %v", Path, err)
		}
		t.Skipf("%s is missing: install Debian chromium to run this test", Path)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(Path), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	if width > 0 && height > 0 {
		opts = append(opts, chromedp.WindowSize(width, height))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	tab, tcancel := chromedp.NewContext(actx)
	t.Cleanup(tcancel)
	console := &Console{}
	msgs := chromedp.Console(tab)
	// The goroutine ends when the tab does, at the test's end at the latest.
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				console.Add(m.String())
			}
		}
	}()
	return tab, console
}

// Console collects the errors of a tab's pages.
type Console struct {
	mu     sync.Mutex
	errors []string
}

// Add records an error a test found another way, such as a JavaScript
// dialog.
func (c *Console) Add(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errors = append(c.errors, msg)
}

// Errors returns the errors so far, oldest first.
func (c *Console) Errors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.errors)
}
