package config

import (
	"fmt"
	"strings"
	"testing"
)

// The checks of the digest's settings: subscribers, mail server, webhooks.
func TestDigestConfigChecks(t *testing.T) {
	base := `topics:
  - name: world
    feeds: [{url: "http://feeds.example/world"}]
`
	cases := []struct{ yaml, want string }{
		{base + "subscribers:\n  - {email: ada@example.org}\n", "test.yaml:5: subscribers: subscribers are configured but no mail server is"},
		{base + "smtp: {host: mail.example, from: \"Herald <news@example.org>\"}\nsubscribers:\n  - {email: ada@example.org, schedule: \"CRON_TZ=Europe/Berlin 0 7 * * *\"}\n",
			"subscribers[0].schedule: \"CRON_TZ=Europe/Berlin 0 7 * * *\" is not a digest schedule (a digest schedule takes its zone from the subscriber's timezone"},
		{base + "smtp: {host: mail.example, from: \"Herald <news@example.org>\"}\nsubscribers:\n  - {email: ada@example.org}\n  - {email: ADA@example.org}\n",
			"subscribers[1].email: ADA@example.org is listed twice"},
		{base + "smtp: {host: mail.example, from: \"Herald <news@example.org>\"}\ndigest: {max_events: 0, update_growth: 0.5, secret: short}\nsubscribers:\n  - {email: ada@example.org}\n",
			"digest.update_growth: 0.5 is below 1"},
		{base + "smtp: {host: mail.example, tls: none, username: herald, password: x, from: \"Herald <news@example.org>\"}\nsubscribers:\n  - {email: ada@example.org}\n",
			"smtp.tls: none would send the password in the clear"},
	}
	hook := "subscribers:\n  - {email: ops@example.org, transport: webhook, webhook: %s}\n"
	cases = append(cases, []struct{ yaml, want string }{
		{base + "subscribers:\n  - {email: ops@example.org, transport: pigeon}\n", `test.yaml:5: subscribers[0].transport: "pigeon" is not a transport for ops@example.org: use email or webhook`},
		{base + fmt.Sprintf(hook, "{secret: a secret long enough}"), "subscribers[0].webhook: ops@example.org takes webhooks but has no url: set webhook.url"},
		{base + fmt.Sprintf(hook, "{url: \"https://hooks.example/h\"}"), "subscribers[0].webhook: ops@example.org takes webhooks but has no secret to sign them: set webhook.secret"},
		{base + fmt.Sprintf(hook, "{url: \"ftp://hooks.example/h\", secret: a secret long enough}"), `subscribers[0].webhook.url: "ftp://hooks.example/h" (for ops@example.org) is not an absolute http(s) URL`},
		{base + fmt.Sprintf(hook, "{url: \"http://169.254.169.254/h\", secret: a secret long enough}"), "subscribers[0].webhook.url: ops@example.org's webhook: address 169.254.169.254 is link-local"},
		{base + "subscribers:\n  - {email: ops@example.org, webhook: {url: \"https://hooks.example/h\"}}\n", "subscribers[0].webhook: ops@example.org takes digests by email, so its webhook section is unused"},
	}...)
	for _, c := range cases {
		_, err := parse("test.yaml", []byte(c.yaml), func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("config error %v\nwant it to contain %q", err, c.want)
		}
	}
	cfg, err := parse("test.yaml", []byte(base+"smtp: {host: mail.example, from: \"Herald <news@example.org>\"}\n"+
		"digest: {secret: \"${SECRET}\"}\nsubscribers:\n  - {email: ada@example.org}\n"),
		func(string) string { return "a secret of thirty-two characters" })
	if err != nil {
		t.Fatal(err)
	}
	masked, _ := cfg.Masked()
	if strings.Contains(string(masked), "thirty-two") || cfg.Subscribers[0].Schedule != "0 7 * * *" || cfg.Digest.MaxEvents != 25 {
		t.Fatalf("defaults or masking wrong:\n%s", masked)
	}
	// Webhooks alone need no mail server; a loopback receiver needs its network allowed.
	if cfg, err := parse("test.yaml", []byte(base+"poll: {allow_networks: [127.0.0.1]}\n"+fmt.Sprintf(hook,
		"{url: \"http://127.0.0.1:9/h\", secret: \"${HOOK}\"}")), func(string) string { return "a webhook secret, long" }); err != nil {
		t.Fatalf("a webhook subscriber without smtp: %v", err)
	} else if masked, _ := cfg.Masked(); strings.Contains(string(masked), "webhook secret") {
		t.Fatalf("the webhook secret shows in check-config:\n%s", masked)
	}
	if _, err := parse("test.yaml", []byte(base+"smtp: {host: 127.0.0.1, tls: none, username: herald, password: x, allow_insecure_auth: true, from: \"Herald <news@example.org>\"}\n"+
		"subscribers:\n  - {email: ada@example.org}\n"), noEnv); err != nil {
		t.Fatalf("tls: none with allow_insecure_auth: %v", err)
	}
}
