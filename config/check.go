package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

var (
	topicName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	paramName = regexp.MustCompile(`^[A-Za-z0-9_.\[\]-]+\*?$`)
)

// checker collects validation errors, each located at a key of the file.
type checker struct {
	c    *Config
	errs []error
}

// failf records a problem with the key at path (e.g. "topics", 1, "name").
func (k *checker) failf(path []any, format string, args ...any) {
	line := lineOf(k.c.root, path)
	k.errs = append(k.errs, fmt.Errorf("%s:%d: %s: %s", k.c.path, line, keyName(path), fmt.Sprintf(format, args...)))
}

// warnf records a setting that works but is likely a mistake: check-config
// prints it and the daemon logs it at start.
func (k *checker) warnf(path []any, format string, args ...any) {
	line := lineOf(k.c.root, path)
	k.c.warnings = append(k.c.warnings, fmt.Sprintf("%s:%d: %s: %s", k.c.path, line, keyName(path), fmt.Sprintf(format, args...)))
}

// minClusterMax is the smallest bound on the deduplicator's items: a few
// hours of a small desk's news.
const minClusterMax = 1000

func (c *Config) validate() error {
	k := &checker{c: c}
	if !slices.Contains([]string{"text", "json"}, c.Log.Format) {
		k.failf(p("log", "format"), "%q is not a log format: use text or json", c.Log.Format)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		k.failf(p("log", "level"), "%q is not a log level: use debug, info, warn or error", c.Log.Level)
	}
	k.checkListen()
	k.checkStorage()
	if c.HTTP.PublicURL != "" && !isWebURL(c.HTTP.PublicURL) {
		k.failf(p("http", "public_url"), "%q is not an absolute http(s) URL: write it like https://news.example.org", c.HTTP.PublicURL)
	} else if u, err := url.Parse(c.HTTP.PublicURL); err == nil && strings.Trim(u.Path, "/") != "" {
		// Pages link to /events/..., /topics/...: under a path they would break.
		k.failf(p("http", "public_url"), "%q has a path: Herald must be served at the root of its host; give the proxy its own host name, like https://news.example.org", c.HTTP.PublicURL)
	}
	if c.Poll.Workers < 1 || c.Poll.Workers > 1000 {
		k.failf(p("poll", "workers"), "%d is out of range: use 1 to 1000", c.Poll.Workers)
	}
	if c.Poll.PerHost < 1 {
		k.failf(p("poll", "per_host"), "%d is out of range: use 1 or more", c.Poll.PerHost)
	}
	if keep, window := time.Duration(c.Retention), time.Duration(c.Poll.ClusterWin); keep < window+24*time.Hour {
		k.failf(p("retention"), "%s is shorter than poll.cluster_window (%s) plus a day: the deduplicator would lose events it still holds; use 30d (the default) or more",
			keep, window)
	}
	if n := c.Poll.ClusterMax; n != 0 && n < minClusterMax {
		k.failf(p("poll", "cluster_max_items"), "%d is too small to find the reports of one event: use %d or more, or 0 for no bound but the window",
			n, minClusterMax)
	}
	if time.Duration(c.Poll.Lease) < 3*time.Second {
		k.failf(p("poll", "lease"), "%s is too short: use 3s or more (default 1m)", time.Duration(c.Poll.Lease))
	}
	k.checkAllowNetworks()
	k.checkTemplates()
	for i, n := range c.Poll.TrackingParams {
		if !paramName.MatchString(n) {
			k.failf(p("poll", "tracking_params", i), "%q is not a query parameter name: write a name like share_id, or a prefix like sh_*", n)
		}
	}
	if !slices.Contains([]string{"starttls", "implicit", "none"}, c.SMTP.TLS) {
		k.failf(p("smtp", "tls"), "%q is not a TLS mode: use starttls, implicit or none", c.SMTP.TLS)
	}
	k.checkTopics()
	k.checkSubscribers()
	return errors.Join(k.errs...)
}

func (k *checker) checkTopics() {
	if len(k.c.Topics) == 0 {
		k.failf(p("topics"), "no topics: add at least one topic with a name and feeds")
	}
	seen := map[string]bool{}
	for i, t := range k.c.Topics {
		switch {
		case !topicName.MatchString(t.Name):
			k.failf(p("topics", i, "name"), "%q is not a topic name: use lower-case letters, digits, - and _ (it appears in URLs)", t.Name)
		case seen[t.Name]:
			k.failf(p("topics", i, "name"), "topic %q is defined twice: merge the two or rename one", t.Name)
		}
		seen[t.Name] = true
		if !printable(t.Title) {
			k.failf(p("topics", i, "title"), "%q holds a control character or invalid UTF-8, which feeds and pages cannot carry: remove it", t.Title)
		}
		k.checkTopicSchedule(i, t.Schedule)
		urls := map[string]bool{}
		for j, f := range t.Feeds {
			if !isWebURL(f.URL) {
				k.failf(p("topics", i, "feeds", j, "url"), "%q is not an absolute http(s) URL: give the feed's full address", f.URL)
				continue
			}
			f.URL = feedURL(f.URL) // one feed written two ways is one feed
			k.c.Topics[i].Feeds[j].URL = f.URL
			if urls[f.URL] {
				k.failf(p("topics", i, "feeds", j, "url"), "%s is listed twice in topic %q (perhaps written another way): remove one", f.URL, t.Name)
			}
			urls[f.URL] = true
			if !printable(f.Title) {
				k.failf(p("topics", i, "feeds", j, "title"), "%q holds a control character or invalid UTF-8, which feeds and pages cannot carry: remove it", f.Title)
			}
		}
	}
}

