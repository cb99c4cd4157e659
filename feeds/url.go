package feeds

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// maxURLLen bounds stored URLs: longer ones are hostile (multi-kilobyte
// data: or tracking URLs) and would bloat database indexes.
const maxURLLen = 2048

// trackingParams are query parameters that only say how a reader arrived at
// a page (besides every utm_* parameter). Dropping them makes the same
// article reached through different campaigns carry the same URL. The
// README lists them; poll.tracking_params adds to them.
var trackingParams = map[string]bool{
	// ad and social click ids
	"fbclid": true, "gclid": true, "dclid": true, "gbraid": true, "wbraid": true, "msclkid": true, "yclid": true,
	"twclid": true, "ttclid": true, "li_fat_id": true, "igshid": true, "srsltid": true,
	// mail campaigns: Mailchimp, HubSpot, Marketo, Vero
	"mc_cid": true, "mc_eid": true, "_hsenc": true, "_hsmi": true, "mkt_tok": true, "vero_id": true, "vero_conv": true,
	// analytics and news sites' campaign tags: AT Internet, Comscore, BBC, CNN, Adobe
	"at_medium": true, "at_campaign": true, "ito": true, "ns_campaign": true, "ns_mchannel": true, "ns_source": true,
	"ns_linkname": true, "ns_fee": true, "cmpid": true, "s_cid": true, "_ga": true, "_gl": true,
	"oly_anon_id": true, "oly_enc_id": true, "rb_clickid": true, "wickedid": true,
}

// TrackingParams lists the built-in tracking parameters, sorted, for the
// README and check-config.
func TrackingParams() []string {
	names := []string{"utm_*"}
	for n := range trackingParams {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// trackingSet is an operator's extra tracking parameters: exact names and
// prefixes (written "name*"), lower-cased. Nil holds none.
type trackingSet map[string]bool

func newTrackingSet(names []string) trackingSet {
	if len(names) == 0 {
		return nil
	}
	set := trackingSet{}
	for _, n := range names {
		set[strings.ToLower(strings.TrimSpace(n))] = true
	}
	return set
}

// has reports whether name (lower case) is one of the set's names or
// starts with one of its prefixes.
func (t trackingSet) has(name string) bool {
	if t[name] {
		return true
	}
	for n := range t {
		if prefix, ok := strings.CutSuffix(n, "*"); ok && strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

// feedSourceParams are parameters that are tracking only when their value
// names a feed (?ref=rss, ?source=feed): elsewhere ref and source can select
// real content (a git ref, a search source), so they are kept.
var feedSourceParams = map[string]bool{
	"ref": true, "source": true, "src": true, "from": true, "cmp": true, "ncid": true,
}

// feedSourceValue matches values like rss, rss2, atom, feed, feeds,
// feedburner, rss_newsletter, feed-main.
var feedSourceValue = regexp.MustCompile(`(?i)^(rss\d*|atom|feeds?|feedburner)([_-].*)?$`)

// CanonicalURL returns the form of an absolute http(s) URL used to compare
// and store links: lower-case scheme and host (IDNs in punycode), no default
// port, no user info, no fragment, no tracking parameters, remaining query
// parameters sorted by name. It returns "" for input that cannot identify a
// web page: relative, another scheme, unparsable, or longer than 2 KB.
func CanonicalURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return ""
	}
	return canonical(u, nil)
}

// resolveURL resolves ref against base (which may be nil) and canonicalizes
// the result, dropping extra tracking parameters too, so relative item
// links become absolute before any identity key is built from them.
func resolveURL(base *url.URL, ref string, extra trackingSet) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	return canonical(u, extra)
}

// parseBase returns the URL relative links are resolved against, or nil.
func parseBase(raw string) *url.URL {
	c := CanonicalURL(raw)
	if c == "" {
		return nil
	}
	u, err := url.Parse(c)
	if err != nil {
		return nil
	}
	return u
}

// canonical is CanonicalURL for a parsed URL, dropping extra's parameters too.
func canonical(u *url.URL, extra trackingSet) string {
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" || u.Host == "" || u.Opaque != "" {
		return ""
	}
	host := canonicalHost(u.Hostname(), u.Port(), scheme)
	if host == "" {
		return ""
	}
	path := removeDotSegments(u.EscapedPath())
	if path == "" {
		path = "/"
	}
	s := scheme + "://" + host + path
	if q := canonicalQuery(u.RawQuery, extra); q != "" {
		s += "?" + q
	}
	if len(s) > maxURLLen {
		return ""
	}
	return s
}

