package feeds

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

var testFetchedAt = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// encode returns s in enc, failing the test if it cannot be encoded.
func encode(t *testing.T, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const cafeRSS = `<rss version="2.0"><channel><title>Café “Zoë” €</title></channel></rss>`

func TestDecodeBodyEncodingPrecedence(t *testing.T) {
	latin1 := encode(t, charmap.Windows1252, cafeRSS)
	declLatin1 := func(body []byte) []byte {
		return append([]byte(`<?xml version="1.0" encoding="windows-1252"?>`), body...)
	}
	utf16le := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	utf16be := unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	tests := []struct {
		name        string
		body        []byte
		contentType string
		charset     string
		native      bool
	}{
		{"plain UTF-8", []byte(cafeRSS), "", "utf-8", false},
		{"UTF-8 BOM", append([]byte{0xEF, 0xBB, 0xBF}, cafeRSS...), "text/xml; charset=iso-8859-1", "utf-8", false},
		{"UTF-16 LE BOM beats HTTP charset", encode(t, utf16le, `<?xml version="1.0" encoding="utf-16"?>`+cafeRSS), "text/xml; charset=utf-8", "utf-16le", false},
		{"UTF-16 BE without BOM", encode(t, utf16be, `<?xml version="1.0" encoding="utf-16"?>`+cafeRSS), "", "utf-16be", false},
		{"UTF-32 LE BOM", encode(t, utf32.UTF32(utf32.LittleEndian, utf32.UseBOM), cafeRSS), "", "utf-32le", false},
		{"HTTP charset, no declaration", latin1, "text/xml; charset=windows-1252", "windows-1252", false},
		{"HTTP charset beats declaration", declLatin1(encode(t, charmap.ISO8859_5, "<rss><channel><title>Пример</title></channel></rss>")), "text/xml; charset=iso-8859-5", "iso-8859-5", false},
		{"declaration alone is left to encoding/xml", declLatin1(latin1), "", "windows-1252", true},
		{"declaration when HTTP says UTF-8 but bytes are not", declLatin1(latin1), "text/xml; charset=utf-8", "windows-1252", true},
		{"valid UTF-8 beats a legacy declaration", declLatin1([]byte(cafeRSS)), "", "utf-8", false},
		{"valid UTF-8 beats a legacy HTTP charset", []byte(cafeRSS), "text/xml; charset=iso-8859-1", "utf-8", false},
		{"unlabelled Latin-1 falls back to windows-1252", latin1, "", "windows-1252", false},
		{"unknown labels are skipped", latin1, "text/xml; charset=x-bogus", "windows-1252", false},
		{"quoted charset with spaces", latin1, `text/xml; charset = "windows-1252"`, "windows-1252", false},
		{"mostly UTF-8 with a stray byte stays UTF-8", append([]byte(cafeRSS), 0xE9), "", "utf-8", false},
		{"JSON ignores the HTTP charset", []byte(`{"title":"Café"}`), "application/json; charset=iso-8859-1", "utf-8", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decodeBody(tt.body, tt.contentType)
			if got.charset != tt.charset || got.native != tt.native {
				t.Errorf("charset %q native %v, want %q %v", got.charset, got.native, tt.charset, tt.native)
			}
		})
	}
}

