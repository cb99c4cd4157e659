package main

import (
	"strings"
	"testing"
)

func noEnv(string) string { return "" }

func TestRepoConfigIsValid(t *testing.T) {
	cfg, err := LoadConfig("../../config.yaml", noEnv)
	if err != nil {
		t.Fatalf("the repo's config.yaml must load: %v", err)
	}
	if len(cfg.Topics) < 3 {
		t.Fatalf("config.yaml has %d topics, want a few", len(cfg.Topics))
	}
}

// Each bad config must be refused with the file, the line, the key and a fix.
func TestConfigErrorsNameLineKeyAndFix(t *testing.T) {
	const head = "topics:\n  - name: world\n    feeds:\n      - url: https://a.example/rss\n"
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", head + "    bogus: 1\n", []string{"c.yaml:5:", `unknown key "bogus"`, "spelling"}},
		{"bad cron", head + "    schedule: \"61 * * * *\"\n", []string{"c.yaml:5:", "topics[0].schedule", "cron", "*/30"}},
		{"bad url", "topics:\n  - name: world\n    feeds:\n      - url: ftp//nope\n", []string{"c.yaml:4:", "topics[0].feeds[0].url", "absolute http(s) URL"}},
		{"bad allow_networks", "poll:\n  allow_networks: [127.0.0.0/8, intranet]\n" + head, []string{"c.yaml:2:", "poll.allow_networks[1]", `"intranet" is not a network`, "10.0.0.0/8"}},
		{"duplicate topic", head + "  - name: world\n", []string{"c.yaml:5:", "topics[1].name", "defined twice"}},
		{"bad topic name", "topics:\n  - name: World News\n", []string{"c.yaml:2:", "topics[0].name", "lower-case"}},
		{"bad duration", "poll:\n  timeout: soon\n" + head, []string{"c.yaml:2:", "30s"}},
		{"unknown subscriber topic", head + "subscribers:\n  - email: a@example.org\n    topics: [sport]\n    timezone: UTC\n",
			[]string{"c.yaml:7:", "subscribers[0].topics[0]", `no topic named "sport"`}},
		{"bad timezone", head + "subscribers:\n  - email: a@example.org\n    timezone: Mars/Olympus\n",
			[]string{"c.yaml:7:", "IANA"}},
		{"unset secret", head + "smtp:\n  password: ${NOPE_NOT_SET}\n", []string{"c.yaml:6:", "NOPE_NOT_SET", "export"}},
		{"short retention", "retention: 2d\n" + head, []string{"c.yaml:1:", "retention", "cluster_window", "30d"}},
		{"public_url with a path", "http:\n  public_url: https://example.org/herald/\n" + head, []string{"c.yaml:2:", "http.public_url", "root of its host"}},
		{"control character", head + "        title: \"Wire\\x01\"\n", []string{"c.yaml:5:", "topics[0].feeds[0].title", "control character"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig("c.yaml", []byte(c.yaml), noEnv)
			if err == nil {
				t.Fatal("accepted a bad config")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestConfigSecretsExpandAndMask(t *testing.T) {
	raw := "topics:\n  - name: world\nsmtp:\n  password: ${PW}\nstorage: postgres://herald:s3cret@db/herald\n"
	cfg, err := ParseConfig("c.yaml", []byte(raw), func(k string) string {
		if k == "PW" {
			return "hunter2"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMTP.Password != "hunter2" {
		t.Fatalf("password = %q, want the expanded value", cfg.SMTP.Password)
	}
	out, err := cfg.Masked()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "hunter2") || strings.Contains(string(out), "s3cret") {
		t.Fatalf("masked config shows a secret:\n%s", out)
	}
	if !strings.Contains(string(out), "schedule: '*/30 * * * *'") {
		t.Fatalf("masked config lacks the default schedule:\n%s", out)
	}
}
