package digest

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ParseToken never panics and accepts only what NewToken made with the
// same secret (byte for byte); a token NewToken made parses back to its
// address until it expires, and never under another secret.
func FuzzToken(f *testing.F) {
	secret := []byte("fuzz secret")
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	good := NewToken(secret, "ann@example.org", now.Add(time.Hour))
	for _, s := range []struct {
		token, email string
		expires      int64
	}{
		{good, "ann@example.org", now.Add(time.Hour).Unix()},
		{good + "A", "bob@example.org", now.Unix()},
		{good[:len(good)-1], "", now.Add(-time.Hour).Unix()},
		{NewToken([]byte("other"), "ann@example.org", now.Add(time.Hour)), "a:b@c", -1},
		{"MTIzOmFAYg.", "x\x00y", 1 << 62},
		{"..", "\xff", -1 << 62},
		{"", "ann@example.org", 0},
	} {
		f.Add(s.token, s.email, s.expires)
	}
	f.Fuzz(func(t *testing.T, token, email string, expires int64) {
		got, err := ParseToken(secret, token, now)
		switch {
		case err == nil:
			exp, ok := expiryOf(token)
			if !ok || NewToken(secret, got, exp) != token {
				t.Fatalf("ParseToken accepted %q (as %q), which NewToken did not make", token, got)
			}
		case !errors.Is(err, ErrBadToken) && !errors.Is(err, ErrTokenExpired):
			t.Fatalf("ParseToken(%q): unexpected error %v", token, err)
		}

		at := time.Unix(expires, 0)
		made := NewToken(secret, email, at)
		got, err = ParseToken(secret, made, now)
		switch {
		case email == "":
			if err == nil {
				t.Fatalf("a token for no address was accepted: %q", made)
			}
		case !now.Before(at):
			if !errors.Is(err, ErrTokenExpired) {
				t.Fatalf("token expiring %v, parsed at %v: %q, %v; want ErrTokenExpired", at, now, got, err)
			}
		case err != nil || got != email:
			t.Fatalf("round trip of %q until %v: %q, %v", email, at, got, err)
		}
		if _, err := ParseToken([]byte("another secret"), made, now); !errors.Is(err, ErrBadToken) {
			t.Fatalf("a token made with another secret was not refused as bad: %v", err)
		}
	})
}

// expiryOf reads the expiry a token claims, without checking it.
func expiryOf(token string) (time.Time, bool) {
	p, _, _ := strings.Cut(token, ".")
	payload, err := b64.DecodeString(p)
	if err != nil {
		return time.Time{}, false
	}
	exp, _, _ := strings.Cut(string(payload), ":")
	unix, err := strconv.ParseInt(exp, 10, 64)
	return time.Unix(unix, 0), err == nil
}
