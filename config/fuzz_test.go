package config

import (
	"os"
	"strings"
	"testing"
)

// Parse never panics, whatever the file holds; every line of an
// error it returns starts with the file's name (and mostly its line), so an
// operator can find what to fix; a config it accepts can be shown masked.
func FuzzConfig(f *testing.F) {
	if repo, err := os.ReadFile("../config.yaml"); err == nil {
		f.Add(string(repo))
	} else {
		f.Logf("fuzz: the repo's config.yaml not used as a seed: %v", err)
	}
	const head = "topics:\n  - name: world\n    feeds:\n      - url: https://a.example/rss\n"
	for _, s := range []string{
		head,
		head + "    bogus: 1\n",
		head + "    schedule: \"CRON_TZ=Europe/Berlin 61 * * * *\"\n",
		head + "    schedule: TZ=\n", // robfig/cron panicked on a zone prefix with no space after it
		"poll:\n  timeout: 7d\n  workers: -1\n  allow_networks: [127.0.0.0/8, ::1/128, intranet]\n" + head,
		head + "subscribers:\n  - email: \"Ann <a@example.org>\"\n    topics: [world, sport]\n    timezone: Mars/Olympus\n    schedule: '@daily'\n",
		head + "smtp:\n  password: ${HERALD_PW} # ${NOT_SET}\n  tls: implicit\n",
		"storage: postgres://u:${HERALD_PW}@db/h\n" + head + "digest:\n  secret: '${HERALD_PW}'\n",
		"topics: [{name: a, feeds: [{url: 'http://x'}, {url: 'http://x'}]}, {name: a}]\n",
		"&a [*a]", "topics:\n\t- name: x\n", "---\n---\n", "\xef\xbb\xbftopics: !!binary aGk=\n", "",
	} {
		f.Add(s)
	}
	getenv := func(name string) string {
		if name == "HERALD_PW" {
			return "s3cr#t: 'x\""
		}
		return ""
	}
	f.Fuzz(func(t *testing.T, raw string) {
		cfg, err := parse("fuzz.yaml", []byte(raw), getenv)
		if err != nil {
			if cfg != nil {
				t.Fatalf("Parse returned a config with the error %v", err)
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml:") {
					t.Fatalf("error line %q does not name the file; whole error:\n%v", line, err)
				}
			}
			return
		}
		if _, err := cfg.Masked(); err != nil {
			t.Fatalf("an accepted config cannot be shown: %v", err)
		}
	})
}
