package config

import (
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"herald/digest"
)

// The checks of settings that parse but would silently disarm Herald or
// never take effect: an error when nothing sensible can come of them, a
// warning when they work but are likely a mistake.

// checkListen wants an IP address (or localhost) and a port that exists.
func (k *checker) checkListen() {
	host, port, err := net.SplitHostPort(k.c.HTTP.Listen)
	if err != nil {
		k.failf(p("http", "listen"), "%q is not host:port: write it like 127.0.0.1:8080", k.c.HTTP.Listen)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		k.failf(p("http", "listen"), "%q has no port Herald can listen on (0 to 65535): write it like 127.0.0.1:8080", k.c.HTTP.Listen)
	}
	if _, err := netip.ParseAddr(host); err != nil && host != "" && host != "localhost" {
		k.failf(p("http", "listen"), "%q is not an IP address to listen on: write it like 127.0.0.1:8080 (this machine only) or 0.0.0.0:8080 (every interface)", host)
	}
}

// checkStorage wants a SQLite file that can be created where it is named.
func (k *checker) checkStorage() {
	s := k.c.Storage
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		return
	}
	file := strings.TrimPrefix(s, "sqlite:")
	if fi, err := os.Stat(file); err == nil && fi.IsDir() {
		k.failf(p("storage"), "%s is a directory: name the database file in it, like %s", file, filepath.Join(file, "herald.db"))
		return
	}
	if dir := filepath.Dir(file); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			k.failf(p("storage"), "the directory %s does not exist: create it, or name a file in one that does, like herald.db", dir)
		}
	}
}

// checkAllowNetworks refuses what is not a network and warns about
// networks that open far more than the operator's own.
func (k *checker) checkAllowNetworks() {
	metadata := netip.MustParseAddr("169.254.169.254")
	for i, n := range k.c.Poll.AllowNetworks {
		at := p("poll", "allow_networks", i)
		pfx, err := parseNetwork(n)
		switch {
		case err != nil:
			k.failf(at, "%q is not a network: write a CIDR like 10.0.0.0/8 or an address like 127.0.0.1", n)
		case pfx.Bits() == 0:
			k.warnf(at, "%s allows every address, which turns off the refusal of internal addresses for feeds (a feed could read your router or the cloud metadata service): list the networks your feeds are on, like 192.168.1.0/24", n)
		case pfx.Addr().Is4() && pfx.Bits() < 8 || pfx.Addr().Is6() && pfx.Bits() < 7:
			k.warnf(at, "%s spans far more than a network of yours, which mostly turns off the refusal of internal addresses for feeds: list the networks your feeds are on, like 192.168.1.0/24", n)
		case pfx.Contains(metadata):
			k.warnf(at, "%s includes 169.254.169.254, the cloud metadata address that hands out credentials: narrow it to the addresses your feeds are on", n)
		}
	}
}

// checkTopicSchedule refuses a spec that never fires or that robfig/cron
// would quietly round up to every second, and warns about a topic polled
// more often than once a minute.
func (k *checker) checkTopicSchedule(i int, spec string) {
	at := p("topics", i, "schedule")
	sched, err := CronParser.Parse(spec)
	if err != nil {
		k.failf(at, "%q is not a cron schedule (%v): write it like \"*/30 * * * *\" or \"CRON_TZ=Europe/Berlin 0 7 * * *\"", spec, err)
		return
	}
	if every, ok := strings.CutPrefix(spec, "@every "); ok {
		d, _ := time.ParseDuration(strings.TrimSpace(every))
		if d < time.Second {
			k.failf(at, "%q is shorter than a second, which cron turns into every second: write the interval you mean, like @every 15m", spec)
		} else if d < time.Minute {
			k.warnf(at, "%q polls the topic's due feeds every %s; most publishers ask for minutes between fetches: use @every 5m or more", spec, d)
		}
		return
	}
	if sched.Next(time.Now()).IsZero() {
		k.failf(at, "%q never fires: its day and month fields name no real date (like 30 February); fix them", spec)
	}
}

// checkDigestSchedule refuses a digest schedule that is unreadable or never
// fires, and warns about one that mails more than once an hour.
func (k *checker) checkDigestSchedule(i int, sub Subscriber) {
	at := p("subscribers", i, "schedule")
	sched, err := digest.ParseSchedule(sub.Schedule, time.UTC)
	if err != nil {
		k.failf(at, "%q is not a digest schedule (%v): write it like \"0 7 * * *\"", sub.Schedule, err)
		return
	}
	first := sched.Next(time.Now())
	if first.IsZero() {
		k.failf(at, "%q never fires: its day and month fields name no real date (like 30 February); fix them", sub.Schedule)
		return
	}
	if gap := sched.Next(first).Sub(first); gap < time.Hour {
		k.warnf(at, "%q mails %s a digest every %s: use a daily schedule like \"0 7 * * *\" (or hourly, \"0 * * * *\")", sub.Schedule, sub.Email, gap)
	}
}

// feedURL writes a feed URL one way: scheme and host in lower case, the
// scheme's default port and the fragment dropped. Two spellings of one
// feed in config.yaml then make one feed, fetched once.
func feedURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if u.Scheme == "http" && port == "80" || u.Scheme == "https" && port == "443" {
		port = ""
	}
	switch {
	case port != "":
		u.Host = net.JoinHostPort(host, port)
	case strings.Contains(host, ":"):
		u.Host = "[" + host + "]"
	default:
		u.Host = host
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}
