package events

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
)

// word is one token of a text as written, with what the entity finder
// and the boilerplate learner need to know about its surroundings.
type word struct {
	raw        string // as written, punctuation stripped ("Johnson", "U.S")
	lower      string // lower-cased; the unit of stemming and stop-word tests
	sentStart  bool   // first word of a sentence (its capital says nothing)
	breakTo    bool   // punctuation precedes it: names do not run across
	hardBreak  bool   // a separator precedes it (":", "|", " - "): a new segment
	possessive bool   // written with "'s": a name ends here ("CNN's Jake Tapper")
	start, end int    // byte offsets in the text
	hash       uint64 // hashString(lower), computed once: the word cache and the boilerplate learner key on it
}

// splitWords cuts text into words. Letters and digits make words; an
// apostrophe or a digit separator inside a word is kept ("don't",
// "12,000"), so that numbers and contractions stay whole. URLs and e-mail
// addresses are dropped: they carry no wording, only noise.
func splitWords(text string) []word { return appendWords(nil, text, len(text)) }

// appendWords is splitWords stopping after max words (a doc's full text
// can run to thousands of words, of which only the lead is read), writing
// into out[:0], so that a caller splitting one text after another reuses
// one buffer.
func appendWords(out []word, text string, max int) []word {
	sc := scanner{sentStart: true, out: out[:0]}
	for i := 0; i < len(text) && len(sc.out) < max; {
		r, n := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			i += n
			continue
		}
		j := i
		for j < len(text) {
			r, n := utf8.DecodeRuneInString(text[j:])
			if unicode.IsSpace(r) {
				break
			}
			j += n
		}
		if isURL(text[i:j]) {
			sc.brk, sc.hard = true, true
		} else {
			sc.chunk(text[i:j], i)
		}
		i = j
	}
	if len(sc.out) > max {
		sc.out = sc.out[:max]
	}
	return sc.out
}

// scanner carries the pending punctuation state from chunk to chunk.
type scanner struct {
	out                  []word
	sentStart, brk, hard bool
}

// chunk splits one whitespace-free chunk into words.
func (sc *scanner) chunk(chunk string, offset int) {
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		from := start
		raw := trimMarks(chunk[from:end])
		start = -1
		if raw == "" {
			return
		}
		w := newWord(raw, sc.sentStart, sc.brk, sc.hard)
		w.start, w.end = offset+from, offset+end
		sc.out = append(sc.out, w)
		sc.sentStart, sc.brk, sc.hard = false, false, false
	}
	for i, r := range chunk {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			if start < 0 {
				start = i
			}
		case start >= 0 && isInnerMark(chunk, i, r):
			// keep: apostrophe, digit separator or abbreviation dot
		default:
			flush(i)
			sc.punct(r, chunk)
		}
	}
	flush(len(chunk))
	if last, _ := utf8.DecodeLastRuneInString(chunk); last == '.' || last == '!' || last == '?' {
		sc.sentStart = true
	}
}

func (sc *scanner) punct(r rune, chunk string) {
	switch r {
	case '.', '!', '?', '…':
		sc.sentStart, sc.brk = true, true
	case ':', '|', '–', '—', '•':
		sc.brk, sc.hard = true, true
	case '-':
		sc.brk = true
		sc.hard = sc.hard || chunk == "-" || chunk == "--"
	case ',', ';', '(', ')', '"', '“', '”', '[', ']', '#':
		sc.brk = true
	}
}

// isInnerMark reports whether the punctuation r at byte i of chunk sits
// inside a word: "don't", "12,000", "4.8", "U.S.".
func isInnerMark(chunk string, i int, r rune) bool {
	if r != '\'' && r != '’' && r != ',' && r != '.' {
		return false // and an invalid byte (utf8.RuneError) is one byte wide, not RuneLen's three
	}
	prev, _ := utf8.DecodeLastRuneInString(chunk[:i])
	next, _ := utf8.DecodeRuneInString(chunk[i+utf8.RuneLen(r):])
	switch r {
	case '\'', '’':
		return unicode.IsLetter(prev) && unicode.IsLetter(next)
	case ',':
		return unicode.IsDigit(prev) && unicode.IsDigit(next)
	case '.':
		return unicode.IsDigit(prev) && unicode.IsDigit(next) ||
			unicode.IsUpper(prev) && unicode.IsUpper(next) && isInitial(chunk, i)
	}
	return false
}

// isInitial reports whether the dot at byte i follows a single capital,
// as in "U.S." or "U.F.O."; "No.10" is not an abbreviation of that kind.
func isInitial(chunk string, i int) bool {
	_, n := utf8.DecodeLastRuneInString(chunk[:i])
	if i-n == 0 {
		return true
	}
	before, _ := utf8.DecodeLastRuneInString(chunk[:i-n])
	return before == '.' || !unicode.IsLetter(before)
}

func newWord(raw string, sentStart, brk, hard bool) word {
	poss := false
	for _, suffix := range []string{"'s", "’s", "'S", "’S"} {
		if len(raw) > len(suffix) && strings.HasSuffix(raw, suffix) {
			raw, poss = raw[:len(raw)-len(suffix)], true
		}
	}
	lower := strings.ToLower(raw)
	if hasMarks(lower) {
		lower = cleanMarks(lower)
	}
	return word{raw: raw, lower: lower, sentStart: sentStart, breakTo: brk, hardBreak: hard, possessive: poss, hash: hashString(lower)}
}

