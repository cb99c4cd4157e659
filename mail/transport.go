// Package mail is the email transport of the digest desk: it composes a
// digest as a MIME message (digest.Render) and sends it through an SMTP
// server with Mailer, a thin client over emersion/go-smtp. smtptest, beside
// it, is the real SMTP server the tests send to.
package mail

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"time"

	"herald/digest"
)

// Transport sends digests as email. It satisfies digest.Transport.
type Transport struct {
	Mailer    *Mailer
	From      string            // the From header, like "Herald <news@example.org>"
	PublicURL string            // links to event pages and the unsubscribe page when set
	Secret    []byte            // signs the unsubscribe links
	Templates *digest.Templates // nil: the built-in ones
	sender    string            // the envelope sender: From's address
}

// NewTransport checks the From address and returns the transport.
func NewTransport(m *Mailer, from, publicURL string, secret []byte) (*Transport, error) {
	a, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("smtp.from %q: %w", from, err)
	}
	return &Transport{Mailer: m, From: from, PublicURL: publicURL, Secret: secret, sender: a.Address}, nil
}

// Compose renders d as a complete message with a stable Message-ID.
func (t *Transport) Compose(d digest.Digest, now time.Time) (digest.Message, error) {
	return digest.Render(d, digest.Mail{From: t.From, PublicURL: t.PublicURL, Secret: t.Secret, Now: now, Templates: t.Templates})
}

// Deliver sends one stored message; its Message-ID is the parcel's key,
// already in the bytes. A refused login halts the transport (no message
// can go until the settings change); a 5xx answer to the recipient or the
// message fails that digest; a message handed over without an answer is
// unconfirmed.
func (t *Transport) Deliver(ctx context.Context, p digest.Parcel, handover func() error) error {
	err := t.Mailer.Send(ctx, t.sender, p.To, p.Body, handover)
	var se *SendError
	if errors.As(err, &se) {
		return &digest.Failure{Permanent: se.Permanent, Unconfirmed: se.Unconfirmed, Halt: IsLoginRefused(err), Err: err}
	}
	return err
}
