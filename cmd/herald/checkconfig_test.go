package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func noEnv(string) string { return "" }

// check-config prints the warnings of a valid config with their file and
// line (the warnings themselves are tested in package config).
func TestCheckConfigPrintsWarnings(t *testing.T) {
	const head = "topics:\n  - name: world\n    feeds:\n      - url: https://a.example/rss\n"
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("poll:\n  allow_networks: [0.0.0.0/0]\n"+head), 0o600)
	out, err := herald(t, context.Background(), "--config", path, "check-config")
	if err != nil || !strings.Contains(out, "is valid") || !strings.Contains(out, "# warning: "+path+":2: poll.allow_networks[0]") {
		t.Errorf("check-config: %v\n%s", err, out)
	}
}
