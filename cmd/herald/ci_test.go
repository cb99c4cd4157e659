package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestCIRunsTheREADMECommand keeps the README's test command and the one
// .ci/run runs (inside scripts/pg-test-env) the same command, and keeps
// time-based fuzzing out of it: on a loaded CI machine the fuzzer fails on
// its own deadlines, while the seed corpora already run as plain tests.
func TestCIRunsTheREADMECommand(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	var documented string
	for _, line := range strings.Split(string(readme), "\n") {
		if cmd, ok := strings.CutSuffix(line, "# the whole test suite (what .ci/run runs)"); ok {
			documented = strings.TrimSpace(cmd)
		}
	}
	m := regexp.MustCompile(`(?m)^scripts/pg-test-env bash -c '([^']*)'$`).FindSubmatch(ci)
	switch {
	case documented == "":
		t.Fatal("README.md has no line ending in `# the whole test suite (what .ci/run runs)`")
	case m == nil:
		t.Fatal(".ci/run has no `scripts/pg-test-env bash -c '...'` line")
	case string(m[1]) != documented:
		t.Errorf(".ci/run runs %q, README.md documents %q: make them one command", m[1], documented)
	}
	if strings.Contains(documented, "-fuzz") || strings.Contains(documented, "scripts/fuzz") {
		t.Errorf("the test command %q fuzzes by time: run the seed corpora only (plain go test)", documented)
	}
}