// TestParseEncodingTitles parses each encoding case through Parse and checks
// that the non-ASCII title arrives intact (no "Ã©" mojibake).
func TestParseEncodingTitles(t *testing.T) {
	latin1 := encode(t, charmap.Windows1252, cafeRSS)
	want := "Café “Zoë” €"
	tests := []struct {
		name        string
		body        []byte
		contentType string
	}{
		{"UTF-8", []byte(cafeRSS), ""},
		{"UTF-16 LE with BOM", encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), `<?xml version="1.0" encoding="utf-16"?>`+cafeRSS), ""},
		{"UTF-16 BE without BOM", encode(t, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), `<?xml version="1.0"?>`+cafeRSS), ""},
		{"UTF-32 BE with BOM", encode(t, utf32.UTF32(utf32.BigEndian, utf32.UseBOM), cafeRSS), ""},
		{"windows-1252 from HTTP", latin1, "application/rss+xml; charset=windows-1252"},
		{"windows-1252 declared", append([]byte(`<?xml version="1.0" encoding="windows-1252"?>`), latin1...), ""},
		{"windows-1252 declared, HTTP says UTF-8", append([]byte(`<?xml version='1.0' encoding='windows-1252'?>`), latin1...), "text/xml; charset=UTF-8"},
		{"UTF-8 declared as ISO-8859-1", append([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?>`), cafeRSS...), ""},
		{"UTF-8 declared as us-ascii", append([]byte(`<?xml version="1.0" encoding="us-ascii"?>`), cafeRSS...), ""},
		{"UTF-8 served as us-ascii", []byte(cafeRSS), "text/xml; charset=us-ascii"},
		{"no label at all, Latin-1 bytes", latin1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Parse(tt.body, tt.contentType, Feed{URL: "https://example.com/feed"}, testFetchedAt)
			if err != nil {
				t.Fatal(err)
			}
			if doc.Title != want {
				t.Errorf("title %q, want %q", doc.Title, want)
			}
		})
	}
}

// TestParseCorpusEncodings checks decoded text in the corpus's charset cases,
// with the Content-Type the manifest gives for feedparser's http_* files.
func TestParseCorpusEncodings(t *testing.T) {
	tests := []struct {
		file string
		want string // in the title, an item title or an item text
	}{
		{"feedparser/encoding/http_text_xml_charset_2.xml", "This is a £“test.”"},
		{"feedparser/encoding/http_text_xml_charset_overrides_encoding_2.xml", "This is a £“test.”"},
		{"feedparser/encoding/http_i18n.xml", "Iñtërnâtiônàlizætiøn"},
		{"feedparser/encoding/euc-kr.xml", "년"},
		{"feedparser/encoding/utf-16le-bom.xml", ""},
		{"feedparser/encoding/utf-16be-autodetect.xml", ""},
		{"feedparser/encoding/utf-32le.xml", ""},
		{"feedparser/encoding/utf-8-bom.xml", ""},
		{"feedparser/encoding/http_application_atom_xml_gb2312_charset_overrides_encoding.xml", ""},
		{"miniflux/encoding/testdata/koi8r.xml", "Пример RSS ленты"},
		{"miniflux/encoding/testdata/windows-1252.xml", "Euro €"},
		{"miniflux/encoding/testdata/windows-1252-incorrect-prolog.xml", "Euro €"},
		{"miniflux/encoding/testdata/iso-8859-1.xml", "Café"},
		{"miniflux/encoding/testdata/utf8-incorrect-prolog.xml", "테스트 피드"},
		{"miniflux/encoding/testdata/invalid-prolog.xml", "Café"},
		{"miniflux/parser/testdata/encoding_WINDOWS-1251.xml", "Цитата #17703"},
		{"miniflux/parser/testdata/encoding_ISO-8859-1.xml", "wünschen"},
		{"miniflux/parser/testdata/no_encoding_ISO-8859-1.xml", "nombre d'études"},
		{"netnewswire/kc0011.rss", "投资资讯网"},
		{"rss-parser/encoding.rss", "Jornal de Notícias"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c := corpusFile(t, tt.file)
			doc, err := Parse(c.body, c.contentType, Feed{URL: "https://example.com/feed"}, testFetchedAt)
			if err != nil {
				t.Fatal(err)
			}
			all := doc.Title
			for _, it := range doc.Items {
				all += "\n" + it.Title + "\n" + it.Text
			}
			if !strings.Contains(all, tt.want) {
				t.Errorf("decoded text lacks %q:\n%s", tt.want, truncate(all, 300))
			}
			for _, bad := range []string{"Ã", "â€", "Â", "\uFFFD"} {
				if strings.Contains(all, bad) {
					t.Errorf("mojibake %q in:\n%s", bad, truncate(all, 300))
				}
			}
		})
	}
}

func TestSanitizeUTF8(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"tab\tnewline\ncr\r", "tab\tnewline\ncr\r"},
		{"bell\x07 nul\x00 esc\x1b", "bell nul esc"},
		{"bad \xff byte", "bad \uFFFD byte"},
		{"truncated \xe2\x82", "truncated \uFFFD\uFFFD"},
		{"nonchar \uFFFE\uFFFF", "nonchar "},
		{"fine € 𝄞", "fine € 𝄞"},
	}
	for _, tt := range tests {
		if got := string(sanitizeUTF8([]byte(tt.in))); got != tt.want {
			t.Errorf("sanitizeUTF8(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	clean := []byte("already clean")
	if got := sanitizeUTF8(clean); &got[0] != &clean[0] {
		t.Error("a clean body was copied")
	}
}

func TestStripForeignDecl(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<?xml version="1.0" encoding="utf-8"?><rss/>`, `<?xml version="1.0" encoding="utf-8"?><rss/>`},
		{`<?xml version="1.0"?><rss/>`, `<?xml version="1.0"?><rss/>`},
		{`<?xml version="1.0" encoding="ISO-8859-1"?><rss/>`, `<rss/>`},
		{`  <?xml version='1.0' encoding='us-ascii' ?><rss/>`, `<rss/>`},
		{`<?xml version="1.1"?><rss/>`, `<rss/>`},
		{"<!-- header -->\n<?xml version=\"1.0\" encoding=\"koi8-r\"?><rss/>", "<!-- header -->\n<rss/>"},
	}
	for _, tt := range tests {
		if got := string(stripForeignDecl([]byte(tt.in))); got != tt.want {
			t.Errorf("stripForeignDecl(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDropIllegalCharRefs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Page 1&#12;Page 2", "Page 1Page 2"},
		{"a&#x8;b&#X1f;c", "abc"},
		{"keep &#8217; &#xE9; &#10; &amp; &#", "keep &#8217; &#xE9; &#10; &amp; &#"},
		{"&#xFFFE;&#0;", ""},
	}
	for _, tt := range tests {
		if got := string(dropIllegalCharRefs([]byte(tt.in))); got != tt.want {
			t.Errorf("dropIllegalCharRefs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHTTPCharset(t *testing.T) {
	tests := map[string]string{
		"":                                      "",
		"text/xml":                              "",
		"text/xml; charset=UTF-8":               "UTF-8",
		"application/atom+xml;charset='gb2312'": "gb2312",
		`text/xml; charset = "us-ascii"`:        "us-ascii",
		"text/xml; qs=0.9":                      "",
		"text/xml; charset:iso-8859-1":          "",
	}
	for in, want := range tests {
		if got := httpCharset(in); got != want {
			t.Errorf("httpCharset(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseJSONFeedBOM(t *testing.T) {
	body := append([]byte{0xEF, 0xBB, 0xBF}, `{"version":"https://jsonfeed.org/version/1.1","title":"Café","items":[{"id":"1","title":"Zoë","url":"https://example.com/1"}]}`...)
	doc, err := Parse(body, "application/feed+json", Feed{}, testFetchedAt)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Title != "Café" || len(doc.Items) != 1 || doc.Items[0].Title != "Zoë" {
		t.Errorf("got title %q and items %+v", doc.Title, doc.Items)
	}
	if !bytes.Equal(body[:3], []byte{0xEF, 0xBB, 0xBF}) {
		t.Error("Parse modified its input")
	}
}
