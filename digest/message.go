package digest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// Mail is how digests are addressed and signed.
type Mail struct {
	From      string // "Herald <news@example.org>"
	PublicURL string // Herald's public address; links to event pages and the unsubscribe page when set
	Secret    []byte // signs unsubscribe tokens
	Now       time.Time
	Templates *Templates // nil: the built-in ones
}

// Message is a rendered digest: the exact bytes to send, and what the
// outbox shows of them.
type Message struct {
	ID      string // Message-ID, with angle brackets
	Subject string
	Text    string
	HTML    string
	Bytes   []byte // the whole message, CRLF line ends, 7-bit clean
}

// Key is the stable key of the digest for (email, period end): a
// re-render or a resend of the same digest carries the same one.
func Key(email string, end time.Time) string {
	sum := sha256.Sum256([]byte(strings.ToLower(email)))
	return fmt.Sprintf("digest.%d.%s", end.Unix(), hex.EncodeToString(sum[:8]))
}

// MessageID is the digest's Key as a Message-ID in the sender's domain.
func MessageID(email string, end time.Time, domain string) string {
	return "<" + Key(email, end) + "@" + domain + ">"
}

// Render turns a digest into a complete message.
func Render(d Digest, m Mail) (Message, error) {
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return Message{}, fmt.Errorf("render digest: from address %q: %w", m.From, err)
	}
	if d.Subscriber.Location == nil {
		d.Subscriber.Location = time.UTC
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	unsubURL := ""
	token := NewToken(m.Secret, d.Subscriber.Email, m.Now.Add(TokenLifetime))
	if m.PublicURL != "" {
		unsubURL = strings.TrimRight(m.PublicURL, "/") + "/unsubscribe?token=" + token
	}
	tm := m.Templates
	if tm == nil {
		tm = defaultTemplates()
	}
	text, html, err := tm.renderBodies(newView(d, m.PublicURL, unsubURL))
	if err != nil {
		return Message{}, err
	}
	msg := Message{ID: MessageID(d.Subscriber.Email, d.Period.End, domain), Subject: Subject(d), Text: text, HTML: html}
	h := headers{
		{"From", from.String()},
		{"To", (&mail.Address{Name: oneLine(d.Subscriber.Name), Address: d.Subscriber.Email}).String()},
		{"Subject", encodeHeader(msg.Subject)},
		{"Date", m.Now.In(d.Subscriber.Location).Format(time.RFC1123Z)},
		{"Message-ID", msg.ID},
		{"MIME-Version", "1.0"},
		{"List-Id", fmt.Sprintf("Herald briefings <briefings.%s>", listDomain(m.PublicURL, domain))},
		{"List-Unsubscribe", listUnsubscribe(unsubURL, from.Address, token)},
	}
	if unsubURL != "" { // RFC 8058 needs an https (or http) URI to POST to
		h = append(h, header{"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"})
	}
	h = append(h, header{"Auto-Submitted", "auto-generated"})
	msg.Bytes, err = assemble(h, msg.ID, text, html)
	return msg, err
}

// Subject is the digest's subject line: the date and its top story.
func Subject(d Digest) string {
	s := "Herald briefing, " + d.Period.End.In(d.Subscriber.Location).Format("2 Jan")
	if len(d.Threads) > 0 {
		top := d.Threads[0]
		if len(top.Entries) == 1 {
			s += ": " + clip(oneLine(top.Entries[0].Event.Headline), subjectRunes)
		} else {
			s += ": " + clip(oneLine(top.Name), subjectRunes) + fmt.Sprintf(" (%d events)", len(top.Entries))
		}
		if n := len(d.Entries()) - len(top.Entries); n > 0 {
			s += fmt.Sprintf(" (+%d more)", n)
		}
	}
	if d.Period.Late {
		s = "[Late] " + s
	}
	return s
}

func listDomain(publicURL, fallback string) string {
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return fallback
}

// listUnsubscribe offers the https link first (one click) and a mailto to
// the sender with the token in the subject, for clients that only mail.
func listUnsubscribe(unsubURL, from, token string) string {
	mailto := "<mailto:" + from + "?subject=unsubscribe%20" + token + ">"
	if unsubURL == "" {
		return mailto
	}
	return "<" + unsubURL + ">,\r\n " + mailto
}

type header struct{ name, value string }
type headers []header

// encodeHeader writes a header value as RFC 2047 encoded words when it is
// not plain ASCII, folding between words so no line grows too long.
func encodeHeader(s string) string {
	return fold(mime.QEncoding.Encode("utf-8", s))
}

// fold breaks a header value at spaces so that lines stay near 76 columns.
func fold(s string) string {
	var b strings.Builder
	col := len("Subject: ")
	for i, word := range strings.Split(s, " ") {
		if i > 0 {
			if col+1+len(word) > 76 {
				b.WriteString("\r\n")
				col = 0
			}
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += len(word)
	}
	return b.String()
}

// assemble writes the headers and a multipart/alternative body (text
// first, then HTML, as clients prefer the last one they can show), both
// quoted-printable so the message is 7-bit clean.
func assemble(h headers, id, text, html string) ([]byte, error) {
	sum := sha256.Sum256([]byte(id))
	boundary := "=_herald_" + hex.EncodeToString(sum[:12]) // "=_" never occurs in quoted-printable
	var b bytes.Buffer
	b.Grow(2048 + (len(text)+len(html))*11/10) // quoted-printable adds a little
	for _, f := range h {
		b.WriteString(f.name + ": " + f.value + "\r\n")
	}
	b.WriteString("Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n")
	b.WriteString("This is a multipart message in MIME format.\r\n")
	for _, part := range []struct{ typ, body string }{{"text/plain", text}, {"text/html", html}} {
		b.WriteString("\r\n--" + boundary + "\r\n")
		b.WriteString("Content-Type: " + part.typ + "; charset=utf-8\r\n")
		b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
		qp := quotedprintable.NewWriter(&b)
		if _, err := qp.Write([]byte(crlf(part.body))); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	b.WriteString("\r\n--" + boundary + "--\r\n")
	return b.Bytes(), nil
}

// crlf gives every line a CRLF end, as quoted-printable text expects.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}
