// Package templates holds every template Herald renders (the digest's
// email parts, the web pages in HTML and Markdown) as the built-in
// defaults, and lays an operator's directory of overrides over them.
package templates

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
)

//go:embed *.html *.txt *.md
var defaults embed.FS

// Defaults are the built-in templates.
var Defaults fs.FS = defaults

// BuiltIn returns a function that parses the built-in templates with
// parse on its first call and returns them on every call. They are
// tested, so an error is a bug: it panics.
func BuiltIn[T any](parse func(fs.FS) (T, error)) func() T {
	return sync.OnceValue(func() T {
		t, err := parse(Defaults)
		if err != nil {
			panic(err)
		}
		return t
	})
}

// Names lists the templates, sorted.
func Names() []string {
	entries, _ := defaults.ReadDir(".")
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// Overlay returns the templates with each file of dir replacing the
// default of the same name; the others stay default. An empty dir gives
// the defaults. A file in dir that is no template's name is refused:
// a misspelt override would otherwise be silently ignored.
func Overlay(dir string) (fs.FS, error) {
	if dir == "" {
		return Defaults, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	names := Names()
	o := overlay{dir: os.DirFS(dir), ours: map[string]bool{}}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "."), e.IsDir():
		case !slices.Contains(names, name):
			return nil, fmt.Errorf("templates: %s is not a template's name: name the file after the one it replaces (%s)",
				filepath.Join(dir, name), strings.Join(names, ", "))
		default:
			o.ours[name] = true
		}
	}
	return o, nil
}

// overlay serves the overridden files from dir and the rest from the
// defaults; it lists the defaults' names, for ParseFS's patterns.
type overlay struct {
	dir  fs.FS
	ours map[string]bool
}

func (o overlay) Open(name string) (fs.File, error) {
	if o.ours[name] {
		return o.dir.Open(name)
	}
	return defaults.Open(name)
}

func (o overlay) ReadDir(name string) ([]fs.DirEntry, error) { return defaults.ReadDir(name) }

var templateLine = regexp.MustCompile(`template: ([^:\s]+):(\d+):`)

// Locate rewrites a template error to start with the file and line it
// names: dir's file for an override, the default's name otherwise.
func Locate(dir string, fsys fs.FS, err error) error {
	m := templateLine.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	file := m[1] + " (built in)"
	if o, ok := fsys.(overlay); ok && o.ours[m[1]] {
		file = filepath.Join(dir, m[1])
	}
	return fmt.Errorf("%s:%s: %w", file, m[2], err)
}
