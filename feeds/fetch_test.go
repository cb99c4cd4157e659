package feeds

import (
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const testRSS = `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Test</title><link>https://example.org/</link>
<item><title>One</title><link>https://example.org/1</link><guid>1</guid></item>
</channel></rss>
`

// serve starts a loopback server for one test.
func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// fetchError asserts err is a *FetchError naming feedURL and returns it.
func fetchError(t *testing.T, err error, feedURL string) *FetchError {
	t.Helper()
	var fe *FetchError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *FetchError", err, err)
	}
	if fe.URL != feedURL || !strings.Contains(err.Error(), feedURL) {
		t.Errorf("error %q should name the feed URL %s", err, feedURL)
	}
	return fe
}

func TestFetchConditionalGET(t *testing.T) {
	const etag, lastMod = `"v1-abc"`, "Mon, 02 Nov 2026 10:00:00 GMT"
	var notModified atomic.Int32
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == etag && r.Header.Get("If-Modified-Since") == lastMod {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified) // no validators: the client keeps its own
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		io.WriteString(w, testRSS)
	})
	f := &Fetcher{Allow: loopback}
	first, err := f.Fetch(context.Background(), Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if first.NotModified || string(first.Body) != testRSS || first.ETag != etag || first.LastModified != lastMod {
		t.Fatalf("first fetch: got %+v", first)
	}
	req := Request{URL: srv.URL, ETag: first.ETag, LastModified: first.LastModified}
	for i := range 2 {
		resp, err := f.Fetch(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if !resp.NotModified || resp.Body != nil {
			t.Fatalf("fetch %d: want a 304 without body, got %+v", i+2, resp)
		}
		if resp.ETag != etag || resp.LastModified != lastMod {
			t.Errorf("fetch %d: validators %q %q, want the stored ones kept", i+2, resp.ETag, resp.LastModified)
		}
		req.ETag, req.LastModified = resp.ETag, resp.LastModified
	}
	if n := notModified.Load(); n != 2 {
		t.Errorf("server answered 304 %d times, want 2", n)
	}
}

func TestFetchDecompresses(t *testing.T) {
	tests := []struct {
		name, encoding string
		compress       func(io.Writer) io.WriteCloser
	}{
		{"gzip", "gzip", func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) }},
		{"zlib deflate", "deflate", func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) }},
		{"raw deflate", "deflate", func(w io.Writer) io.WriteCloser { zw, _ := flate.NewWriter(w, 5); return zw }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
					t.Errorf("Accept-Encoding %q does not offer gzip", r.Header.Get("Accept-Encoding"))
				}
				w.Header().Set("Content-Encoding", tt.encoding)
				zw := tt.compress(w)
				io.WriteString(zw, testRSS)
				zw.Close()
			})
			resp, err := (&Fetcher{Allow: loopback}).Fetch(context.Background(), Request{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			if string(resp.Body) != testRSS {
				t.Errorf("body = %q, want the decompressed feed", resp.Body)
			}
		})
	}
}

// redirector serves a chain of redirects described as path -> (status, target).
func redirector(t *testing.T, hops map[string]redirect, seenINM *atomic.Value) *httptest.Server {
	return serve(t, func(w http.ResponseWriter, r *http.Request) {
		if hop, ok := hops[r.URL.Path]; ok {
			http.Redirect(w, r, hop.to, hop.status)
			return
		}
		seenINM.Store(r.Header.Get("If-None-Match"))
		io.WriteString(w, testRSS)
	})
}

type redirect struct {
	status int
	to     string
}

func TestFetchRedirects(t *testing.T) {
	tests := []struct {
		name          string
		hops          map[string]redirect
		wantPermanent bool
	}{
		{"301 then 308", map[string]redirect{"/a": {301, "/b"}, "/b": {308, "/feed"}}, true},
		{"301 then 302", map[string]redirect{"/a": {301, "/b"}, "/b": {302, "/feed"}}, false},
		{"302 only", map[string]redirect{"/a": {302, "/feed"}}, false},
		{"307 only", map[string]redirect{"/a": {307, "/feed"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seenINM atomic.Value
			srv := redirector(t, tt.hops, &seenINM)
			resp, err := (&Fetcher{Allow: loopback}).Fetch(context.Background(), Request{URL: srv.URL + "/a", ETag: `"e"`})
			if err != nil {
				t.Fatal(err)
			}
			if resp.URL != srv.URL+"/feed" {
				t.Errorf("URL = %q, want the final one", resp.URL)
			}
			want := ""
			if tt.wantPermanent {
				want = srv.URL + "/feed"
			}
			if resp.PermanentURL != want {
				t.Errorf("PermanentURL = %q, want %q", resp.PermanentURL, want)
			}
			if got, _ := seenINM.Load().(string); got != `"e"` {
				t.Errorf("final hop got If-None-Match %q, want the conditional header kept", got)
			}
		})
	}
}

func TestFetchNoRedirectNoPermanentURL(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, testRSS) })
	resp, err := (&Fetcher{Allow: loopback}).Fetch(context.Background(), Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if resp.PermanentURL != "" || resp.URL != srv.URL {
		t.Errorf("URL %q PermanentURL %q, want %q and none", resp.URL, resp.PermanentURL, srv.URL)
	}
}

