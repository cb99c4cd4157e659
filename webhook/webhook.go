// Package webhook is the HTTP transport of the digest desk: it POSTs a
// digest as JSON to the subscriber's URL, signed with HMAC-SHA256 over the
// body (X-Herald-Signature: sha256=<hex>) and carrying the digest's key in
// an Idempotency-Key header, so a receiver can verify it and drop the
// repeat the desk sends after an unanswered attempt.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"herald/digest"
	"herald/feeds"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body.
const SignatureHeader = "X-Herald-Signature"

// Transport delivers one subscriber's digests to its URL. It satisfies
// digest.Transport.
type Transport struct {
	URL       string
	Secret    []byte
	PublicURL string // links in the payload point under it when set
	UserAgent string
	client    *http.Client
}

// New returns the transport for url. Its connections follow the poller's
// rules (package feeds): internal addresses are refused unless a network
// in allow holds them, no proxy, no redirects.
func New(url string, secret []byte, publicURL, userAgent string, allow []netip.Prefix) *Transport {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxResponseHeaderBytes = 64 << 10
	return &Transport{URL: url, Secret: secret, PublicURL: publicURL, UserAgent: userAgent,
		client: &http.Client{Transport: feeds.GuardTransport(base, allow),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Compose renders d as the JSON payload; the key is digest.Key.
func (t *Transport) Compose(d digest.Digest, now time.Time) (digest.Message, error) {
	p := NewPayload(d, t.PublicURL)
	body, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return digest.Message{}, fmt.Errorf("webhook payload for %s: %w", d.Subscriber.Email, err)
	}
	return digest.Message{ID: p.Key, Subject: p.Title, Bytes: append(body, '\n')}, nil
}

// Sign returns the X-Herald-Signature value of body.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature (the header's value) signs body.
func Verify(secret, body []byte, signature string) bool {
	return hmac.Equal([]byte(signature), []byte(Sign(secret, body)))
}

// Deliver POSTs the parcel. A 2xx answer accepts it. 408, 425, 429 and
// 5xx answers and network errors are retried; any other answer fails the
// digest (a receiver that refuses it will refuse it again). A request
// sent whole without an answer is unconfirmed. An address the poller's
// rules refuse halts the transport until the config changes.
func (t *Transport) Deliver(ctx context.Context, p digest.Parcel, handover func() error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, p.Body)
	if err != nil {
		return &digest.Failure{Halt: true, Err: fmt.Errorf("webhook %s: %w", t.URL, err)}
	}
	req.ContentLength = int64(len(p.Message))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", t.UserAgent)
	req.Header.Set("Idempotency-Key", p.Key)
	req.Header.Set(SignatureHeader, Sign(t.Secret, p.Message))
	var wrote atomic.Bool // the whole request went: an error after it leaves the delivery unconfirmed
	req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) { wrote.Store(i.Err == nil) },
	}))
	if err := handover(); err != nil {
		return err
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return t.netError(err, wrote.Load())
	}
	defer resp.Body.Close()
	return answer(t.URL, resp)
}

func (t *Transport) netError(err error, wrote bool) error {
	err = fmt.Errorf("webhook %s: %w", t.URL, err)
	switch {
	case errors.Is(err, feeds.ErrForbiddenAddress):
		return &digest.Failure{Halt: true, Err: err}
	case wrote:
		return &digest.Failure{Unconfirmed: true, Err: err}
	}
	return err
}

// answer classifies the receiver's response.
func answer(url string, resp *http.Response) error {
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err := fmt.Errorf("webhook %s answered %s: %s", url, resp.Status, strings.TrimSpace(string(snippet)))
	switch c := resp.StatusCode; {
	case c == http.StatusRequestTimeout, c == http.StatusTooEarly, c == http.StatusTooManyRequests, c >= 500:
		return err
	case c >= 300 && c < 400:
		err = fmt.Errorf("%w (Herald follows no redirects: set webhook.url to %s)", err, strconv.Quote(resp.Header.Get("Location")))
	}
	return &digest.Failure{Permanent: true, Err: err}
}
