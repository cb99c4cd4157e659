package feeds

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// Feeds arrive in many encodings and often lie about them. decodeBody picks
// one encoding with this precedence and decodes exactly once:
//
//  1. a byte order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE), or the UTF-16/32
//     pattern of "<?" without a BOM (XML 1.0 appendix F);
//  2. a body that is valid UTF-8 and contains non-ASCII bytes is UTF-8,
//     whatever the labels say: legacy text almost never forms valid UTF-8
//     multi-byte sequences, while servers and templates often mislabel UTF-8;
//  3. the HTTP Content-Type charset;
//  4. the XML declaration's encoding=;
//  5. UTF-8, or windows-1252 when most non-ASCII bytes are not valid UTF-8
//     (unlabelled Latin-1 text).
//
// A label that cannot be right is skipped: UTF-8 or ASCII for a body that is
// not valid UTF-8, UTF-16/32 for a body without their byte pattern, and
// labels x/net/html/charset does not know.
//
// When the XML declaration wins and names a legacy encoding, the body is
// passed through untouched and encoding/xml decodes it (gofeed installs a
// charset reader). In every other case the body is transcoded to UTF-8 here
// and any non-UTF-8 declaration is removed, so the XML decoder cannot decode
// it a second time.

// decoded is a body ready for the XML or JSON decoder.
type decoded struct {
	body    []byte
	charset string // the encoding chosen, e.g. "utf-8", "windows-1252"
	// native is true when the body is left in a legacy encoding that its
	// XML declaration names, for encoding/xml to decode.
	native bool
}

// maxDeclSearch bounds the search for an XML declaration: it belongs at the
// start, after at most a BOM, whitespace or a stray comment.
const maxDeclSearch = 1024

var (
	xmlDeclRe  = regexp.MustCompile(`<\?xml\s[^>]*?\?>`)
	declEncRe  = regexp.MustCompile(`encoding\s*=\s*["']\s*([A-Za-z0-9._:-]+)`)
	declVersRe = regexp.MustCompile(`version\s*=\s*["']\s*([0-9.]+)`)
)

type bom struct {
	prefix []byte
	name   string
	enc    encoding.Encoding // nil for UTF-8
	// pattern is true for the appendix F patterns: no mark, the bytes are
	// the document's first characters and stay.
	pattern bool
}

// boms are checked in order: the UTF-32 LE mark starts with the UTF-16 LE one.
var boms = []bom{
	{[]byte{0x00, 0x00, 0xFE, 0xFF}, "utf-32be", utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), false},
	{[]byte{0xFF, 0xFE, 0x00, 0x00}, "utf-32le", utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), false},
	{[]byte{0xEF, 0xBB, 0xBF}, "utf-8", nil, false},
	{[]byte{0xFE, 0xFF}, "utf-16be", unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), false},
	{[]byte{0xFF, 0xFE}, "utf-16le", unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), false},
	{[]byte{0x00, 0x00, 0x00, '<'}, "utf-32be", utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), true},
	{[]byte{'<', 0x00, 0x00, 0x00}, "utf-32le", utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), true},
	{[]byte{0x00, '<', 0x00}, "utf-16be", unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), true},
	{[]byte{'<', 0x00}, "utf-16le", unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), true},
}

// decodeBody returns body as UTF-8 (or, see decoded.native, in the legacy
// encoding its declaration names), following the precedence above. A JSON
// body is always UTF-8: only a BOM is honoured.
func decodeBody(body []byte, contentType string) decoded {
	for _, b := range boms {
		if bytes.HasPrefix(body, b.prefix) {
			if !b.pattern {
				body = body[len(b.prefix):]
			}
			return toUTF8(body, b.name, b.enc)
		}
	}
	valid := utf8.Valid(body)
	if isJSON(body) || valid && hasNonASCII(body) {
		return finishUTF8(body, "utf-8")
	}
	if enc, name := usableLabel(httpCharset(contentType), body); enc != nil {
		return toUTF8(body, name, enc)
	}
	if enc, name := usableLabel(declaredEncoding(body), body); enc != nil {
		// The declaration is the best label: encoding/xml decodes it itself.
		return decoded{body: body, charset: name, native: true}
	}
	if valid || mostlyUTF8(body) {
		return finishUTF8(body, "utf-8")
	}
	enc, _ := charset.Lookup("windows-1252")
	return toUTF8(body, "windows-1252", enc)
}

// isJSON reports whether the first character that is not white space is '{'.
func isJSON(body []byte) bool {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '{'
}

// usableLabel resolves a charset label, returning nil for labels that are
// unknown or that the bytes contradict. ASCII-only bodies need no decoding
// unless the label is a 7-bit stateful encoding such as ISO-2022-JP.
func usableLabel(label string, body []byte) (encoding.Encoding, string) {
	if label == "" || isUTF8Label(label) {
		return nil, ""
	}
	enc, name := charset.Lookup(label)
	if enc == nil || strings.HasPrefix(name, "utf-16") || name == "utf-8" || name == "replacement" {
		return nil, ""
	}
	if !hasNonASCII(body) && !strings.HasPrefix(name, "iso-2022") {
		return nil, ""
	}
	return enc, name
}

// isUTF8Label reports labels that mean UTF-8 for our purposes: ASCII is a
// subset of UTF-8 (WHATWG maps "us-ascii" to windows-1252, which would turn
// valid UTF-8 into mojibake).
func isUTF8Label(label string) bool {
	switch strings.ToLower(label) {
	case "utf-8", "utf8", "unicode-1-1-utf-8", "us-ascii", "ascii", "iso-646-us", "ansi_x3.4-1968":
		return true
	}
	return false
}