func TestFetchRetryAfterSeconds(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(status)
		})
		before := time.Now()
		_, err := (&Fetcher{Allow: loopback}).Fetch(context.Background(), Request{URL: srv.URL})
		after := time.Now()
		fe := fetchError(t, err, srv.URL)
		if fe.Status != status || fe.Permanent {
			t.Errorf("status %d permanent %v, want %d and not permanent", fe.Status, fe.Permanent, status)
		}
		if fe.RetryAfter.Before(before.Add(120*time.Second)) || fe.RetryAfter.After(after.Add(120*time.Second)) {
			t.Errorf("RetryAfter %v, want about 120 s after %v", fe.RetryAfter, before)
		}
		if !strings.Contains(err.Error(), http.StatusText(status)) || !strings.Contains(err.Error(), "retrying after") {
			t.Errorf("message %q should give the status and when Herald retries", err)
		}
	}
}

func TestFetchStatusErrors(t *testing.T) {
	tests := []struct {
		status        int
		wantGone      bool
		wantInMessage string
	}{
		{http.StatusGone, true, "410 Gone"},
		{http.StatusUnauthorized, false, "login"},
		{http.StatusForbidden, false, "forbidden"},
		{http.StatusNotFound, false, "404 Not Found"},
		{http.StatusInternalServerError, false, "500 Internal Server Error"},
		{http.StatusTooManyRequests, false, "backing off"}, // no Retry-After
	}
	for _, tt := range tests {
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(tt.status) })
		_, err := (&Fetcher{Allow: loopback}).Fetch(context.Background(), Request{URL: srv.URL})
		fe := fetchError(t, err, srv.URL)
		if fe.Status != tt.status || fe.Permanent != tt.wantGone || errors.Is(err, ErrGone) != tt.wantGone {
			t.Errorf("%d: status %d permanent %v gone %v, want gone=%v",
				tt.status, fe.Status, fe.Permanent, errors.Is(err, ErrGone), tt.wantGone)
		}
		if !strings.Contains(err.Error(), tt.wantInMessage) {
			t.Errorf("%d: message %q should contain %q", tt.status, err, tt.wantInMessage)
		}
		if !fe.RetryAfter.IsZero() {
			t.Errorf("%d: RetryAfter %v without a Retry-After header", tt.status, fe.RetryAfter)
		}
	}
}

func TestFetchFreshness(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		want    time.Duration // 0: no freshness
	}{
		{"max-age", map[string]string{"Cache-Control": "public, max-age=600"}, 600 * time.Second},
		{"s-maxage", map[string]string{"Cache-Control": "s-maxage=300"}, 300 * time.Second},
		{"expires", map[string]string{"Expires": time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}, time.Hour},
		{"no-cache wins", map[string]string{"Cache-Control": "max-age=600, no-cache"}, 0},
		{"none", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.headers {
					w.Header().Set(k, v)
				}
				io.WriteString(w, testRSS)
			})
			resp, err := (&Fetcher{Allow: loopback}).Fetch(context.Background(), Request{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == 0 {
				if !resp.FreshUntil.IsZero() {
					t.Errorf("FreshUntil = %v, want zero", resp.FreshUntil)
				}
				return
			}
			// Expires has one-second resolution: allow a few seconds either way.
			if d := resp.FreshUntil.Sub(resp.FetchedAt); d < tt.want-3*time.Second || d > tt.want+3*time.Second {
				t.Errorf("FreshUntil is %v after the fetch, want about %v", d, tt.want)
			}
		})
	}
}

