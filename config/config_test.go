package config

import (
	"strings"
	"testing"
)

func noEnv(string) string { return "" }

// parse is Parse without templates to parse (no test here sets templates.dir).
func parse(path string, raw []byte, getenv func(string) string) (*Config, error) {
	return Parse(path, raw, getenv, nil)
}

func TestRepoConfigIsValid(t *testing.T) {
	cfg, err := Load("../config.yaml", noEnv, nil)
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
		{"tiny clustering bound", "poll:\n  cluster_max_items: 50\n" + head, []string{"c.yaml:2:", "poll.cluster_max_items", "1000 or more", "0 for no bound"}},
		{"public_url with a path", "http:\n  public_url: https://example.org/herald/\n" + head, []string{"c.yaml:2:", "http.public_url", "root of its host"}},
		{"control character", head + "        title: \"Wire\\x01\"\n", []string{"c.yaml:5:", "topics[0].feeds[0].title", "control character"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse("c.yaml", []byte(c.yaml), noEnv)
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
	cfg, err := parse("c.yaml", []byte(raw), func(k string) string {
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

// Settings that would silently disarm Herald or never take effect are
// refused, or warned about, with the line, the key and the fix.
func TestConfigRefusesWhatNeverWorks(t *testing.T) {
	const head = "topics:\n  - name: world\n    feeds:\n      - url: https://a.example/rss\n"
	const mail = "smtp: {host: mail.example, from: \"Herald <news@example.org>\"}\n"
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"topic cron that never fires", head + "    schedule: \"0 0 30 2 *\"\n", []string{"c.yaml:5:", "topics[0].schedule", "never fires", "30 February"}},
		{"digest cron that never fires", head + mail + "subscribers:\n  - {email: a@example.org, schedule: \"0 0 31 4 *\"}\n",
			[]string{"c.yaml:7:", "subscribers[0].schedule", "never fires"}},
		{"@every 0s", head + "    schedule: \"@every 0s\"\n", []string{"c.yaml:5:", "topics[0].schedule", "shorter than a second", "@every 15m"}},
		{"@every 1ms", head + "    schedule: \"@every 1ms\"\n", []string{"c.yaml:5:", "shorter than a second"}},
		{"Local time zone", head + mail + "subscribers:\n  - {email: a@example.org, timezone: Local}\n",
			[]string{"c.yaml:7:", "subscribers[0].timezone", "machine", "Europe/Berlin"}},
		{"listen port out of range", "http: {listen: \"nope:99999\"}\n" + head, []string{"c.yaml:1:", "http.listen", "port", "127.0.0.1:8080"}},
		{"listen on a name", "http: {listen: \"nope:8080\"}\n" + head, []string{"c.yaml:1:", "http.listen", "not an IP address"}},
		{"storage is a directory", "storage: /\n" + head, []string{"c.yaml:1:", "storage", "is a directory", "herald.db"}},
		{"storage in a missing directory", "storage: /no/such/dir/herald.db\n" + head, []string{"c.yaml:1:", "storage", "/no/such/dir", "does not exist"}},
		{"a list at the top", "- storage: herald.db\n", []string{"c.yaml:1:", "list", "storage:", "topics:"}},
		{"one feed written two ways", head + "      - url: HTTPS://A.EXAMPLE:443/rss#top\n", []string{"c.yaml:5:", "topics[0].feeds[1].url", "listed twice"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse("c.yaml", []byte(c.yaml), noEnv)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestConfigWarnsAboutRiskySettings(t *testing.T) {
	const head = "topics:\n  - name: world\n    feeds:\n      - url: https://a.example/rss\n"
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"every address allowed", "poll:\n  allow_networks: [0.0.0.0/0, \"::/0\"]\n" + head,
			[]string{"c.yaml:2: poll.allow_networks[0]", "c.yaml:2: poll.allow_networks[1]", "every address", "192.168.1.0/24"}},
		{"metadata address allowed", "poll:\n  allow_networks: [169.254.0.0/16]\n" + head, []string{"poll.allow_networks[0]", "169.254.169.254"}},
		{"digest every second", head + "smtp: {host: mail.example, from: \"Herald <news@example.org>\"}\nsubscribers:\n  - {email: a@example.org, schedule: \"@every 1s\"}\n",
			[]string{"c.yaml:7: subscribers[0].schedule", "every 1s", "0 7 * * *"}},
		{"topic every ten seconds", head + "    schedule: \"@every 10s\"\n", []string{"c.yaml:5: topics[0].schedule", "every 10s"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parse("c.yaml", []byte(c.yaml), noEnv)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(cfg.Warnings(), "\n")
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("warnings %q do not contain %q", got, w)
				}
			}
		})
	}
	cfg, err := parse("c.yaml", []byte(head), noEnv)
	if err != nil || len(cfg.Warnings()) != 0 {
		t.Errorf("a plain config: warnings %q, %v", cfg.Warnings(), err)
	}
}

// The same feed written two ways in two topics is one feed, fetched once.
func TestConfigFeedURLsAreCanonical(t *testing.T) {
	raw := "topics:\n  - name: world\n    feeds: [{url: \"http://a.example/f\"}]\n  - name: news\n    feeds: [{url: \"HTTP://A.EXAMPLE:80/f#x\"}]\n"
	cfg, err := parse("c.yaml", []byte(raw), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := cfg.Topics[0].Feeds[0].URL, cfg.Topics[1].Feeds[0].URL; a != b || a != "http://a.example/f" {
		t.Fatalf("feed URLs %q and %q, want both http://a.example/f", a, b)
	}
}
