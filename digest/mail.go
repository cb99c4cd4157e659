package digest

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
// per message. It is the only I/O in this package.
type Mailer struct {
	Host               string
	Port               int
	TLS                string // "starttls" (default), "implicit" or "none"
	Username, Password string // AUTH PLAIN when Username is set
	Timeout            time.Duration
	TLSConfig          *tls.Config // nil: the system's roots, for Host
	LocalName          string      // the EHLO name; "localhost" when empty
}

// SendError is a failed delivery. Permanent means the server refused this
// recipient or message with a 5xx answer: retrying cannot help. Anything
// else (4xx, network, TLS, a refused login) may pass later.
type SendError struct {
	Stage     string // connect, tls, auth, mail, rcpt, data
	Permanent bool
	Err       error
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

// Send delivers msg from the envelope sender from to one recipient. It
// returns nil once the server has accepted the message (250 after DATA).
func (m *Mailer) Send(ctx context.Context, from, to string, msg io.Reader) error {
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = time.Minute
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
			return stageError("auth", err, false)
		}
	}
	if err := c.Mail(from, nil); err != nil {
		return stageError("mail", err, false)
	}
	if err := c.Rcpt(to, nil); err != nil {
		return stageError("rcpt", err, true)
	}
	w, err := c.Data()
	if err != nil {
		return stageError("data", err, true)
	}
	if _, err := io.Copy(w, msg); err != nil {
		return stageError("data", err, true)
	}
	if err := w.Close(); err != nil {
		return stageError("data", err, true)
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

// stageError classifies err: a 5xx answer at a recipient stage is
// permanent; a 5xx before that (a refused login or sender) is a setup
// problem that the operator can fix, so it is retried like a 4xx.
func stageError(stage string, err error, recipientStage bool) error {
	var se *smtp.SMTPError
	permanent := errors.As(err, &se) && se.Code >= 500 && recipientStage
	return &SendError{Stage: stage, Permanent: permanent, Err: err}
}
