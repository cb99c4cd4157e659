package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"herald/store/pgtest"
)

// TestMigrateStatusAndUp shows a new database's migrations as pending,
// applies them, then shows them applied.
func TestMigrateStatusAndUp(t *testing.T) {
	ctx := context.Background()
	cfg := writeConfig(t, "127.0.0.1:0")
	out, err := herald(t, ctx, "--config", cfg, "migrate", "status")
	if err != nil || !strings.Contains(out, "pending") || !strings.Contains(out, "0001_init.sql") {
		t.Fatalf("status of a new database: %v\n%s", err, out)
	}
	out, err = herald(t, ctx, "--config", cfg, "migrate", "up")
	if err != nil || !strings.Contains(out, "applied 0001") || !strings.Contains(out, "schema up to date") {
		t.Fatalf("up: %v\n%s", err, out)
	}
	out, err = herald(t, ctx, "--config", cfg, "migrate", "status")
	if err != nil || strings.Contains(out, "pending") || strings.Contains(out, "applied 0001") {
		t.Fatalf("status after up: %v\n%s", err, out)
	}
	if _, err := herald(t, ctx, "--config", cfg, "migrate", "down"); err == nil {
		t.Fatal("migrate down: want an error naming the actions")
	}
}

// TestCopySQLiteToPostgres moves a polled installation into PostgreSQL
// (into a second SQLite file when no PostgreSQL is given) and reads it
// back through the copy.
func TestCopySQLiteToPostgres(t *testing.T) {
	ctx := context.Background()
	srv, _ := testFeed(t)
	cfg := writeConfig(t, "127.0.0.1:0", srv.URL+"/a.rss", srv.URL+"/b.rss")
	if out, err := herald(t, ctx, "--config", cfg, "poll"); err != nil {
		t.Fatalf("poll: %v\n%s", err, out)
	}
	dst := "sqlite:" + filepath.Join(t.TempDir(), "copy.db")
	if pgtest.Enabled() {
		dst = pgtest.Schema(t)
	} else {
		t.Log(pgtest.SkipMessage + "; copying into SQLite instead")
	}
	src := "sqlite:" + filepath.Join(filepath.Dir(cfg), "herald.db")
	out, err := herald(t, ctx, "copy", "--from", src, "--to", dst)
	if err != nil || !strings.Contains(out, "row counts verified") || !strings.Contains(out, "item_feeds") {
		t.Fatalf("copy: %v\n%s", err, out)
	}
	t.Log(out)
	raw, _ := os.ReadFile(cfg)
	copied := strings.Replace(string(raw), "storage: "+strings.TrimPrefix(src, "sqlite:"), "storage: "+dst, 1)
	cfg2 := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfg2, []byte(copied), 0o600)
	out, err = herald(t, ctx, "--config", cfg2, "feeds")
	if err != nil || strings.Count(out, " ok ") != 2 {
		t.Fatalf("feeds on the copy: %v\n%s", err, out)
	}
	if out, err := herald(t, ctx, "copy", "--from", src, "--to", dst); err == nil || !strings.Contains(err.Error(), "empty database") {
		t.Fatalf("second copy into the same database: %v\n%s", err, out)
	}
}
