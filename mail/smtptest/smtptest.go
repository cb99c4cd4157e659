// Package smtptest runs a real SMTP server on loopback for tests: the
// emersion/go-smtp server with STARTTLS (or implicit TLS) and AUTH PLAIN,
// keeping what it accepts in memory. A test can make any step answer an
// error or drop the connection, to exercise a client's retries.
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/mail"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// The credentials the server accepts.
const (
	Username = "herald"
	Password = "s3cret pass"
)

// ErrDrop, returned by a Fail hook, closes the connection without an answer.
var ErrDrop = errors.New("smtptest: drop the connection")

// ErrKeepThenDrop, returned by a Fail hook at "data", keeps the message and
// then closes the connection without an answer: the client cannot know
// the message was accepted.
var ErrKeepThenDrop = errors.New("smtptest: keep the message, then drop the connection")

// Received is one accepted message.
type Received struct {
	From      string
	To        []string
	Data      []byte
	MessageID string
}

// Server is a running SMTP server. Its fields are read-only.
type Server struct {
	Addr    string      // host:port
	Host    string      // 127.0.0.1
	Port    int         // the port
	Client  *tls.Config // a client configuration that trusts the server
	CertPEM []byte      // the server's self-signed certificate

	mu       sync.Mutex
	received []Received
	attempts map[string]int
	fail     func(stage string, attempt int, rcpt string) error
}

// Options choose the server's TLS mode.
type Options struct {
	ImplicitTLS bool // TLS from the first byte (port 465 style) instead of STARTTLS
	// AllowInsecureAuth accepts AUTH on a connection without TLS (a local
	// relay); otherwise AUTH is refused before TLS.
	AllowInsecureAuth bool
}

// Start runs a server until the test ends. AUTH is required before MAIL and
// is refused before TLS (unless AllowInsecureAuth); wrong credentials get
// 535, as real servers answer.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	cert, pemBytes := selfSigned(t)
	s := &Server{attempts: map[string]int{}, CertPEM: pemBytes}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	s.Client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}

	srv := smtp.NewServer(&backend{s: s})
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.AllowInsecureAuth = opt.AllowInsecureAuth
	srv.ErrorLog = discard{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if opt.ImplicitTLS {
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.Addr = ln.Addr().String()
	s.Host = "127.0.0.1"
	s.Port = ln.Addr().(*net.TCPAddr).Port
	return s
}

// SetFail installs a hook asked at each stage ("connect", "auth", "mail",
// "rcpt", "data") with how many times that stage was reached so far (from 1) and,
// at "rcpt", the recipient. It returns nil to go on, an *smtp.SMTPError to
// answer with, or ErrDrop.
func (s *Server) SetFail(f func(stage string, attempt int, rcpt string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = f
}

// Attempts returns how many times a stage ("connect", "auth", ...) was
// reached so far.
func (s *Server) Attempts(stage string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[stage]
}

// Messages returns what the server accepted so far, in order.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

func (s *Server) check(stage, rcpt string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts[stage]++
	if s.fail == nil {
		return nil
	}
	return s.fail(stage, s.attempts[stage], rcpt)
}

// Reply makes an SMTP error answer such as 451 or 550.
func Reply(code int, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: msg}
}

type backend struct{ s *Server }

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	if err := b.s.check("connect", ""); err != nil {
		if errors.Is(err, ErrDrop) {
			c.Conn().Close()
		}
		return nil, err
	}
	return &session{s: b.s, conn: c}, nil
}

type session struct {
	s      *Server
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if err := ss.s.check("auth", ""); err != nil {
			return err
		}
		if username != Username || password != Password {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	if err := ss.hook("mail", ""); err != nil {
		return err
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.hook("rcpt", to); err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	err = ss.s.check("data", "")
	if err != nil && !errors.Is(err, ErrKeepThenDrop) {
		if errors.Is(err, ErrDrop) {
			ss.conn.Conn().Close()
		}
		return err
	}
	rec := Received{From: ss.from, To: ss.to, Data: data}
	if m, err := mail.ReadMessage(bytes.NewReader(data)); err == nil {
		rec.MessageID = m.Header.Get("Message-ID")
	}
	ss.s.mu.Lock()
	ss.s.received = append(ss.s.received, rec)
	ss.s.mu.Unlock()
	if err != nil {
		ss.conn.Conn().Close()
	}
	return err
}

// hook asks the Fail hook about stage; ErrDrop closes the connection.
func (ss *session) hook(stage, rcpt string) error {
	err := ss.s.check(stage, rcpt)
	if errors.Is(err, ErrDrop) {
		ss.conn.Conn().Close()
	}
	return err
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

type discard struct{}

func (discard) Printf(string, ...any) {}
func (discard) Println(...any)        {}

// selfSigned makes a certificate for 127.0.0.1 and localhost.
func selfSigned(t testing.TB) (tls.Certificate, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtptest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pemBytes
}
