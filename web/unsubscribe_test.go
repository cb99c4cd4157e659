package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// fakeUnsub accepts the token "good" for ann@example.org and records
// unsubscriptions; every other token is forged.
type fakeUnsub struct {
	mu   *sync.Mutex
	done *[]string
}

func (f fakeUnsub) Check(_ context.Context, token string) (string, error) {
	if token != "good" {
		return "", fmt.Errorf("token %.10q: %w", token, ErrBadToken)
	}
	return "ann@example.org", nil
}

func (f fakeUnsub) Unsubscribe(ctx context.Context, token string) (string, error) {
	email, err := f.Check(ctx, token)
	if err == nil && f.done != nil {
		f.mu.Lock()
		*f.done = append(*f.done, email)
		f.mu.Unlock()
	}
	return email, err
}

func TestUnsubscribe(t *testing.T) {
	var done []string
	unsub := fakeUnsub{mu: &sync.Mutex{}, done: &done}
	st, _ := fixture(t)
	srv := serve(t, st, Options{Unsubscriber: unsub})
	post := func(token, body string) (int, string) {
		resp, err := http.Post(srv.URL+"/unsubscribe?token="+url.QueryEscape(token),
			"application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}

	code, page, _ := get(t, srv.URL+"/unsubscribe?token=good")
	if code != 200 || !strings.Contains(page, "ann@example.org") || !strings.Contains(page, `method="post"`) ||
		!strings.Contains(page, `action="/unsubscribe?token=good"`) {
		t.Fatalf("GET with a good token: %d\n%s", code, page)
	}
	if len(done) != 0 {
		t.Fatal("a GET unsubscribed")
	}
	for _, token := range []string{"forged", ""} {
		if code, _, _ := get(t, srv.URL+"/unsubscribe?token="+token); code != http.StatusForbidden {
			t.Errorf("GET with token %q: %d, want 403", token, code)
		}
		if code, _ := post(token, "List-Unsubscribe=One-Click"); code != http.StatusForbidden {
			t.Errorf("POST with token %q: %d, want 403", token, code)
		}
	}
	if code, _ := post("good", "something=else"); code != http.StatusBadRequest {
		t.Errorf("POST without List-Unsubscribe=One-Click: %d, want 400", code)
	}
	if len(done) != 0 {
		t.Fatalf("bad requests unsubscribed %v", done)
	}
	if code, _ := post("good", "List-Unsubscribe=One-Click"); code != 200 || len(done) != 1 || done[0] != "ann@example.org" {
		t.Errorf("one-click POST: %d, unsubscribed %v", code, done)
	}
}
