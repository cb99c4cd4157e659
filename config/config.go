// Package config reads Herald's configuration file (config.yaml): the
// Config type and its sections, defaults, ${VAR} expansion from the
// environment, validation whose every error names the file, line, key and
// fix, warnings about settings that work but are likely mistakes, and the
// schedules' cron parser. The packages that render templates parse them;
// Load reports their errors at templates.dir.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is Herald's configuration file. It is owned by cmd/herald: each
// package gets only the values it needs, copied into its own options.
type Config struct {
	Storage     string       `yaml:"storage"`
	Log         LogConfig    `yaml:"log"`
	HTTP        HTTPConfig   `yaml:"http"`
	Poll        PollConfig   `yaml:"poll"`
	Topics      []Topic      `yaml:"topics"`
	SMTP        SMTPConfig   `yaml:"smtp"`
	Subscribers []Subscriber `yaml:"subscribers"`
	Digest      DigestConfig `yaml:"digest"`
	// Retention is how long events and their items are kept (digests are
	// kept for good); a feed item published before it is not stored.
	Retention Duration        `yaml:"retention"`
	Templates TemplatesConfig `yaml:"templates"`

	parse    TemplateParser // parses the templates with the overrides of templates.dir (templates.go)
	path     string         // the file it came from, for messages
	root     *yaml.Node     // the parsed document, to find the line of a key
	warnings []string       // settings that work but are likely mistakes (sanity.go)
}

// Path is the file the configuration came from, for messages.
func (c *Config) Path() string { return c.path }

// Warnings lists the settings that work but are likely mistakes, each with
// its file, line, key and fix.
func (c *Config) Warnings() []string { return c.warnings }

// LogConfig sets the log format ("text" or "json") and level.
type LogConfig struct {
	Format string `yaml:"format"`
	Level  string `yaml:"level"`
}

// HTTPConfig configures the web server.
type HTTPConfig struct {
	Listen    string `yaml:"listen"`
	PublicURL string `yaml:"public_url"`
}

// PollConfig tunes the poller.
type PollConfig struct {
	Workers    int      `yaml:"workers"`
	PerHost    int      `yaml:"per_host"`
	Timeout    Duration `yaml:"timeout"`
	MaxBodyMB  int      `yaml:"max_body_mb"`
	UserAgent  string   `yaml:"user_agent"`
	ClusterWin Duration `yaml:"cluster_window"`
	// ClusterMax bounds the items the deduplicator holds (0: only the
	// window bounds them); see events.Placer.MaxHeld.
	ClusterMax int      `yaml:"cluster_max_items"`
	Lease      Duration `yaml:"lease"` // scale-out: how long a feed being polled stays claimed without renewal
	// AllowNetworks are internal networks (CIDRs or IPs) feeds may reach;
	// by default loopback, private and link-local addresses are refused.
	AllowNetworks []string `yaml:"allow_networks"`
	// TrackingParams are query parameters to drop from item links beyond
	// the built-in list (names, or prefixes like "sh_*").
	TrackingParams []string `yaml:"tracking_params"`
}

// Topic is a named group of feeds polled on one schedule.
type Topic struct {
	Name     string     `yaml:"name"`
	Title    string     `yaml:"title"`
	Schedule string     `yaml:"schedule"`
	Include  []string   `yaml:"include"`
	Exclude  []string   `yaml:"exclude"`
	Feeds    []FeedConf `yaml:"feeds"`
}

// FeedConf is one feed of a topic.
type FeedConf struct {
	URL   string `yaml:"url"`
	Title string `yaml:"title"`
}

// SMTPConfig is the mail server digests go through.
type SMTPConfig struct {
	Host     string   `yaml:"host"`
	Port     int      `yaml:"port"`
	Username string   `yaml:"username"`
	Password string   `yaml:"password"`
	From     string   `yaml:"from"`
	TLS      string   `yaml:"tls"`
	Timeout  Duration `yaml:"timeout"` // the whole delivery of one message
	// AllowInsecureAuth lets the password go without TLS (tls: none): for
	// a relay on a network the operator trusts.
	AllowInsecureAuth bool `yaml:"allow_insecure_auth"`
}

