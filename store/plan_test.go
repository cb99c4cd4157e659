package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestQueryPlans checks on each backend that the deduplicator's backlog is
// read in order from its own index (a sort over the backlog made every batch
// cost as much as the whole backlog) and that the queries by event still
// find the partial event index, and that a clusterer snapshot's parts are
// read in order from their primary key.
func TestQueryPlans(t *testing.T) {
	s := openTest(t)
	// Each backend names a primary key's index its own way.
	partsKey := map[string]string{"sqlite": "sqlite_autoindex_clusterer_snapshot_parts_1",
		"postgres": "clusterer_snapshot_parts_pkey"}[s.dialect.name]
	var placeArgs []any
	for i := range batch {
		placeArgs = append(placeArgs, i+1, "ev-a", nil, i+1, "lead")
	}
	type planCase struct {
		name, query string
		args        []any
		index       string
		ordered     bool // read in order from the index, never sorted
	}
	cases := []planCase{
		{"backlog", unclusteredQuery, []any{2000}, "items_unclustered", true},
		{"restore", placedQuery, []any{0, 0, 2000}, "items_cluster_seq", true},
		{"window end", latestPlacedQuery, nil, "items_placed_published", false},
		{"event sources", `SELECT id FROM items WHERE event_id IN (?, ?) ORDER BY published, id`, []any{"ev-a", "ev-b"}, "items_event", false},
		{"event items", `SELECT id FROM items WHERE event_id = ?`, []any{"ev-a"}, "items_event", false},
		{"snapshot parts", snapshotPartsQuery, []any{1, 0, partsPerRead}, partsKey, true},
		{"storyline fold", `UPDATE storyline_aliases SET new_id = ? WHERE new_id = ?`, []any{"sl-a", "sl-b"}, "storyline_aliases_new", false},
	}
	if s.dialect.name == "sqlite" { // PostgreSQL places one item a statement (placeItems)
		cases = append(cases, planCase{"place items", qPlaceItems, placeArgs, "USING INTEGER PRIMARY KEY", false}) // a lookup per listed item, never a scan
	}
	for _, c := range cases {
		plan := explain(t, s, c.ordered, c.query, c.args...)
		if !strings.Contains(plan, c.index) {
			t.Errorf("%s: the plan does not use %s:\n%s", c.name, c.index, plan)
		}
		if c.ordered && (strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort")) {
			t.Errorf("%s: the plan sorts:\n%s", c.name, plan)
		}
	}
}

// explain returns the backend's plan for query as text. PostgreSQL plans by
// statistics, and on the test's empty tables it would rather scan
// everything; it is told to avoid that, and for an ordered query to avoid
// sorting, so that its plan shows whether an index serves the query (in
// order) as it does with real tables.
func explain(t *testing.T, s *Store, ordered bool, query string, args ...any) string {
	t.Helper()
	ctx := context.Background()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	prefix := "EXPLAIN QUERY PLAN "
	if s.dialect.name != "sqlite" {
		prefix = "EXPLAIN "
		knobs := []string{"enable_seqscan", "enable_bitmapscan"}
		if ordered {
			knobs = append(knobs, "enable_sort")
		}
		for _, knob := range knobs {
			if _, err := conn.ExecContext(ctx, "SET "+knob+" = off"); err != nil {
				t.Fatal(err)
			}
			defer conn.ExecContext(ctx, "RESET "+knob)
		}
	}
	rows, err := conn.QueryContext(ctx, prefix+s.q(query), args...)
	if err != nil {
		t.Fatalf("explain %q: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, vals[len(vals)-1])
	}
	return b.String()
}