// removeDotSegments turns /a/./b/../c into /a/c, as resolving a reference
// would; url.Parse leaves such segments in absolute URLs.
func removeDotSegments(path string) string {
	if !strings.Contains(path, "/.") || strings.HasPrefix(path, "//") {
		return path
	}
	base := &url.URL{Scheme: "http", Host: "x"}
	ref, err := url.Parse(path)
	if err != nil {
		return path
	}
	return base.ResolveReference(ref).EscapedPath()
}

// canonicalHost lower-cases the host, converts an IDN to punycode, drops
// trailing dots and the scheme's default port.
func canonicalHost(host, port, scheme string) string {
	host = strings.TrimRight(strings.ToLower(host), ".")
	if host == "" {
		return ""
	}
	if strings.Contains(host, ":") {
		// An IPv6 literal, written in its canonical form. One with a zone
		// (fe80::1%eth0) names an interface of the machine that reads
		// it: it is no address for a feed.
		a, err := netip.ParseAddr(host)
		if err != nil || a.Zone() != "" {
			return ""
		}
		host = "[" + a.String() + "]"
	} else if ascii, err := idna.Lookup.ToASCII(host); err == nil {
		host = ascii
	}
	if strings.Trim(host, "abcdefghijklmnopqrstuvwxyz0123456789.-_") != "" && !strings.HasPrefix(host, "[") {
		return "" // not a host name (url.Parse allows escapes and more in one)
	}
	if port != "" && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443") {
		host += ":" + port
	}
	return host
}

// canonicalQuery drops tracking parameters and sorts the rest by name,
// keeping each parameter's original encoding and the order of repeated
// names (some sites read a=1&a=2 in order).
func canonicalQuery(raw string, extra trackingSet) string {
	if raw == "" {
		return ""
	}
	var kept []string
	for _, pair := range strings.FieldsFunc(raw, func(r rune) bool { return r == '&' || r == ';' }) {
		name, value, _ := strings.Cut(pair, "=")
		if isTrackingParam(name, value, extra) {
			continue
		}
		kept = append(kept, escapeQuery(pair))
	}
	sort.SliceStable(kept, func(i, j int) bool {
		return paramName(kept[i]) < paramName(kept[j])
	})
	return strings.Join(kept, "&")
}

// escapeQuery percent-encodes the bytes of a query pair that may not
// stand in a URL as they are: bytes that are not UTF-8 (url.Parse keeps
// them as they came, and PostgreSQL refuses such text), spaces, control
// characters and the few ASCII characters RFC 3986 excludes. A browser
// sends them encoded too, and the result reads back to itself.
func escapeQuery(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1, r <= ' ', r == 0x7f, strings.ContainsRune("\"<>\\^`{|}", r):
			fmt.Fprintf(&b, "%%%02X", s[i])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func paramName(pair string) string {
	name, _, _ := strings.Cut(pair, "=")
	return name
}

func isTrackingParam(name, value string, extra trackingSet) bool {
	if n, err := url.QueryUnescape(name); err == nil {
		name = n
	}
	name = strings.ToLower(name)
	if strings.HasPrefix(name, "utm_") || trackingParams[name] || extra.has(name) {
		return true
	}
	if feedSourceParams[name] {
		v, err := url.QueryUnescape(value)
		return err == nil && feedSourceValue.MatchString(v)
	}
	return false
}
