package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
)

// Unsubscriber checks and applies the signed unsubscribe links of the
// digest emails.
type Unsubscriber interface {
	// Check returns the address a token unsubscribes, changing nothing.
	Check(ctx context.Context, token string) (email string, err error)
	// Unsubscribe stops the digests to the token's address.
	Unsubscribe(ctx context.Context, token string) (email string, err error)
}

// ErrBadToken is what an Unsubscriber wraps for a forged, malformed or
// expired token; any other error is the server's fault.
var ErrBadToken = errors.New("invalid or expired unsubscribe link")

// unsubscribeView is the unsubscribe page in its three states.
type unsubscribeView struct {
	Token, Email string
	Done, Bad    bool
}

// unsubscribeForm is GET /unsubscribe?token=: a confirmation page whose
// button POSTs; a GET never unsubscribes (mail scanners follow links).
func (s *server) unsubscribeForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	email, err := s.opt.Unsubscriber.Check(r.Context(), token)
	s.unsubscribePage(w, r, token, email, false, err)
}

// unsubscribe is POST /unsubscribe?token=, from the confirmation form or
// a mail client's RFC 8058 one-click request; both send the body
// List-Unsubscribe=One-Click.
func (s *server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if r.PostFormValue("List-Unsubscribe") != "One-Click" {
		http.Error(w, "POST the body List-Unsubscribe=One-Click to unsubscribe", http.StatusBadRequest)
		return
	}
	token := r.URL.Query().Get("token")
	if token == "" {
		token = r.PostFormValue("token")
	}
	email, err := s.opt.Unsubscriber.Unsubscribe(r.Context(), token)
	if err == nil {
		s.log.Info("unsubscribed", "email", email)
	}
	s.unsubscribePage(w, r, token, email, err == nil, err)
}

func (s *server) unsubscribePage(w http.ResponseWriter, r *http.Request, token, email string, done bool, err error) {
	code := http.StatusOK
	v := unsubscribeView{Token: token, Email: email, Done: done}
	switch {
	case errors.Is(err, ErrBadToken):
		code, v.Bad = http.StatusForbidden, true
	case err != nil:
		s.fail(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := s.pages.ExecuteTemplate(&b, "unsubscribe.html", page{Title: "Unsubscribe", Topics: s.topics(), Body: v}); err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", pageTypes["html"])
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(b.Bytes())
}
