package feeds

// One test per hostile HTTP server in notes/hostile-inputs.md. Each server
// is real (httptest on loopback); time bounds are generous on purpose.

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
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

// #1: a total deadline, not a per-read timeout, stops a trickling server.
func TestHostileTrickle(t *testing.T) {
	handlers := map[string]http.HandlerFunc{
		"headers never come": func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		},
		"body one byte every 100ms": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-r.Context().Done():
					return
				case <-tick.C:
					w.Write([]byte("<"))
					w.(http.Flusher).Flush()
				}
			}
		},
	}
	for name, h := range handlers {
		t.Run(name, func(t *testing.T) {
			srv := serve(t, h)
			const timeout = time.Second
			start := time.Now()
			_, err := (&Fetcher{Allow: loopback, Timeout: timeout}).Fetch(context.Background(), Request{URL: srv.URL})
			elapsed := time.Since(start)
			fetchError(t, err, srv.URL)
			if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "too slow") {
				t.Errorf("error %q, want a timeout that blames the server", err)
			}
			if elapsed > 10*timeout {
				t.Errorf("Fetch took %v with a %v timeout", elapsed, timeout)
			}
		})
	}
}

// #2: the byte cap holds for chunked bodies and for an honest Content-Length.
func TestHostileEndlessBody(t *testing.T) {
	var written atomic.Int64
	endless := serve(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("<item>spam</item>"), 2000)
		for r.Context().Err() == nil {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	huge := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(1<<30))
		w.Write([]byte("<rss>")) // then hangs up: the client must not wait for the rest
	})
	f := &Fetcher{Allow: loopback, MaxBytes: 1 << 20}
	for _, srv := range []*httptest.Server{endless, huge} {
		_, err := f.Fetch(context.Background(), Request{URL: srv.URL})
		fetchError(t, err, srv.URL)
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "exceeds 1 MiB") {
			t.Errorf("error %q, want a too-large error naming the cap", err)
		}
	}
	if n := written.Load(); n > 1<<30 {
		t.Errorf("server wrote %d bytes before the client hung up", n)
	}
}

// zeroBomb builds a compressed stream of mib MiB of zeros by repeating one
// compressed MiB: its back-references never reach before it, so copies
// chain into a valid stream, and a 1 GiB bomb costs milliseconds, not seconds.
func zeroBomb(encoding string, mib int) (head, chunk, tail []byte) {
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	zeros := make([]byte, 1<<20)
	fw.Write(zeros)
	fw.Flush()
	chunk = bytes.Clone(buf.Bytes())
	buf.Reset()
	fw.Close() // the final, empty block
	tail = bytes.Clone(buf.Bytes())
	if encoding == "gzip" {
		head = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}
		var crc uint32
		for range mib {
			crc = crc32.Update(crc, crc32.IEEETable, zeros)
		}
		tail = binary.LittleEndian.AppendUint32(tail, crc)
		tail = binary.LittleEndian.AppendUint32(tail, uint32(mib<<20))
	}
	return head, chunk, tail
}

func serveBomb(t *testing.T, encoding string, mib int) *httptest.Server {
	head, chunk, tail := zeroBomb(encoding, mib)
	return serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("Content-Encoding", encoding)
		w.Write(head)
		for range mib {
			if _, err := w.Write(chunk); err != nil {
				return // the client hung up, as it should
			}
		}
		w.Write(tail)
	})
}

// The bomb must be a real one, or the next test proves nothing.
func TestHostileZeroBombIsValid(t *testing.T) {
	head, chunk, tail := zeroBomb("gzip", 3)
	stream := bytes.Join([][]byte{head, chunk, chunk, chunk, tail}, nil)
	zr, err := gzip.NewReader(bytes.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil || n != 3<<20 {
		t.Fatalf("bomb inflates to %d bytes (err %v), want 3 MiB", n, err)
	}
}

// #3: 1 GiB of zeros in about 1 MiB of gzip or deflate is cut off at the
// cap, decompressed as a stream: memory stays bounded.
func TestHostileGzipBomb(t *testing.T) {
	for _, encoding := range []string{"gzip", "deflate"} {
		t.Run(encoding, func(t *testing.T) {
			srv := serveBomb(t, encoding, 1024)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := (&Fetcher{Allow: loopback}).Fetch(context.Background(), Request{URL: srv.URL})
			runtime.ReadMemStats(&after)
			fetchError(t, err, srv.URL)
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "16 MiB after decompression") {
				t.Errorf("error %q, want the decompressed-size cap", err)
			}
			// TotalAlloc counts every byte allocated, freed or not: inflating
			// the whole bomb into memory would add 1 GiB or more.
			const bound = 200 << 20
			if grew := after.TotalAlloc - before.TotalAlloc; grew > bound {
				t.Errorf("allocated %d MiB during the fetch, want under %d MiB", grew>>20, bound>>20)
			}
			if after.HeapAlloc > before.HeapAlloc && after.HeapAlloc-before.HeapAlloc > bound {
				t.Errorf("heap grew by %d MiB", (after.HeapAlloc-before.HeapAlloc)>>20)
			}
		})
	}
}