// DigestConfig tunes the digests mailed to subscribers.
type DigestConfig struct {
	SendEmpty    bool    `yaml:"send_empty"`    // mail a digest even when nothing is new
	MaxEvents    int     `yaml:"max_events"`    // the most events one digest lists
	UpdateGrowth float64 `yaml:"update_growth"` // a sent event returns once its sources grew this many times
	Secret       string  `yaml:"secret"`        // signs unsubscribe links; made and stored when empty
}

// Subscriber receives digests of some topics on a schedule.
type Subscriber struct {
	Email    string   `yaml:"email"`
	Name     string   `yaml:"name"`
	Topics   []string `yaml:"topics"`
	Schedule string   `yaml:"schedule"`
	Timezone string   `yaml:"timezone"`
	// Transport is how its digests go: email (the default) or webhook.
	Transport string        `yaml:"transport"`
	Webhook   WebhookConfig `yaml:"webhook"`
}

// Duration reads "30s", "1h30m" or "2d" from YAML.
type Duration time.Duration

// UnmarshalYAML accepts Go durations plus a "d" suffix for days.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration: write it like 30s, 15m, 2h or 7d", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration back in Go's notation.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil || fmt.Sprint(n) != days {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// defaults fills what the file leaves out.
func (c *Config) defaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Storage, "herald.db")
	def(&c.Log.Format, "text")
	def(&c.Log.Level, "info")
	def(&c.HTTP.Listen, "127.0.0.1:8080")
	if c.Poll.Workers == 0 {
		c.Poll.Workers = 16
	}
	if c.Poll.PerHost == 0 {
		c.Poll.PerHost = 2
	}
	if c.Poll.Timeout == 0 {
		c.Poll.Timeout = Duration(30 * time.Second)
	}
	if c.Poll.MaxBodyMB == 0 {
		c.Poll.MaxBodyMB = 16
	}
	if c.Poll.ClusterWin == 0 {
		c.Poll.ClusterWin = Duration(72 * time.Hour)
	}
	if c.Poll.Lease == 0 {
		c.Poll.Lease = Duration(time.Minute)
	}
	if c.Retention == 0 {
		c.Retention = Duration(30 * 24 * time.Hour)
	}
	for i := range c.Topics {
		def(&c.Topics[i].Schedule, "*/30 * * * *")
	}
	def(&c.SMTP.TLS, "starttls")
	if c.SMTP.Port == 0 {
		c.SMTP.Port = 587
	}
	if c.SMTP.Timeout == 0 {
		c.SMTP.Timeout = Duration(time.Minute)
	}
	for i := range c.Subscribers {
		def(&c.Subscribers[i].Transport, "email")
		def(&c.Subscribers[i].Schedule, "0 7 * * *")
		def(&c.Subscribers[i].Timezone, "UTC")
	}
	if c.Digest.MaxEvents == 0 {
		c.Digest.MaxEvents = 25
	}
	if c.Digest.UpdateGrowth == 0 {
		c.Digest.UpdateGrowth = 2
	}
}

// Load reads, expands and validates the configuration file at path.
// Every error names the file, the line, the key and the fix. parse, when
// not nil, parses the templates with the overrides of templates.dir.
func Load(path string, getenv func(string) string, parse TemplateParser) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w (give another file with --config)", err)
	}
	return Parse(path, raw, getenv, parse)
}

// Parse is Load on bytes already read.
func Parse(path string, raw []byte, getenv func(string) string, parse TemplateParser) (*Config, error) {
	expanded, err := expandEnv(path, raw, getenv)
	if err != nil {
		return nil, err
	}
	c := &Config{path: path, root: &yaml.Node{}, parse: parse}
	if err := yaml.Unmarshal(expanded, c.root); err != nil {
		return nil, errors.New(yamlMessage(path, err))
	}
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, errors.New(yamlMessage(path, err))
	}
	c.defaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Masked returns the configuration as YAML with secrets replaced by "***".
func (c *Config) Masked() ([]byte, error) {
	m := *c
	if m.SMTP.Password != "" {
		m.SMTP.Password = "***"
	}
	if m.Digest.Secret != "" {
		m.Digest.Secret = "***"
	}
	m.Subscribers = slices.Clone(m.Subscribers)
	for i := range m.Subscribers {
		if m.Subscribers[i].Webhook.Secret != "" {
			m.Subscribers[i].Webhook.Secret = "***"
		}
	}
	if u, err := url.Parse(m.Storage); err == nil && u.User != nil {
		m.Storage = u.Redacted()
	}
	return yaml.Marshal(&m)
}
