package config

import (
	"net/netip"
	"net/url"

	"herald/feeds"
)

// WebhookConfig is where a webhook subscriber's digests are POSTed and
// the secret that signs them.
type WebhookConfig struct {
	URL    string `yaml:"url"`
	Secret string `yaml:"secret"`
}

// checkTransport checks how subscriber i's digests go: by email (the mail
// server is checked once for all), or to a webhook with its URL and
// secret.
func (k *checker) checkTransport(i int, s Subscriber) {
	switch s.Transport {
	case "email":
		if s.Webhook != (WebhookConfig{}) {
			k.failf(p("subscribers", i, "webhook"), "%s takes digests by email, so its webhook section is unused: set transport: webhook, or remove the webhook section", s.Email)
		}
		return
	case "webhook":
	default:
		k.failf(p("subscribers", i, "transport"), "%q is not a transport for %s: use email or webhook", s.Transport, s.Email)
		return
	}
	at := p("subscribers", i, "webhook")
	switch {
	case s.Webhook.URL == "":
		k.failf(at, "%s takes webhooks but has no url: set webhook.url to the receiver's address, like https://hooks.example.org/herald", s.Email)
	case !isWebURL(s.Webhook.URL):
		k.failf(append(at, "url"), "%q (for %s) is not an absolute http(s) URL: write it like https://hooks.example.org/herald", s.Webhook.URL, s.Email)
	default:
		k.checkWebhookHost(append(at, "url"), s)
	}
	switch {
	case s.Webhook.Secret == "":
		k.failf(at, "%s takes webhooks but has no secret to sign them: set webhook.secret, e.g. secret: ${HERALD_WEBHOOK_SECRET} (16 characters or more)", s.Email)
	case len(s.Webhook.Secret) < 16:
		k.failf(append(at, "secret"), "the secret for %s is too short: use 16 characters or more, e.g. ${HERALD_WEBHOOK_SECRET}", s.Email)
	}
}

// checkWebhookHost refuses a webhook at an internal address the poller
// would refuse too (the same rules apply, poll.allow_networks). A host
// name is judged when the webhook connects.
func (k *checker) checkWebhookHost(at []any, s Subscriber) {
	u, _ := url.Parse(s.Webhook.URL)
	addr, err := netip.ParseAddr(u.Hostname())
	if err != nil {
		return
	}
	if err := feeds.CheckAddr(addr, k.c.Poll.Allowed()); err != nil {
		k.failf(at, "%s's webhook: %v", s.Email, err)
	}
}