// #4: loops are named as loops, and the hop limit holds.
func TestHostileRedirectLoop(t *testing.T) {
	var requests atomic.Int32
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path == "/feed" {
			http.Redirect(w, r, "/feed/", http.StatusMovedPermanently)
		} else {
			http.Redirect(w, r, "/feed", http.StatusMovedPermanently)
		}
	})
	_, err := (&Fetcher{Allow: loopback}).Fetch(context.Background(), Request{URL: srv.URL + "/feed"})
	fetchError(t, err, srv.URL+"/feed")
	if !strings.Contains(err.Error(), "redirect loop at "+srv.URL+"/feed") {
		t.Errorf("error %q, want a redirect loop at /feed", err)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("server got %d requests, want 2 (the loop seen on the second hop)", n)
	}
}

func TestHostileLongRedirectChain(t *testing.T) {
	var requests atomic.Int32
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/r/"))
		http.Redirect(w, r, "/r/"+strconv.Itoa(n+1), http.StatusFound)
	})
	_, err := (&Fetcher{Allow: loopback}).Fetch(context.Background(), Request{URL: srv.URL + "/r/0"})
	fetchError(t, err, srv.URL+"/r/0")
	if !strings.Contains(err.Error(), "stopped after 5 redirects") {
		t.Errorf("error %q, want the hop limit", err)
	}
	if n := requests.Load(); n != 6 {
		t.Errorf("server got %d requests, want 6 (the first and 5 hops)", n)
	}
}

func TestHostileHTTPSDowngrade(t *testing.T) {
	var plainRequests atomic.Int32
	plain := serve(t, func(w http.ResponseWriter, r *http.Request) {
		plainRequests.Add(1)
		io.WriteString(w, testRSS)
	})
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ok" {
			io.WriteString(w, testRSS)
			return
		}
		http.Redirect(w, r, plain.URL+"/feed", http.StatusMovedPermanently)
	}))
	t.Cleanup(secure.Close)
	f := &Fetcher{Allow: loopback, Client: secure.Client()} // trusts the test certificate

	if _, err := f.Fetch(context.Background(), Request{URL: secure.URL + "/ok"}); err != nil {
		t.Fatalf("plain https fetch failed, so the test cannot work: %v", err)
	}
	_, err := f.Fetch(context.Background(), Request{URL: secure.URL + "/feed"})
	fetchError(t, err, secure.URL+"/feed")
	if !strings.Contains(err.Error(), "downgrade") {
		t.Errorf("error %q, want a refused downgrade", err)
	}
	if n := plainRequests.Load(); n != 0 {
		t.Errorf("the plain http server got %d requests, want none", n)
	}
}

// #10: an HTML page is a typed "not a feed" error; a feed mislabelled
// text/html is still a feed.
func TestHostileHTMLInsteadOfFeed(t *testing.T) {
	tests := []struct {
		body        string
		wantNotFeed bool
	}{
		{"<!DOCTYPE html>\n<html><head><title>Just a moment...</title></head></html>", true},
		{"\uFEFF\r\n  <HTML><body>Please log in</body></HTML>", true},
		{"<!doctype html><p>We're sorry", true},
		{testRSS, false},
	}
	for _, tt := range tests {
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, tt.body)
		})
		_, err := (&Fetcher{Allow: loopback}).Fetch(context.Background(), Request{URL: srv.URL})
		if !tt.wantNotFeed {
			if err != nil {
				t.Errorf("a feed served as text/html was refused: %v", err)
			}
			continue
		}
		fetchError(t, err, srv.URL)
		if !errors.Is(err, ErrNotFeed) || !strings.Contains(err.Error(), "herald add "+srv.URL) {
			t.Errorf("body %.30q: error %q, want not-a-feed suggesting `herald add`", tt.body, err)
		}
	}
}