// printable reports whether s is valid UTF-8 without control characters
// (tabs and newlines aside): text that XML, and so Herald's feeds, can carry.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f || r == 0xfffe || r == 0xffff {
			return false
		}
	}
	return true
}

func (k *checker) checkSubscribers() {
	topics := map[string]bool{}
	for _, t := range k.c.Topics {
		topics[t.Name] = true
	}
	seen := map[string]bool{}
	for i, s := range k.c.Subscribers {
		if a, err := mail.ParseAddress(s.Email); err != nil || a.Address != s.Email {
			k.failf(p("subscribers", i, "email"), "%q is not an email address: write it like ada@example.org (the name goes in name)", s.Email)
		} else if seen[strings.ToLower(s.Email)] {
			k.failf(p("subscribers", i, "email"), "%s is listed twice: merge the two entries", s.Email)
		}
		seen[strings.ToLower(s.Email)] = true
		for j, t := range s.Topics {
			if !topics[t] {
				k.failf(p("subscribers", i, "topics", j), "no topic named %q: use one of the names under topics", t)
			}
		}
		k.checkDigestSchedule(i, s)
		k.checkTransport(i, s)
		if s.Timezone == "Local" {
			k.failf(p("subscribers", i, "timezone"), "Local is the zone of the machine Herald runs on, which a move or a container changes: name the zone, like Europe/Berlin")
		} else if _, err := time.LoadLocation(s.Timezone); err != nil {
			k.failf(p("subscribers", i, "timezone"), "%q is not a time zone: use an IANA name like Europe/Berlin", s.Timezone)
		}
	}
	if slices.ContainsFunc(k.c.Subscribers, func(s Subscriber) bool { return s.Transport == "email" }) {
		k.checkMail()
	}
	if len(k.c.Subscribers) > 0 {
		k.checkDigest()
	}
}

// checkMail checks what sending digests by email needs.
func (k *checker) checkMail() {
	c := k.c
	if c.SMTP == (SMTPConfig{TLS: c.SMTP.TLS, Port: c.SMTP.Port, Timeout: c.SMTP.Timeout}) { // only defaults: no smtp section
		k.failf(p("subscribers"), "subscribers are configured but no mail server is: add an smtp section with host, port, username, password and from")
		return
	}
	if c.SMTP.Host == "" {
		k.failf(p("smtp", "host"), "no mail server: set smtp.host to the submission server's name")
	}
	if c.SMTP.TLS == "none" && c.SMTP.Username != "" && !c.SMTP.AllowInsecureAuth {
		k.failf(p("smtp", "tls"), "none would send the password in the clear (AUTH PLAIN over plain TCP): use starttls or implicit, "+
			"or, for a relay on a network you trust, set smtp.allow_insecure_auth: true")
	}
	if _, err := mail.ParseAddress(c.SMTP.From); err != nil {
		k.failf(p("smtp", "from"), "%q is not a sender address: write it like \"Herald <news@example.org>\"", c.SMTP.From)
	}
	if time.Duration(c.SMTP.Timeout) < time.Second {
		k.failf(p("smtp", "timeout"), "%s is too short: use 1s or more (default 1m)", time.Duration(c.SMTP.Timeout))
	}
}

// checkDigest checks the digest settings.
func (k *checker) checkDigest() {
	c := k.c
	if c.Digest.MaxEvents < 1 || c.Digest.MaxEvents > 500 {
		k.failf(p("digest", "max_events"), "%d is out of range: use 1 to 500 (default 25)", c.Digest.MaxEvents)
	}
	if c.Digest.UpdateGrowth < 1 {
		k.failf(p("digest", "update_growth"), "%g is below 1: an event returns as an update once its sources grew this many times (default 2)", c.Digest.UpdateGrowth)
	}
	if c.Digest.Secret != "" && len(c.Digest.Secret) < 16 {
		k.failf(p("digest", "secret"), "the secret is too short: use 16 characters or more, e.g. ${HERALD_DIGEST_SECRET}, or leave it out and Herald makes one")
	}
}

func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func p(parts ...any) []any { return parts }

// keyName writes a path as topics[1].feeds[0].url.
func keyName(path []any) string {
	var b strings.Builder
	for _, part := range path {
		switch v := part.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", v)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

// lineOf finds the line of the deepest node on path that exists in the
// document, so a missing key points at its parent.
func lineOf(root *yaml.Node, path []any) int {
	n := root
	if n == nil || len(n.Content) == 0 {
		return 1
	}
	n = n.Content[0]
	line := n.Line
	for _, part := range path {
		next := child(n, part)
		if next == nil {
			break
		}
		n, line = next, next.Line
	}
	return line
}

func child(n *yaml.Node, part any) *yaml.Node {
	switch key := part.(type) {
	case int:
		if n.Kind == yaml.SequenceNode && key < len(n.Content) {
			return n.Content[key]
		}
	case string:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					return n.Content[i+1]
				}
			}
		}
	}
	return nil
}