func TestFetchUserAgentNamesHerald(t *testing.T) {
	var ua, accept atomic.Value
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		ua.Store(r.UserAgent())
		accept.Store(r.Header.Get("Accept"))
		io.WriteString(w, testRSS)
	})
	if _, err := (&Fetcher{Allow: loopback}).Fetch(context.Background(), Request{URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	if got := ua.Load().(string); !strings.HasPrefix(got, "Herald/") {
		t.Errorf("User-Agent %q does not name Herald", got)
	}
	if got := accept.Load().(string); !strings.HasPrefix(got, "application/rss+xml") {
		t.Errorf("Accept %q does not prefer feeds", got)
	}
	if _, err := (&Fetcher{Allow: loopback, UserAgent: "Herald-test/1"}).Fetch(context.Background(), Request{URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	if got := ua.Load().(string); got != "Herald-test/1" {
		t.Errorf("User-Agent %q, want the configured one", got)
	}
}

func TestFetchContextCancel(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	})
	ctx, cancel := context.WithCancel(context.Background())
	timer := time.AfterFunc(100*time.Millisecond, cancel)
	defer timer.Stop()
	start := time.Now()
	_, err := (&Fetcher{Allow: loopback, Timeout: time.Minute}).Fetch(ctx, Request{URL: srv.URL})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("error %v, want context.Canceled and not a timeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Fetch returned %v after cancel; want prompt", d)
	}
}

func TestFetchRejectsOtherSchemes(t *testing.T) {
	_, err := (&Fetcher{Allow: loopback}).Fetch(context.Background(), Request{URL: "file:///etc/passwd"})
	fetchError(t, err, "file:///etc/passwd")
	if !strings.Contains(err.Error(), "scheme") {
		t.Errorf("message %q should explain the scheme", err)
	}
}

func TestFetchSizeString(t *testing.T) {
	for n, want := range map[int64]string{16 << 20: "16 MiB", 512 << 10: "512 KiB", 1000: "1000 bytes"} {
		if got := sizeString(n); got != want {
			t.Errorf("sizeString(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFetchSniffMarkup(t *testing.T) {
	tests := map[string]string{
		testRSS:                         "application/rss+xml",
		"\uFEFF  <!DOCTYPE html><html>": "text/html",
		"\n<html lang=en>":              "text/html",
		"<?xml version='1.0'?>\n<!-- c --><feed>":  "application/atom+xml",
		`<?xml-stylesheet href="x"?><rdf:RDF>`:     "application/rdf+xml",
		`<!DOCTYPE rss [<!ENTITY a "b">]><rss>`:    "application/rss+xml",
		`<?xml version="1.0"?><!DOCTYPE html><ht>`: "text/html",
		"plain text": "",
		"":           "",
	}
	for in, want := range tests {
		if got := sniffMarkup([]byte(in)); got != want {
			t.Errorf("sniffMarkup(%q) = %q, want %q", in, got, want)
		}
	}
	if got := sniffType([]byte(`{"version": "https:\/\/jsonfeed.org\/version\/1", "items": []}`)); got != "application/feed+json" {
		t.Errorf("sniffType(JSON Feed) = %q", got)
	}
	if got := sniffType([]byte(`{"rss": {"version": "2.0"}}`)); got != "" {
		t.Errorf("sniffType(other JSON) = %q, want unsure", got)
	}
}

// A body whose size the server announces (Content-Length) is read into
// one allocation of that size: reading a large feed must not cost several
// times the feed (io.ReadAll's growth allocated 2.3 times the body). A
// body of unknown size is read in chunks, then joined (readAll).
func TestFetchReadsLargeBodiesOnce(t *testing.T) {
	body := []byte(strings.Repeat("<!-- padding to make a large document -->\n", 24<<20/44) + testRSS)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
	f := &Fetcher{Allow: loopback, MaxBytes: 64 << 20}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	resp, err := f.Fetch(context.Background(), Request{URL: srv.URL})
	runtime.ReadMemStats(&after)
	if err != nil || len(resp.Body) != len(body) {
		t.Fatalf("fetch: %v, %d bytes", err, len(resp.Body))
	}
	if got, limit := float64(after.TotalAlloc-before.TotalAlloc), 1.2*float64(len(body)); got > limit {
		t.Errorf("reading a %d MB body allocated %.0f MB, want at most %.0f MB", len(body)>>20, got/(1<<20), limit/(1<<20))
	}
}
