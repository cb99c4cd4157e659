package feeds

import (
	"bytes"
)

// What a document says before its root element (the DOCTYPE, the root's
// name) and how deep it nests, read from the raw bytes before a parser
// sees them: entities are never expanded and depth is bounded.

// rootName returns the name of the document's root element, or "".
func rootName(b []byte) string {
	_, root := prolog(b)
	if root < 0 {
		return ""
	}
	rest := b[root+1:]
	end := bytes.IndexAny(rest, " \t\r\n/>")
	if end < 0 {
		end = len(rest)
	}
	return truncate(string(rest[:end]), 40)
}

// prolog finds the DOCTYPE declaration and the root element's '<' in b,
// skipping the XML declaration, comments and processing instructions.
// Each is -1 when absent.
func prolog(b []byte) (doctype, root int) {
	doctype = -1
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			break
		}
		i += j
		rest := b[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			i = indexPast(b, i, "-->")
		case bytes.HasPrefix(rest, []byte("<?")):
			i = indexPast(b, i, "?>")
		case len(rest) >= 9 && bytes.EqualFold(rest[:9], []byte("<!DOCTYPE")):
			doctype = i
			i += doctypeLen(rest)
		default:
			return doctype, i
		}
	}
	return doctype, -1
}

// indexPast returns the offset just after the first marker at or after from,
// or len(b).
func indexPast(b []byte, from int, marker string) int {
	k := bytes.Index(b[from:], []byte(marker))
	if k < 0 {
		return len(b)
	}
	return from + k + len(marker)
}

// stripDTD removes the DOCTYPE declaration, with its internal subset, from
// the prolog. encoding/xml does not expand entities declared there, but
// removing them keeps "billion laughs" harmless whatever the XML parser, as
// feedparser does; what is left of such entities is literal text.
func stripDTD(b []byte) []byte {
	start, _ := prolog(b)
	if start < 0 {
		return b
	}
	end := start + doctypeLen(b[start:])
	out := make([]byte, 0, len(b)-(end-start))
	return append(append(out, b[:start]...), b[end:]...)
}

// doctypeLen returns the length of the DOCTYPE declaration at the start of
// b: up to the first '>' outside quotes, comments and the [internal subset].
func doctypeLen(b []byte) int {
	var quote byte
	inSubset := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '<' && bytes.HasPrefix(b[i:], []byte("<!--")):
			i = indexPast(b, i, "-->") - 1
		case c == '"' || c == '\'':
			quote = c
		case c == '[':
			inSubset = true
		case c == ']':
			inSubset = false
		case c == '>' && !inSubset:
			return i + 1
		}
	}
	return len(b)
}

// tooDeep reports whether elements nest deeper than limit, so that hostile
// nesting is refused before gofeed spends memory on it. It approximates at
// the byte level: comments, CDATA, processing instructions and declarations
// are skipped and self-closing tags do not count.
func tooDeep(b []byte, limit int) bool {
	depth := 0
	scanTags(b, func(kind tagKind, _, _ int) bool {
		switch kind {
		case tagClose:
			depth = max(depth-1, 0)
		case tagOpen:
			depth++
		}
		return depth <= limit
	})
	return depth > limit
}

// tagKind is the kind of a tag scanTags meets.
type tagKind int

const (
	tagOpen  tagKind = iota // <name ...>
	tagClose                // </name>
	tagEmpty                // <name .../>
)

// scanTags calls fn with the kind and byte range of each start, end and
// self-closing tag of b, in order, until fn returns false. It reads bytes,
// not XML: comments, CDATA sections, processing instructions and
// declarations are skipped, and a tag cut off by the end of b is not
// reported.
func scanTags(b []byte, fn func(kind tagKind, start, end int) bool) {
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			return
		}
		start := i + j
		rest := b[start:]
		kind := tagOpen
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			i = indexPast(b, start, "-->")
			continue
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			i = indexPast(b, start, "]]>")
			continue
		case bytes.HasPrefix(rest, []byte("<?")):
			i = indexPast(b, start, "?>")
			continue
		case bytes.HasPrefix(rest, []byte("<!")):
			i = indexPast(b, start, ">")
			continue
		case bytes.HasPrefix(rest, []byte("</")):
			kind = tagClose
		}
		i = indexPast(b, start, ">")
		if b[i-1] != '>' {
			return // cut off
		}
		if kind == tagOpen && b[i-2] == '/' {
			kind = tagEmpty
		}
		if !fn(kind, start, i) {
			return
		}
	}
}
