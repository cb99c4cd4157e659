package digest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Unsubscribe tokens: base64url(expiry ":" email) "." base64url(HMAC-SHA256).
// The signature covers a fixed label too, so a token can never be taken
// for another kind of signed value made with the same secret.

// ErrBadToken means the token was not made by this Herald: forged,
// altered, truncated, or signed with another secret.
var ErrBadToken = errors.New("unsubscribe token is not valid: use the link from a recent digest")

// ErrTokenExpired means the token was genuine but is too old.
var ErrTokenExpired = errors.New("unsubscribe token has expired: use the link from a recent digest")

// TokenLifetime is how long the unsubscribe link in a digest keeps working:
// people unsubscribe from old mails too.
const TokenLifetime = 400 * 24 * time.Hour

const tokenLabel = "herald-unsubscribe:"

// Strict: a token whose last character differs only in unused bits is not
// the token NewToken made, and is refused.
var b64 = base64.RawURLEncoding.Strict()

// NewToken signs email with secret, valid until expires. The result is
// URL-safe.
func NewToken(secret []byte, email string, expires time.Time) string {
	payload := strconv.FormatInt(expires.Unix(), 10) + ":" + email
	return b64.EncodeToString([]byte(payload)) + "." + b64.EncodeToString(sign(secret, payload))
}

// ParseToken checks a token made by NewToken and returns the address it
// carries. It fails with ErrBadToken or ErrTokenExpired.
func ParseToken(secret []byte, token string, now time.Time) (string, error) {
	p, s, ok := strings.Cut(token, ".")
	if !ok {
		return "", ErrBadToken
	}
	payload, err1 := b64.DecodeString(p)
	mac, err2 := b64.DecodeString(s)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, sign(secret, string(payload))) {
		return "", ErrBadToken
	}
	// The decoder skips line breaks: only the exact text NewToken wrote
	// is the token.
	if b64.EncodeToString(payload) != p || b64.EncodeToString(mac) != s {
		return "", ErrBadToken
	}
	exp, email, ok := strings.Cut(string(payload), ":")
	unix, err := strconv.ParseInt(exp, 10, 64)
	if !ok || err != nil || email == "" {
		return "", ErrBadToken
	}
	if !now.Before(time.Unix(unix, 0)) {
		return "", ErrTokenExpired
	}
	return email, nil
}

func sign(secret []byte, payload string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(tokenLabel + payload))
	return m.Sum(nil)
}
