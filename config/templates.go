package config

import (
	"io/fs"
	"path/filepath"

	"herald/templates"
)

// TemplatesConfig points at the operator's template overrides: a file in
// Dir named like a built-in template (README: Templates) replaces it.
type TemplatesConfig struct {
	Dir string `yaml:"dir"` // relative to the config file's directory
}

// A TemplateParser parses and keeps the templates Herald renders, from
// the built-ins with the overrides of templates.dir laid over them. The
// parsers live with the packages that render (digest, web), so the caller
// passes them in; Load calls it only when templates.dir is set, so that a
// broken override fails check-config, the start or the reload (the
// running templates stay) rather than a page or a digest.
type TemplateParser func(fs.FS) error

// checkTemplates parses the templates with the overrides of templates.dir
// and reports a broken one with its file and line.
func (k *checker) checkTemplates() {
	dir := k.c.Templates.Dir
	if dir == "" {
		return // the built-in templates, parsed once by their packages
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(filepath.Dir(k.c.path), dir)
	}
	at := p("templates", "dir")
	fsys, err := templates.Overlay(dir)
	if err != nil {
		k.failf(at, "%v", err)
		return
	}
	if k.c.parse == nil {
		return
	}
	if err := k.c.parse(fsys); err != nil {
		k.failf(at, "%v: fix the template, or remove the file to use the built-in one", templates.Locate(dir, fsys, err))
	}
}
