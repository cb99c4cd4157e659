package feeds

import (
	"net/url"
	"strings"
)

// A feed URL may carry credentials in its userinfo (https://user:token@host/feed):
// the health pages and the logs show feed URLs and errors that quote them,
// so both go through these first. The store keeps the URL as written.

// redacted stands for a feed URL's userinfo.
const redacted = "xxxxx"

// RedactURL returns rawURL with its userinfo, user name and password both
// (a token is often the user name), replaced by "xxxxx".
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return rawURL
	}
	u.User = url.User(redacted)
	return u.String()
}

// RedactText returns text, which may quote feedURL (an error message),
// with the URL's userinfo replaced wherever it appears: whole, with the
// password masked as Go's HTTP client writes it, or the user name alone.
func RedactText(text, feedURL string) string {
	u, err := url.Parse(feedURL)
	if err != nil || u.User == nil {
		return text
	}
	name := u.User.Username()
	pass, _ := u.User.Password()
	for _, info := range []string{u.User.String(), name + ":" + pass, name + ":***", url.User(name).String(), name} {
		if info != "" {
			text = strings.ReplaceAll(text, info+"@", redacted+"@")
		}
	}
	return text
}
