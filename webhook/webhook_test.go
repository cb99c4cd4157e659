package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"herald/digest"
	"herald/events"
	"herald/feeds"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

func sample() digest.Digest {
	at := time.Date(2026, 11, 20, 7, 0, 0, 0, time.UTC)
	ev := events.Event{ID: "ev-a", Headline: "Talks agreed", Summary: "About talks.", FirstSeen: at.Add(-time.Hour),
		LastUpdated: at.Add(-time.Hour), Size: 2, Topics: []string{"world"},
		Sources: []events.Source{{Publisher: "Daily", URL: "https://daily.example/a"}, {Publisher: "Evil", URL: "javascript:alert(1)"}}}
	return digest.Digest{Subscriber: digest.Subscriber{Email: "ops@example.org", Topics: []string{"world"}, Location: time.UTC},
		Period:  digest.Period{Start: at.Add(-24 * time.Hour), End: at},
		Threads: []digest.Thread{{Storyline: "sl-1", Name: "Talks", Entries: []digest.Entry{{Event: ev, Sources: 2}}, Sources: 2}}}
}

func send(t *testing.T, tr *Transport, msg digest.Message) error {
	t.Helper()
	handed := false
	err := tr.Deliver(context.Background(), digest.Parcel{To: "ops@example.org", Key: msg.ID, Message: msg.Bytes,
		Body: bytes.NewReader(msg.Bytes)}, func() error { handed = true; return nil })
	if !handed && err == nil {
		t.Fatal("delivered without the handover")
	}
	return err
}

// A delivery POSTs the JSON payload with its key and a signature the
// receiver can check with the secret, and nothing else verifies.
func TestDeliverSignsAndKeys(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, body = r, must(io.ReadAll(r.Body))
	}))
	defer srv.Close()
	tr := New(srv.URL+"/hook", []byte("the secret"), "https://herald.example", "Herald-test", loopback)
	msg, err := tr.Compose(sample(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := send(t, tr, msg); err != nil {
		t.Fatal(err)
	}
	if got.Method != http.MethodPost || got.Header.Get("Idempotency-Key") != msg.ID || msg.ID != digest.Key("ops@example.org", sample().Period.End) ||
		got.Header.Get("Content-Type") != "application/json" || !bytes.Equal(body, msg.Bytes) {
		t.Fatalf("request %s %v, body %d bytes", got.Method, got.Header, len(body))
	}
	sig := got.Header.Get(SignatureHeader)
	if !Verify([]byte("the secret"), body, sig) || Verify([]byte("another secret"), body, sig) ||
		Verify([]byte("the secret"), append(body, ' '), sig) || !strings.HasPrefix(sig, "sha256=") {
		t.Fatalf("signature %q does not verify the body with the secret alone", sig)
	}
	var p Payload
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	e := p.Threads[0].Events[0]
	if p.Subscriber.Email != "ops@example.org" || !p.Period.End.Equal(sample().Period.End) || e.URL != "https://herald.example/events/ev-a.html" ||
		len(e.ReadAt) != 2 || e.ReadAt[1].URL != "" || p.Threads[0].URL != "https://herald.example/storylines/sl-1.html" {
		t.Fatalf("payload %+v", p)
	}
}

// Answers are classified: 2xx delivers, 5xx and 429 are retried, other
// answers fail the digest, an address the poller's rules refuse halts the
// transport, and a request sent whole without an answer is unconfirmed.
func TestDeliverClassifiesAnswers(t *testing.T) {
	msg, _ := New("", nil, "", "", nil).Compose(sample(), time.Now())
	for _, c := range []struct {
		status                      int
		permanent, unconfirmed, any bool
	}{{204, false, false, false}, {503, false, false, true}, {429, false, false, true}, {400, true, false, true},
		{410, true, false, true}, {301, true, false, true}} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.WriteHeader(c.status)
		}))
		err := send(t, New(srv.URL, []byte("k"), "", "", loopback), msg)
		var f *digest.Failure
		isF := errors.As(err, &f)
		if (err != nil) != c.any || isF != c.permanent || (isF && f.Permanent != c.permanent) {
			t.Errorf("%d: %v; want failure %v, permanent %v", c.status, err, c.any, c.permanent)
		}
		srv.Close()
	}
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close() // read it all, then no answer
	}))
	defer hang.Close()
	err := send(t, New(hang.URL, []byte("k"), "", "", loopback), msg)
	if f := (*digest.Failure)(nil); !errors.As(err, &f) || !f.Unconfirmed || f.Permanent {
		t.Errorf("no answer after the whole request: %v; want unconfirmed", err)
	}
	err = send(t, New(hang.URL, []byte("k"), "", "", nil), msg) // loopback not allowed
	if f := (*digest.Failure)(nil); !errors.As(err, &f) || !f.Halt || !errors.Is(err, feeds.ErrForbiddenAddress) {
		t.Errorf("a loopback webhook without poll.allow_networks: %v; want the transport halted", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