// #11: 200 with nothing in it is a transient failure, not an empty feed.
func TestHostileEmpty200(t *testing.T) {
	var gzipped bytes.Buffer
	zw := gzip.NewWriter(&gzipped)
	zw.Write([]byte(" \n\t "))
	zw.Close()
	tests := map[string]struct {
		encoding string
		body     []byte
	}{
		"content-length 0": {"", nil},
		"whitespace only":  {"", []byte("\uFEFF \r\n\t\n")},
		"gzip, no bytes":   {"gzip", nil},
		"gzip whitespace":  {"gzip", gzipped.Bytes()},
	}
	for name, tt := range tests {
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", `"empty"`)
			if tt.encoding != "" {
				w.Header().Set("Content-Encoding", tt.encoding)
			}
			w.Write(tt.body)
		})
		resp, err := (&Fetcher{Allow: loopback}).Fetch(context.Background(), Request{URL: srv.URL})
		if err == nil {
			t.Errorf("%s: got %+v, want an error (and no validators to store)", name, resp)
			continue
		}
		fe := fetchError(t, err, srv.URL)
		if fe.Status != http.StatusOK || !strings.Contains(err.Error(), "200 with an empty body") {
			t.Errorf("%s: error %q (status %d), want an empty-body error", name, err, fe.Status)
		}
	}
}

// #12: Retry-After as an HTTP date is honoured, clamped, or ignored when garbage.
func TestHostileRetryAfterDate(t *testing.T) {
	inAnHour := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	tests := []struct {
		name, header string
		check        func(got, fetched time.Time) bool
	}{
		{"IMF date", inAnHour.Format(http.TimeFormat), func(got, _ time.Time) bool { return got.Equal(inAnHour) }},
		{"RFC 850", inAnHour.Format(time.RFC850), func(got, _ time.Time) bool { return got.Equal(inAnHour) }},
		{"a year ahead", time.Now().AddDate(1, 0, 0).UTC().Format(http.TimeFormat), func(got, fetched time.Time) bool {
			return !got.After(fetched.Add(7 * 24 * time.Hour))
		}},
		{"in the past", "Wed, 21 Oct 2015 07:28:00 GMT", func(got, fetched time.Time) bool {
			return !got.IsZero() && !got.After(fetched)
		}},
		{"garbage", "soon-ish", func(got, _ time.Time) bool { return got.IsZero() }},
	}
	for _, tt := range tests {
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", tt.header)
			w.WriteHeader(http.StatusTooManyRequests)
		})
		_, err := (&Fetcher{Allow: loopback}).Fetch(context.Background(), Request{URL: srv.URL})
		fe := fetchError(t, err, srv.URL)
		if !tt.check(fe.RetryAfter, time.Now()) {
			t.Errorf("%s: Retry-After %q gave %v", tt.name, tt.header, fe.RetryAfter)
		}
	}
}

// #13: whatever the server does with its validators, the stored ones are
// the newest response's, and they are sent back exactly as received.
func TestHostileETagFlapping(t *testing.T) {
	var n atomic.Int32
	var sentINM, sentIMS atomic.Value
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		sentINM.Store(r.Header.Get("If-None-Match"))
		sentIMS.Store(r.Header.Get("If-Modified-Since"))
		switch i {
		case 1, 2: // a new ETag for the same body; Last-Modified goes backwards
			w.Header().Set("ETag", `W/"node-`+strconv.Itoa(int(i))+`"`)
			w.Header().Set("Last-Modified", time.Date(2026, 11, 10-int(i), 0, 0, 0, 0, time.UTC).Format(http.TimeFormat))
			io.WriteString(w, testRSS)
		case 3: // 304, yet with another ETag
			w.Header().Set("ETag", `"node-3"`)
			w.WriteHeader(http.StatusNotModified)
		default: // 304 without validators
			w.WriteHeader(http.StatusNotModified)
		}
	})
	f := &Fetcher{Allow: loopback}
	var req Request
	wantETags := []string{`W/"node-1"`, `W/"node-2"`, `"node-3"`, `"node-3"`}
	for i, want := range wantETags {
		req.URL = srv.URL
		resp, err := f.Fetch(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := sentINM.Load().(string); got != req.ETag {
			t.Errorf("request %d sent If-None-Match %q, want the stored %q", i+1, got, req.ETag)
		}
		if got, _ := sentIMS.Load().(string); got != req.LastModified {
			t.Errorf("request %d sent If-Modified-Since %q, want the stored %q", i+1, got, req.LastModified)
		}
		if resp.ETag != want {
			t.Errorf("response %d: ETag %q, want the newest %q", i+1, resp.ETag, want)
		}
		req.ETag, req.LastModified = resp.ETag, resp.LastModified
	}
	if want := time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC).Format(http.TimeFormat); req.LastModified != want {
		t.Errorf("stored Last-Modified %q, want the latest response's %q even though it went backwards", req.LastModified, want)
	}
}