// toUTF8 transcodes body from enc (nil means it is already UTF-8).
func toUTF8(body []byte, name string, enc encoding.Encoding) decoded {
	if enc == nil {
		return finishUTF8(body, name)
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil { // decoders replace bad input; an error means a broken transformer
		out = body
	}
	return finishUTF8(out, name)
}

// finishUTF8 removes a declaration that would make the XML decoder decode
// again, then repairs invalid UTF-8 and XML-illegal characters.
func finishUTF8(body []byte, name string) decoded {
	if !isJSON(body) {
		body = stripForeignDecl(body)
	}
	return decoded{body: sanitizeUTF8(body), charset: name}
}

// httpCharset returns the charset parameter of a Content-Type header,
// tolerating quotes and spaces around '=' that servers send.
func httpCharset(contentType string) string {
	for _, param := range strings.Split(contentType, ";")[1:] {
		key, value, ok := strings.Cut(param, "=")
		if ok && strings.EqualFold(strings.TrimSpace(key), "charset") {
			return strings.Trim(value, ` "'`)
		}
	}
	return ""
}

// findDecl locates an XML declaration near the start of body.
func findDecl(body []byte) (start, end int, ok bool) {
	head := body[:min(len(body), maxDeclSearch)]
	loc := xmlDeclRe.FindIndex(head)
	if loc == nil {
		return 0, 0, false
	}
	return loc[0], loc[1], true
}

// declaredEncoding returns the encoding named by the XML declaration.
func declaredEncoding(body []byte) string {
	start, end, ok := findDecl(body)
	if !ok {
		return ""
	}
	if m := declEncRe.FindSubmatch(body[start:end]); m != nil {
		return string(m[1])
	}
	return ""
}

// stripForeignDecl removes an XML declaration that would make encoding/xml
// decode the (by now UTF-8) body again: it hands every encoding but "utf-8"
// to its charset reader. A version other than 1.0, which it refuses, goes too.
func stripForeignDecl(body []byte) []byte {
	start, end, ok := findDecl(body)
	if !ok {
		return body
	}
	decl := body[start:end]
	enc := declEncRe.FindSubmatch(decl)
	vers := declVersRe.FindSubmatch(decl)
	if (enc == nil || strings.EqualFold(string(enc[1]), "utf-8")) && (vers == nil || string(vers[1]) == "1.0") {
		return body
	}
	if len(bytes.TrimSpace(body[:start])) == 0 {
		return body[end:] // the common case: no copy
	}
	out := make([]byte, 0, len(body)-(end-start))
	return append(append(out, body[:start]...), body[end:]...)
}

// sanitizeUTF8 replaces invalid UTF-8 with U+FFFD and drops characters XML
// 1.0 forbids (C0 controls but tab, LF and CR; U+FFFE; U+FFFF), which would
// otherwise make encoding/xml reject the whole feed for one bad byte. It
// returns body itself when nothing needs fixing.
func sanitizeUTF8(body []byte) []byte {
	bad := firstBad(body)
	if bad < 0 {
		return body
	}
	out := make([]byte, bad, len(body))
	copy(out, body[:bad])
	for i := bad; i < len(body); {
		r, size := utf8.DecodeRune(body[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			out = utf8.AppendRune(out, utf8.RuneError)
		case isXMLChar(r):
			out = append(out, body[i:i+size]...)
		}
		i += max(size, 1)
	}
	return out
}

// firstBad returns the offset of the first byte sanitizeUTF8 must change,
// or -1.
func firstBad(body []byte) int {
	for i := 0; i < len(body); {
		c := body[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && size == 1 || !isXMLChar(r) {
			return i
		}
		i += size
	}
	return -1
}

func isXMLChar(r rune) bool {
	return r == '\t' || r == '\n' || r == '\r' ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

func hasNonASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// mostlyUTF8 reports whether valid multi-byte UTF-8 sequences outnumber
// invalid bytes: then body is UTF-8 with some damage. Latin-1 text forms a
// valid sequence now and then ("é »" is E9 A0 BB), so one is not enough.
func mostlyUTF8(body []byte) bool {
	valid, invalid := 0, 0
	for i := 0; i < len(body); {
		if body[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && size == 1 {
			invalid++
		} else {
			valid++
		}
		i += size
	}
	return valid > invalid
}

// dropIllegalCharRefs removes character references to characters XML
// forbids (&#12;, &#x8;), which encoding/xml rejects even in non-strict
// mode, failing the whole feed. It returns b itself when there are none.
func dropIllegalCharRefs(b []byte) []byte {
	var out []byte
	last, dropped := 0, false
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("&#"))
		if j < 0 {
			break
		}
		i += j
		n, ok := charRefLen(b[i:])
		if !ok {
			i += 2
			continue
		}
		out = append(out, b[last:i]...)
		i += n
		last, dropped = i, true
	}
	if !dropped {
		return b
	}
	return append(out, b[last:]...)
}

// charRefLen returns the length of the character reference at the start of
// b and whether it names a character XML forbids.
func charRefLen(b []byte) (int, bool) {
	end := bytes.IndexByte(b[:min(len(b), 12)], ';')
	if end < 3 {
		return 0, false
	}
	digits, base := string(b[2:end]), 10
	if digits[0] == 'x' || digits[0] == 'X' {
		digits, base = digits[1:], 16
	}
	n, err := strconv.ParseUint(digits, base, 32)
	if err != nil {
		return 0, false
	}
	return end + 1, !isXMLChar(rune(n))
}
