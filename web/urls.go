package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// base is the scheme and host absolute links start with: the configured
// public URL, else the request's own.
func (s *server) base(r *http.Request) string {
	if s.opt.PublicURL != "" {
		return strings.TrimRight(s.opt.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// splitExt splits "ev-1.html" into "ev-1" and "html".
func splitExt(file string) (name, ext string) {
	i := strings.LastIndexByte(file, '.')
	if i <= 0 {
		return file, ""
	}
	return file[:i], file[i+1:]
}

// webURL returns u when it is an absolute http(s) URL, else "": a feed's
// javascript: or data: link never becomes a link of ours.
func webURL(u string) string {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return p.String()
}

// Paths of Herald's own pages, without and with a format's extension.
func eventBase(id string) string      { return "/events/" + url.PathEscape(id) }
func eventPath(id, ext string) string { return eventBase(id) + "." + ext }
func storylineBase(id string) string  { return "/storylines/" + url.PathEscape(id) }
func storylinePath(id, ext string) string {
	return storylineBase(id) + "." + ext
}
func briefingPath(topic string, day time.Time, ext string) string {
	return briefingBase(topic, day) + "." + ext
}

func briefingBase(topic string, day time.Time) string {
	if topic == "" {
		return "/briefings/" + day.Format(dayLayout)
	}
	return "/topics/" + url.PathEscape(topic) + "/briefings/" + day.Format(dayLayout)
}

// tagID makes the stable tag: URI (RFC 4151) of one of Herald's things. It
// depends on nothing that can change: not the host, not a date of the event.
func tagID(kind, key string) string { return "tag:herald,2026:" + kind + "/" + key }

const dayLayout = "2006-01-02"

// day returns the UTC day holding t.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
