package events

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// readFixture loads a JSON Lines file of testdata/.
func readFixture(t testing.TB, name string) []LabeledDoc {
	t.Helper()
	return readDocsFile(t, "testdata/"+name)
}

// readDocsFile reads a JSON Lines file of labeled docs.
func readDocsFile(t testing.TB, path string) []LabeledDoc {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	docs, err := ReadDocs(f)
	if err != nil {
		t.Fatal(err)
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

func goldPartition(docs []LabeledDoc) [][]string {
	as := make([]Assignment, len(docs))
	for i, d := range docs {
		as[i] = Assignment{DocID: d.ID, EventID: d.Event}
	}
	return partition(as)
}
