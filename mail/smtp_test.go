package mail

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"herald/mail/smtptest"
)

func testMailer(srv *smtptest.Server, mode string) *Mailer {
	return &Mailer{Host: srv.Host, Port: srv.Port, TLS: mode, Username: smtptest.Username,
		Password: smtptest.Password, TLSConfig: srv.Client}
}

func TestMailerDeliversOverStartTLSAndImplicitTLS(t *testing.T) {
	msg := struct {
		ID    string
		Bytes []byte
	}{"<digest.1@herald.example>", []byte("Message-ID: <digest.1@herald.example>\r\nSubject: Briefing\r\n\r\nToday: Zürich =?\r\n.leading dot\r\n")}
	for _, mode := range []string{"starttls", "implicit"} {
		srv := smtptest.Start(t, smtptest.Options{ImplicitTLS: mode == "implicit"})
		if err := testMailer(srv, mode).Send(context.Background(), "news@herald.example", "zoe@example.org", bytes.NewReader(msg.Bytes), nil); err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		got := srv.Messages()
		if len(got) != 1 || got[0].MessageID != msg.ID || got[0].To[0] != "zoe@example.org" {
			t.Fatalf("%s: received %+v", mode, got)
		}
		if !bytes.Equal(bytes.TrimRight(got[0].Data, "\r\n"), bytes.TrimRight(msg.Bytes, "\r\n")) {
			t.Fatalf("%s: the server received other bytes than were sent", mode)
		}
	}
}

func TestMailerClassifiesFailures(t *testing.T) {
	cases := []struct {
		name, stage string
		fail        error
		permanent   bool
	}{
		{"421 at connect", "connect", smtptest.Reply(421, "busy"), false},
		{"451 after data", "data", smtptest.Reply(451, "try later"), false},
		{"550 for the recipient", "rcpt", smtptest.Reply(550, "no such user"), true},
		{"554 for the message", "data", smtptest.Reply(554, "rejected"), true},
		{"dropped after data", "data", smtptest.ErrDrop, false}, // unconfirmed: TestMailerHandover
		{"dropped at connect", "connect", smtptest.ErrDrop, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.Options{})
			srv.SetFail(func(stage string, _ int, _ string) error {
				if stage == c.stage {
					return c.fail
				}
				return nil
			})
			err := testMailer(srv, "starttls").Send(context.Background(), "a@herald.example", "b@example.org", bytes.NewReader([]byte("Subject: x\r\n\r\nhi\r\n")), nil)
			var se *SendError
			if !errors.As(err, &se) || se.Permanent != c.permanent {
				t.Fatalf("err = %v, want a SendError with permanent=%v", err, c.permanent)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Fatalf("%d messages accepted", n)
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{})
		m := testMailer(srv, "starttls")
		m.Password = "wrong"
		err := m.Send(context.Background(), "a@herald.example", "b@example.org", bytes.NewReader([]byte("\r\nhi\r\n")), nil)
		var se *SendError
		if !errors.As(err, &se) || se.Stage != "auth" || !se.Permanent || !IsLoginRefused(err) {
			t.Fatalf("err = %v, want a refused login (535: permanent until the credentials change)", err)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{})
		m := testMailer(srv, "starttls")
		m.TLSConfig = nil
		if err := m.Send(context.Background(), "a@herald.example", "b@example.org", bytes.NewReader([]byte("\r\nhi\r\n")), nil); err == nil || IsPermanent(err) {
			t.Fatalf("err = %v, want a temporary TLS failure", err)
		}
	})
}

// A password never goes over a connection without TLS unless the operator
// allowed it: the mailer refuses before connecting.
func TestMailerRefusesPlaintextAuth(t *testing.T) {
	msg := bytes.NewReader([]byte("Subject: x\r\n\r\nhi\r\n"))
	srv := smtptest.Start(t, smtptest.Options{AllowInsecureAuth: true})
	m := testMailer(srv, "none")
	err := m.Send(context.Background(), "a@herald.example", "b@example.org", msg, nil)
	if !IsLoginRefused(err) || !strings.Contains(err.Error(), "allow_insecure_auth") || srv.Attempts("connect") != 0 {
		t.Fatalf("err = %v after %d connections; want a refusal naming smtp.allow_insecure_auth, before connecting", err, srv.Attempts("connect"))
	}
	m.AllowInsecureAuth = true
	if err := m.Send(context.Background(), "a@herald.example", "b@example.org", msg, nil); err != nil || len(srv.Messages()) != 1 {
		t.Fatalf("with allow_insecure_auth: %v, %d messages", err, len(srv.Messages()))
	}
}

// The handover hook runs once the recipient is accepted and before the
// message goes; a connection lost while the answer is awaited leaves the
// delivery unconfirmed, an answer does not.
func TestMailerHandover(t *testing.T) {
	msg := []byte("Subject: x\r\n\r\nhi\r\n")
	send := func(srv *smtptest.Server, handover func() error) error {
		return testMailer(srv, "starttls").Send(context.Background(), "a@herald.example", "b@example.org", bytes.NewReader(msg), handover)
	}
	srv := smtptest.Start(t, smtptest.Options{})
	srv.SetFail(func(stage string, _ int, _ string) error {
		if stage == "rcpt" {
			return smtptest.Reply(450, "mailbox busy")
		}
		return nil
	})
	called := false
	if err := send(srv, func() error { called = true; return nil }); err == nil || called {
		t.Fatalf("a refused recipient: %v, handover called %v; want no handover", err, called)
	}
	srv.SetFail(func(stage string, _ int, _ string) error {
		if stage == "data" {
			return smtptest.ErrKeepThenDrop
		}
		return nil
	})
	err := send(srv, func() error { called = true; return nil })
	if !called || !IsUnconfirmed(err) || IsPermanent(err) || len(srv.Messages()) != 1 {
		t.Fatalf("kept, then no answer: %v (handover %v, %d kept); want an unconfirmed delivery", err, called, len(srv.Messages()))
	}
	srv.SetFail(func(stage string, _ int, _ string) error {
		if stage == "data" {
			return smtptest.Reply(451, "try later")
		}
		return nil
	})
	if err := send(srv, nil); err == nil || IsUnconfirmed(err) {
		t.Fatalf("an answer of 451: %v; want a plain temporary failure", err)
	}
	stop := errors.New("the store is down")
	srv.SetFail(nil)
	if err := send(srv, func() error { return stop }); !errors.Is(err, stop) || len(srv.Messages()) != 1 {
		t.Fatalf("handover failed: %v, %d messages; want the error and nothing sent", err, len(srv.Messages()))
	}
}
