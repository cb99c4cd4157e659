package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mailer delivers rendered messages through one SMTP server (submission
// with STARTTLS, implicit TLS, or plain for a local relay), one connection
// per message.
type Mailer struct {
	Host               string
	Port               int
	TLS                string // "starttls" (default), "implicit" or "none"
	Username, Password string // AUTH PLAIN when Username is set
	// AllowInsecureAuth lets the password go over a connection without TLS
	// (TLS "none"); otherwise such a login is refused before connecting.
	AllowInsecureAuth bool
	Timeout           time.Duration
	TLSConfig         *tls.Config // nil: the system's roots, for Host
	LocalName         string      // the EHLO name; "localhost" when empty
}

// SendError is a failed delivery. Permanent means retrying cannot help:
// the server refused this recipient or message with a 5xx answer, or (at
// the "auth" stage, IsLoginRefused) it refused the login, or the mailer
// would not send the password in the clear; those last two fail every
// message until the configuration changes. Anything else (4xx, network,
// TLS) may pass later.
type SendError struct {
	Stage     string // connect, tls, auth, mail, rcpt, data
	Permanent bool
	// Unconfirmed: the message was handed over and no answer came (the
	// connection broke or timed out): the server may have accepted it.
	Unconfirmed bool
	Err         error
}

func (e *SendError) Error() string {
	kind := "temporary"
	if e.Permanent {
		kind = "permanent"
	}
	return fmt.Sprintf("smtp %s (%s): %v", e.Stage, kind, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a permanent refusal.
func IsPermanent(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Permanent
}

// IsLoginRefused reports whether err is a login that cannot succeed with
// the mailer's settings (a 5xx answer to AUTH, such as 535, or a password
// the mailer would have to send without TLS): no message can go until
// they change.
func IsLoginRefused(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Permanent && se.Stage == "auth"
}

// IsUnconfirmed reports whether err came after the message was handed over,
// without an answer from the server: it may have been delivered.
func IsUnconfirmed(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Unconfirmed
}

// errPlaintextAuth is the refusal to send a password without TLS.
var errPlaintextAuth = errors.New("refusing to send the SMTP password over a connection without TLS (tls: none): " +
	"use tls: starttls or implicit, or set smtp.allow_insecure_auth: true for a relay on a network you trust")

// Send delivers msg from the envelope sender from to one recipient. It
// returns nil once the server has accepted the message (250 after DATA).
// handover, when not nil, runs once the recipient is accepted, just before
// the message is handed over: the caller records that the server may have
// it from then on; an error from it stops the delivery before DATA.
func (m *Mailer) Send(ctx context.Context, from, to string, msg io.Reader, handover func() error) error {
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	if m.TLS == "none" && m.Username != "" && !m.AllowInsecureAuth {
		return &SendError{Stage: "auth", Permanent: true, Err: errPlaintextAuth}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := m.dial(ctx, timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	if m.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", m.Username, m.Password)); err != nil {
			return stageError("auth", err, true)
		}
	}
	if err := c.Mail(from, nil); err != nil {
		return stageError("mail", err, false)
	}
	if err := c.Rcpt(to, nil); err != nil {
		return stageError("rcpt", err, true)
	}
	if handover != nil {
		if err := handover(); err != nil {
			return &SendError{Stage: "data", Err: err}
		}
	}
	w, err := c.Data()
	if err != nil {
		return stageError("data", err, true)
	}
	if _, err := io.Copy(w, msg); err != nil {
		return unanswered(err)
	}
	if err := w.Close(); err != nil {
		return unanswered(err)
	}
	c.Quit() // accepted: a failed goodbye changes nothing
	return nil
}

// dial connects, says hello and secures the connection. The connection is
// closed when ctx ends, which bounds the whole delivery.
func (m *Mailer) dial(ctx context.Context, timeout time.Duration) (*smtp.Client, error) {
	addr := net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &SendError{Stage: "connect", Err: err}
	}
	context.AfterFunc(ctx, func() { conn.Close() })
	cfg := m.tlsConfig()
	var c *smtp.Client
	switch m.TLS {
	case "implicit":
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, &SendError{Stage: "tls", Err: err}
		}
		c = smtp.NewClient(tc)
	case "none":
		c = smtp.NewClient(conn)
	default:
		if c, err = smtp.NewClientStartTLS(conn, cfg); err != nil {
			return nil, stageError("tls", err, false)
		}
	}
	c.CommandTimeout, c.SubmissionTimeout = timeout, timeout
	if m.LocalName != "" {
		if err := c.Hello(m.LocalName); err != nil {
			c.Close()
			return nil, stageError("connect", err, false)
		}
	}
	return c, nil
}

func (m *Mailer) tlsConfig() *tls.Config {
	cfg := &tls.Config{}
	if m.TLSConfig != nil {
		cfg = m.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = m.Host
	}
	return cfg
}

// stageError classifies err: a 5xx answer is permanent at a stage where
// it is final (the login, the recipient, the message); a 5xx to a stage
// between them (the sender) is retried like a 4xx.
// unanswered classifies a failure while the message goes or while its
// answer is awaited: an SMTP answer is final like any other; anything else
// (a broken connection, the deadline) leaves it unconfirmed.
func unanswered(err error) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return stageError("data", err, true)
	}
	return &SendError{Stage: "data", Unconfirmed: true, Err: err}
}

func stageError(stage string, err error, final bool) error {
	var se *smtp.SMTPError
	permanent := errors.As(err, &se) && se.Code >= 500 && final
	return &SendError{Stage: stage, Permanent: permanent, Err: err}
}
