package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }

func TestHealthAndReadiness(t *testing.T) {
	for _, tc := range []struct {
		path string
		err  error
		want int
	}{
		{"/healthz", nil, http.StatusOK},
		{"/readyz", nil, http.StatusOK},
		{"/readyz", errors.New("database is locked"), http.StatusServiceUnavailable},
		{"/nope", nil, http.StatusNotFound},
	} {
		srv := httptest.NewServer(New(pinger{tc.err}))
		resp, err := http.Get(srv.URL + tc.path)
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s with store error %v: %d, want %d", tc.path, tc.err, resp.StatusCode, tc.want)
		}
	}
}
