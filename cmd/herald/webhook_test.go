package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"herald/webhook"
)

const hookSecret = "a webhook secret of some length"

// TestWebhookCrashRecovery runs the exactly-once crash runs on the webhook
// transport: a real herald process killed at each crash point, 40 times,
// POSTing to a loopback HTTP receiver. Every digest arrives whole and
// signed. The receiver sees a repeat only after a kill between its answer
// and the mark, and then with the same Idempotency-Key and the same body,
// which is how a receiver knows to drop it.
func TestWebhookCrashRecovery(t *testing.T) {
	crashRuns(t, 40, func() crashReceiver { return newHookReceiver(t) })
}

// hookReceiver is a webhook endpoint on loopback that keeps every request
// that arrived whole with a valid signature.
type hookReceiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []hookDelivery
	bad []string // requests refused: a bad signature or no key
}

type hookDelivery struct {
	key  string
	body []byte
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil { // cut off: the sender died while sending; nothing arrived
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	key := req.Header.Get("Idempotency-Key")
	if !webhook.Verify([]byte(hookSecret), body, req.Header.Get(webhook.SignatureHeader)) || key == "" {
		r.bad = append(r.bad, fmt.Sprintf("%s key %q signature %q", req.URL, key, req.Header.Get(webhook.SignatureHeader)))
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	r.got = append(r.got, hookDelivery{key: key, body: body})
	w.WriteHeader(http.StatusNoContent)
}

func (r *hookReceiver) deliveries() ([]hookDelivery, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookDelivery(nil), r.got...), append([]string(nil), r.bad...)
}

func (r *hookReceiver) config(db string) string {
	return fmt.Sprintf(`storage: %s
log: {level: warn}
poll: {allow_networks: [127.0.0.1]}
topics:
  - name: world
    feeds: [{url: "http://feeds.example/world"}]
subscribers:
  - {email: ada@example.org, name: Ada, topics: [world], transport: webhook,
     webhook: {url: "%s/hooks/herald", secret: "%s"}}
`, db, r.srv.URL, hookSecret)
}

func (r *hookReceiver) env(string) ([]string, error) { return nil, nil }

func (r *hookReceiver) delivered(db, point string) error {
	got, bad := r.deliveries()
	if len(bad) > 0 {
		return fmt.Errorf("the receiver refused %v", bad)
	}
	if err := wantCopies(len(got), point); err != nil {
		return err
	}
	for _, d := range got[1:] {
		if d.key != got[0].key || string(d.body) != string(got[0].body) {
			return fmt.Errorf("a repeat under another key or with another body: %s then %s", got[0].key, d.key)
		}
	}
	var p webhook.Payload
	if err := json.Unmarshal(got[0].body, &p); err != nil {
		return err
	}
	if p.Key != got[0].key || p.Subscriber.Email != "ada@example.org" || len(p.Threads) != 3 {
		return fmt.Errorf("payload %+v: want ada's three events under the key %s", p, got[0].key)
	}
	return checkOutboxSent(db, got[0].key)
}

// `herald digest preview` of a webhook subscriber prints the JSON it
// would receive (a config with only webhooks needs no smtp section).
func TestWebhookPreview(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	raw := fmt.Sprintf("storage: %s\ntopics:\n  - name: world\nsubscribers:\n"+
		"  - {email: ops@example.org, transport: webhook, webhook: {url: \"https://hooks.example/h\", secret: %q}}\n",
		filepath.Join(dir, "herald.db"), hookSecret)
	if err := os.WriteFile(cfg, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	out, err := herald(t, ctx, "--config", cfg, "digest", "preview", "--subscriber", "ops@example.org")
	var p webhook.Payload
	if err != nil || json.Unmarshal([]byte(out), &p) != nil || p.Subscriber.Email != "ops@example.org" || p.Key == "" {
		t.Fatalf("preview: %v\n%s\nwant the webhook's JSON", err, out)
	}
}
