package feeds

import "testing"

// Hooks for the tests of package feeds_test, which use the store and so
// cannot live in package feeds.

// CorpusContentTypes maps each corpus file to the Content-Type it must be
// served with ("" for most).
func CorpusContentTypes(tb testing.TB) map[string]string {
	out := map[string]string{}
	for _, c := range readManifest(tb) {
		out[c.file] = c.contentType
	}
	return out
}

// CorpusDir is where the shared feed corpus lives.
const CorpusDir = corpusDir

// GofeedParses reports whether gofeed alone parses b.
var GofeedParses = gofeedParses
