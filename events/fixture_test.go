package events

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
)

// labeledDoc is a line of a labeled set: a doc and its gold event. The
// evaluation lab (events/eval) reads these sets with checks and error
// messages; the tests here, which cannot import it (it imports events),
// only need their fields, whose JSON keys match Doc's fields but for case.
type labeledDoc struct {
	Doc
	Event string
}

// readDocs reads a JSON Lines file of labeled docs.
func readDocs(r io.Reader) ([]labeledDoc, error) {
	var out []labeledDoc
	dec := json.NewDecoder(r)
	for {
		var d labeledDoc
		if err := dec.Decode(&d); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
}

// readFixture loads a JSON Lines file of testdata/.
func readFixture(t testing.TB, name string) []labeledDoc {
	t.Helper()
	return readDocsFile(t, "testdata/"+name)
}

// readDocsFile reads a JSON Lines file of labeled docs.
func readDocsFile(t testing.TB, path string) []labeledDoc {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	docs, err := readDocs(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return docs
}

// partition groups doc ids by predicted event, as sorted lists.
func partition(as []Assignment) [][]string {
	by := map[string][]string{}
	for _, a := range as {
		by[a.EventID] = append(by[a.EventID], a.DocID)
	}
	var out [][]string
	for _, ids := range by {
		slices.Sort(ids)
		out = append(out, ids)
	}
	slices.SortFunc(out, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	return out
}

func goldPartition(docs []labeledDoc) [][]string {
	as := make([]Assignment, len(docs))
	for i, d := range docs {
		as[i] = Assignment{DocID: d.ID, EventID: d.Event}
	}
	return partition(as)
}
