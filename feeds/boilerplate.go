package feeds

import (
	"regexp"
	"strings"
	"unicode"
)

// boilerplateLine matches whole lines that are publisher furniture rather
// than story: subscription and share prompts, "read more" links, WordPress's
// "The post X appeared first on Y", photo credits.
var boilerplateLine = regexp.MustCompile(`(?i)^(?:` + strings.Join([]string{
	`subscribe (?:to|for|now|today|here)\b.*`,
	`sign up (?:for|to)\b.*\bnewsletters?\b.*`,
	`.*\bclick (?:on )?(?:the|this) link below\b.*`,
	`the post .+ appeared first on .+`,
	`(?:continue|keep) reading\b.*`,
	`read (?:more|the (?:full|rest of the) (?:story|article|post))\b.*`,
	`(?:photo|image|picture|photograph|illustration)s?(?: credits?)?\s*(?::|by\b|©).*`,
	`image credits?\b.*`,
	`share (?:this|on|via)\b.*`,
	`follow us on\b.*`,
	`(?:(?:share|tweet|email|print|facebook|twitter|x|linkedin|whatsapp|reddit|pinterest|copy link)[\s|•·,/]*)+`,
}, "|") + `)$`)

// creditLine matches lines that end with an agency credit. It is apart
// from boilerplateLine because its bounded repeat makes that regexp several
// times slower on every line, and only lines ending in ')' can match it.
var creditLine = regexp.MustCompile(`(?i)^.{0,160}\((?:getty images|ap photo[^)]*|reuters|afp[^)]*|shutterstock|ap|epa)\)\.?$`)

// readMoreLinks are link texts that end a teaser paragraph.
var readMoreLinks = []string{"continue reading", "read more", "keep reading"}

// trimReadMore removes a "Continue reading…" link from the end of a line.
// (A regexp anchored at the end scans the whole line from every position.)
func trimReadMore(line string) string {
	rest := strings.TrimRightFunc(line, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(".…→»>", r)
	})
	tail := strings.ToLower(rest[max(0, len(rest)-len("continue reading")):])
	for _, link := range readMoreLinks {
		if strings.HasSuffix(tail, link) {
			return strings.TrimSpace(rest[:len(rest)-len(link)])
		}
	}
	return line
}

// boilerplateStarts are the words a line must start with (any case) for
// boilerplateLine to match it, except its "click the link below" pattern.
// Checking them first is cheaper than the regexp, and than searching the
// whole line for a hint word: most lines start with none of them.
var boilerplateStarts = []string{
	"subscribe ", "sign up ", "the post ", "continue reading", "keep reading", "read ", "photo", "image",
	"picture", "illustration", "share", "follow us on", "tweet", "email", "print", "facebook", "twitter",
	"x", "linkedin", "whatsapp", "reddit", "pinterest", "copy link",
}

func isBoilerplate(line string) bool {
	if len(line) >= maxBoilerplateLine {
		return false
	}
	if startsLikeBoilerplate(line) || containsFold(line, "link below") {
		return boilerplateLine.MatchString(line)
	}
	return (strings.HasSuffix(line, ")") || strings.HasSuffix(line, ").")) && creditLine.MatchString(line)
}

// startsLikeBoilerplate reports whether line starts with one of
// boilerplateStarts, ignoring ASCII case.
func startsLikeBoilerplate(line string) bool {
	for _, w := range boilerplateStarts {
		if len(line) >= len(w) && line[0]|0x20 == w[0] && strings.EqualFold(line[:len(w)], w) {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains the lower-case ASCII word,
// ignoring case.
func containsFold(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		if s[i]|0x20 == word[0] && strings.EqualFold(s[i:i+len(word)], word) {
			return true
		}
	}
	return false
}

// maxBoilerplateLine keeps long paragraphs that merely start like a prompt.
const maxBoilerplateLine = 300

// dropBoilerplate removes boilerplate lines and trailing read-more links.
func dropBoilerplate(lines []string) []string {
	kept := lines[:0:0]
	for _, line := range lines {
		if isBoilerplate(line) {
			continue
		}
		if line = trimReadMore(line); line != "" {
			kept = append(kept, line)
		}
	}
	return kept
}

// ellipses are how feeds mark a summary cut from the full text.
var ellipses = []string{"[…]", "[...]", "…", "..."}

func trimEllipsis(s string) string {
	s = strings.TrimSpace(s)
	for _, e := range ellipses {
		if strings.HasSuffix(s, e) {
			return strings.TrimSpace(strings.TrimSuffix(s, e))
		}
	}
	return s
}
