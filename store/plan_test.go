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
// find the partial event index.
func TestQueryPlans(t *testing.T) {
	s := openTest(t)
	cases := []struct {
		name, query string
		args        []any
		index       string
	}{
		{"backlog", unclusteredQuery, []any{2000}, "items_unclustered"},
		{"event sources", `SELECT id FROM items WHERE event_id IN (?, ?) ORDER BY published, id`, []any{"ev-a", "ev-b"}, "items_event"},
		{"event items", `SELECT id FROM items WHERE event_id = ?`, []any{"ev-a"}, "items_event"},
	}
	for _, c := range cases {
		plan := explain(t, s, c.query, c.args...)
		if !strings.Contains(plan, c.index) {
			t.Errorf("%s: the plan does not use %s:\n%s", c.name, c.index, plan)
		}
		if c.name == "backlog" && (strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort")) {
			t.Errorf("backlog: the plan sorts the backlog:\n%s", plan)
		}
	}
}

// explain returns the backend's plan for query as text. PostgreSQL is told
// not to scan whole tables, which it prefers on the test's empty ones.
func explain(t *testing.T, s *Store, query string, args ...any) string {
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
		if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		defer conn.ExecContext(ctx, "RESET enable_seqscan")
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
