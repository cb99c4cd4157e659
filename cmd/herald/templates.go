package main

import (
	"path/filepath"

	"herald/digest"
	"herald/templates"
	"herald/web"
)

// TemplatesConfig points at the operator's template overrides: a file in
// Dir named like a built-in template (README: Templates) replaces it.
type TemplatesConfig struct {
	Dir string `yaml:"dir"` // relative to the config file's directory
}

// parsedTemplates are a config's templates, parsed when it is loaded, so
// that a broken override fails check-config, the start or the reload (the
// running templates stay) rather than a page or a digest.
type parsedTemplates struct {
	digest *digest.Templates
	web    *web.Templates
}

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
	if k.c.parsed.digest, err = digest.ParseTemplates(fsys); err == nil {
		k.c.parsed.web, err = web.ParseTemplates(fsys)
	}
	if err != nil {
		k.failf(at, "%v: fix the template, or remove the file to use the built-in one", templates.Locate(dir, fsys, err))
	}
}