// trimMarks trims apostrophes (straight or curly) and dots off both ends:
// strings.Trim with that cutset, on the hot path without its general
// machinery for cutsets beyond ASCII.
func trimMarks(s string) string {
	for len(s) > 0 {
		if s[0] == '\'' || s[0] == '.' {
			s = s[1:]
		} else if strings.HasPrefix(s, "’") {
			s = s[len("’"):]
		} else {
			break
		}
	}
	for len(s) > 0 {
		if c := s[len(s)-1]; c == '\'' || c == '.' {
			s = s[:len(s)-1]
		} else if strings.HasSuffix(s, "’") {
			s = s[:len(s)-len("’")]
		} else {
			break
		}
	}
	return s
}

// hasMarks reports whether w holds a mark cleanMarks handles: a dot, a
// comma or a curly apostrophe.
func hasMarks(w string) bool {
	for i := 0; i < len(w); i++ {
		switch w[i] {
		case '.', ',':
			return true
		case "’"[0]:
			if strings.HasPrefix(w[i:], "’") {
				return true
			}
		}
	}
	return false
}

// cleanMarks drops the marks kept inside words: "u.s" is "us", "12,000"
// is "12000", a curly apostrophe is a straight one; "4.8" stays a decimal.
func cleanMarks(w string) string {
	var b strings.Builder
	for i, r := range w {
		switch r {
		case ',':
			continue
		case '.':
			if i == 0 || !isDigitByte(w[i-1]) || i+1 >= len(w) || !isDigitByte(w[i+1]) {
				continue
			}
		case '’':
			r = '\''
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isDigitByte(b byte) bool { return '0' <= b && b <= '9' }

// isURL spots links and handles that feeds paste into descriptions.
func isURL(chunk string) bool {
	if strings.IndexByte(chunk, '@') >= 0 || strings.Contains(chunk, "://") {
		return true
	}
	if len(chunk) >= 4 && strings.EqualFold(chunk[:4], "www.") {
		return true
	}
	slash := strings.IndexByte(chunk, '/')
	if slash < 0 {
		return false
	}
	host := strings.ToLower(chunk[:slash])
	return strings.HasSuffix(host, ".com") || strings.HasSuffix(host, ".ly") || strings.HasSuffix(host, ".io")
}

// stem maps a lower-cased word to the term it counts as. English words
// are Snowball-stemmed; anything else (Tagalog, other scripts) is kept as
// written, which is the plain-token fallback for untuned languages.
func stem(lower string, english bool) string {
	if !english || !isASCIIWord(lower) {
		return lower
	}
	return englishStem(lower)
}

func englishStem(w string) string {
	if strings.IndexByte(w, '\'') >= 0 {
		return w
	}
	return english.Stem(w, true)
}

func isASCIIWord(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// isEnglish reports whether a doc's language tag asks for English
// processing. An empty tag counts as English, the tuned case.
func isEnglish(lang string) bool {
	lang = strings.ToLower(lang)
	return lang == "" || lang == "en" || strings.HasPrefix(lang, "en-") || strings.HasPrefix(lang, "en_")
}

// isStop reports words too common to tell stories apart. The list is
// English plus the commonest Tagalog function words, which real feeds mix
// into English headlines; other languages rely on IDF alone.
func isStop(lower string) bool {
	if len(lower) <= 1 {
		return true
	}
	if isCalendar(lower) {
		return true
	}
	_, ok := stopWords[lower]
	return ok || english.IsStopWord(lower)
}

// isCalendar: days, months and years say when, not what; time is weighed
// apart (see match.go), and a daily show's "April 27, 2020" under every
// title must not make its items alike.
func isCalendar(lower string) bool {
	if _, ok := calendar[lower]; ok {
		return true
	}
	return len(lower) == 4 && (lower[:2] == "19" || lower[:2] == "20") && isDigitByte(lower[2]) && isDigitByte(lower[3])
}

var stopWords = setOf(
	// English beyond Snowball's list: reporting verbs and hedges.
	"says", "said", "say", "saying", "told", "tells", "would", "could", "also",
	"may", "might", "must", "shall", "can't", "won't", "don't", "isn't", "it's",
	"amid", "via", "per", "get", "gets", "got", "one", "two", "us", "like",
	"just", "still", "yet", "ever", "even", "much", "many", "make", "makes",
	"watch", "video", "live", "update", "updates", "latest", "news", "here's",
	"what's", "who's", "there's", "we're", "they're", "i'm", "you're", "let",
	// Tagalog function words.
	"ang", "ng", "sa", "na", "mga", "si", "ni", "kay", "ay", "at", "po", "ko",
	"mo", "niya", "nila", "ito", "iyan", "yan", "para", "nang", "pa", "din",
	"rin", "lang", "raw", "daw", "umano", "ba", "kung", "pero", "dahil", "mula",
	"kanyang", "kaniyang", "kanilang", "hindi", "wala", "siya", "sila", "kami",
	"tayo", "namin", "natin", "ating", "aming", "nasa", "kaya", "pag", "ung",
)

func setOf(words ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(words))
	for _, w := range words {
		m[w] = struct{}{}
	}
	return m
}
