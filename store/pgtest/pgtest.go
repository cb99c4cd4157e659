// Package pgtest gives tests their own empty PostgreSQL schema on the
// server named by $HERALD_TEST_POSTGRES (scripts/pg-test-env starts one).
// Tests only: without the variable the PostgreSQL half of a suite skips,
// except in CI (CI=true), where that is a failure.
package pgtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the variable holding the DSN of a database tests may create
// schemas in.
const EnvVar = "HERALD_TEST_POSTGRES"

// SkipMessage says how to run the PostgreSQL half of the tests.
const SkipMessage = EnvVar + " is not set: the PostgreSQL half of the tests was skipped " +
	"(run them with scripts/pg-test-env go test ./...)"

// Enabled reports whether a PostgreSQL server was given.
func Enabled() bool { return os.Getenv(EnvVar) != "" }

// InCI reports whether the tests run in CI, where nothing may be skipped.
func InCI() bool { return os.Getenv("CI") == "true" }

// exec runs one statement on a short-lived connection: schemas are made
// and dropped a few times per test binary, so no pool is kept.
func exec(sql string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv(EnvVar))
	if err != nil {
		return fmt.Errorf("%s: %w", EnvVar, err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// Require returns the DSN of a fresh schema for this test, skipping the
// test when no server is given (failing it in CI).
func Require(t testing.TB) string {
	t.Helper()
	if !Enabled() {
		if InCI() {
			t.Fatal(SkipMessage + "; CI must run it")
		}
		t.Skip(SkipMessage)
	}
	return Schema(t)
}

// Schema creates an empty schema, drops it when the test ends, and returns
// a DSN whose connections use it (search_path). The schema name is random,
// so test binaries running at once never meet.
func Schema(t testing.TB) string {
	t.Helper()
	name := "herald_test_" + strings.ToLower(rand.Text()[:12])
	if err := exec(`CREATE SCHEMA ` + name); err != nil {
		t.Fatalf("create schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := exec(`DROP SCHEMA ` + name + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(os.Getenv(EnvVar))
	if err != nil {
		t.Fatalf("%s: %v", EnvVar, err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// Skipped prints, once per test binary, that the PostgreSQL half did not
// run; in CI it returns an error instead.
func Skipped(pkg string) error {
	if InCI() {
		return fmt.Errorf("%s: %s; CI must run it", pkg, SkipMessage)
	}
	fmt.Printf("%s: %s\n", pkg, SkipMessage)
	return nil
}
