package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTemplateOverrides: a file in templates.dir replaces the built-in
// template of its name (a page and a digest part) and the others stay;
// check-config names a broken override's file and line; a broken override
// at SIGHUP is refused, the running templates stay and the log says why;
// a fixed one takes effect at the next SIGHUP.
func TestTemplateOverrides(t *testing.T) {
	dir := t.TempDir()
	tpl := filepath.Join(dir, "tpl")
	if err := os.Mkdir(tpl, 0o755); err != nil {
		t.Fatal(err)
	}
	override := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(tpl, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	feedsPage := func(v string) string {
		return `{{define "feeds.html"}}{{template "top" .}}` + "\n<h1>Our sources, " + v + `</h1>{{template "bottom" .}}{{end}}`
	}
	override("feeds.html", feedsPage("v1"))
	override("email.txt", "{{.Title}}: our own text part\n")
	addr := freeAddr(t)
	cfg := filepath.Join(dir, "config.yaml")
	err := os.WriteFile(cfg, []byte(fmt.Sprintf("storage: %s\nhttp: {listen: %q}\ntemplates: {dir: tpl}\n"+
		"smtp: {host: 127.0.0.1, from: \"Herald <news@herald.example>\"}\ntopics:\n  - name: world\n",
		filepath.Join(dir, "herald.db"), addr)), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if out, err := herald(t, ctx, "--config", cfg, "check-config"); err != nil {
		t.Fatalf("check-config with good overrides: %v\n%s", err, out)
	}
	out, err := herald(t, ctx, "--config", cfg, "digest", "preview", "--subscriber", "ada@example.org")
	if err != nil || !strings.Contains(out, ": our own text part") {
		t.Fatalf("digest preview: %v\n%s\nwant the overridden text part", err, out)
	}

	in := startInstance(t, buildHerald(t), cfg, "", 0)
	waitFor(t, 30*time.Second, "the web server", func() bool { return get(addr, "/readyz") == http.StatusOK })
	if page := body(t, addr, "/feeds"); !strings.Contains(page, "Our sources, v1") || !strings.Contains(page, "<nav") {
		t.Fatalf("/feeds does not show the override in the built-in frame:\n%s", page)
	}
	if page := body(t, addr, "/"); !strings.Contains(page, "<nav") || strings.Contains(page, "Our sources") {
		t.Fatalf("the front page is not the built-in one:\n%s", page)
	}

	override("feeds.html", feedsPage("v2")+"\n{{.Title}\n") // line 3 is broken
	out, err = herald(t, ctx, "--config", cfg, "check-config")
	if want := filepath.Join(tpl, "feeds.html") + ":3: "; err == nil || !strings.Contains(err.Error(), want) ||
		!strings.Contains(err.Error(), "templates.dir") {
		t.Fatalf("check-config with a broken override: %v\n%s\nwant the error at %s", err, out, want)
	}
	hup := func() {
		t.Helper()
		if err := in.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	hup()
	waitFor(t, 20*time.Second, "the refused reload in the log", func() bool {
		b, _ := os.ReadFile(in.log)
		return strings.Contains(string(b), "config reload failed") && strings.Contains(string(b), "feeds.html:3")
	})
	if page := body(t, addr, "/feeds"); !strings.Contains(page, "Our sources, v1") {
		t.Fatalf("/feeds after a refused reload:\n%s", page)
	}
	override("feeds.html", feedsPage("v2"))
	hup()
	waitFor(t, 20*time.Second, "the fixed override to be served", func() bool {
		return strings.Contains(body(t, addr, "/feeds"), "Our sources, v2")
	})
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := in.cmd.Wait(); err != nil {
		t.Fatalf("daemon stopped with %v; log:\n%s", err, tail(in.log))
	}
}

// body GETs path and returns the body ("" on an error).
func body(t *testing.T, addr, path string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
