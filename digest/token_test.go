package digest

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestToken(t *testing.T) {
	secret := []byte("s3cret")
	exp := t0.Add(time.Hour)
	tok := NewToken(secret, "zoë@example.org", exp)
	if strings.ContainsAny(tok, "+/=?&% ") {
		t.Fatalf("token %q is not URL-safe", tok)
	}
	if email, err := ParseToken(secret, tok, t0); err != nil || email != "zoë@example.org" {
		t.Fatalf("parse = %q, %v", email, err)
	}
	if _, err := ParseToken(secret, tok, exp); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("expired token: %v", err)
	}
	if _, err := ParseToken([]byte("other"), tok, t0); !errors.Is(err, ErrBadToken) {
		t.Fatalf("token under another secret: %v", err)
	}
	// Forge: change the address (or the expiry) and keep the signature.
	p, sig, _ := strings.Cut(tok, ".")
	forged := NewToken([]byte("x"), "mallory@example.org", exp)
	fp, _, _ := strings.Cut(forged, ".")
	for _, bad := range []string{fp + "." + sig, p + "x." + sig, p + "." + sig[1:], p, "", "..", tok + "A"} {
		if _, err := ParseToken(secret, bad, t0); !errors.Is(err, ErrBadToken) {
			t.Fatalf("altered token %q: %v, want ErrBadToken", bad, err)
		}
	}
}
