package main

import (
	"fmt"
	"io/fs"
	"time"

	"herald/config"
	"herald/digest"
	"herald/web"
)

// Config is the configuration file (package config) with the templates it
// names parsed by the packages that render them.
type Config struct {
	*config.Config
	parsed parsedTemplates
}

// parsedTemplates are a config's templates with the overrides of
// templates.dir, parsed when it is loaded; nil fields mean the built-ins.
type parsedTemplates struct {
	digest *digest.Templates
	web    *web.Templates
}

// parse is the config.TemplateParser of digest's and web's templates.
func (t *parsedTemplates) parse(fsys fs.FS) (err error) {
	if t.digest, err = digest.ParseTemplates(fsys); err == nil {
		t.web, err = web.ParseTemplates(fsys)
	}
	return err
}

// LoadConfig reads, expands and validates the configuration file at path
// and parses the templates it names (config.Load).
func LoadConfig(path string, getenv func(string) string) (*Config, error) {
	t := &parsedTemplates{}
	c, err := config.Load(path, getenv, t.parse)
	if err != nil {
		return nil, err
	}
	return &Config{Config: c, parsed: *t}, nil
}

// ParseConfig is LoadConfig on bytes already read.
func ParseConfig(path string, raw []byte, getenv func(string) string) (*Config, error) {
	t := &parsedTemplates{}
	c, err := config.Parse(path, raw, getenv, t.parse)
	if err != nil {
		return nil, err
	}
	return &Config{Config: c, parsed: *t}, nil
}

// formatDays writes a whole number of days as "30d", else as Go does.
func formatDays(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
