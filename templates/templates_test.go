package templates

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
)

// A file in the directory replaces the default of its name; the others
// stay default; a file named like no template is refused.
func TestOverlay(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "email.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ".swp"), []byte("editor junk"), 0o644)
	fsys, err := Overlay(dir)
	if err != nil {
		t.Fatal(err)
	}
	mine, _ := fs.ReadFile(fsys, "email.txt")
	builtin, _ := fs.ReadFile(fsys, "email.html")
	def, _ := fs.ReadFile(Defaults, "email.html")
	if string(mine) != "mine" || len(builtin) == 0 || string(builtin) != string(def) {
		t.Fatalf("email.txt %q, email.html %d bytes (default %d)", mine, len(builtin), len(def))
	}
	if names, _ := fs.Glob(fsys, "*.md"); len(names) != 3 {
		t.Fatalf("the overlay lists %v as its Markdown templates", names)
	}
	os.WriteFile(filepath.Join(dir, "emial.txt"), []byte("typo"), 0o644)
	if _, err := Overlay(dir); err == nil || !strings.Contains(err.Error(), "emial.txt is not a template's name") {
		t.Fatalf("a misspelt override: %v", err)
	}
}

// Locate names the override's path and the line of a parse error.
func TestLocate(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "event.md"), []byte("# {{.Headline}}\n\n{{.Summary}\n"), 0o644)
	fsys, err := Overlay(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = template.ParseFS(fsys, "event.md")
	err = Locate(dir, fsys, err)
	if want := filepath.Join(dir, "event.md") + ":3: "; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("%v; want it to start with %q", err, want)
	}
	if plain := errors.New("no such file"); Locate(dir, fsys, plain) != plain {
		t.Fatal("an error without a line changed")
	}
}
