package feeds

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Real pages captured by NetNewsWire for its autodiscovery tests, read from
// the shared corpus (they are their publishers' content: not copied here).
func TestDiscoverFromRealPages(t *testing.T) {
	tests := []struct {
		file string
		want func(site string) []Link
	}{
		{"DaringFireball.html", func(site string) []Link {
			return []Link{{URL: site + "/feeds/main", Type: "application/atom+xml"}}
		}},
		{"coco.html", func(site string) []Link {
			return []Link{
				{URL: site + "/feed/all/", Title: "The Atlantic", Type: "application/rss+xml"},
				{URL: site + "/feed/best-of/", Title: "Best of The Atlantic", Type: "application/rss+xml"},
			}
		}},
		{"inessential.html", func(string) []Link {
			return []Link{{URL: "http://inessential.com/xml/rss.xml", Title: "RSS", Type: "application/rss+xml"}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			page, err := os.ReadFile(filepath.Join(corpusDir, "netnewswire", tt.file))
			if errors.Is(err, os.ErrNotExist) {
				t.Skipf("skipping: %s is absent (the shared data sets live beside the repo)", corpusDir)
			}
			if err != nil {
				t.Fatal(err)
			}
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/" {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Write(page)
			})
			got, err := Discover(context.Background(), &Fetcher{Allow: loopback}, srv.URL+"/")
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.want(srv.URL); !reflect.DeepEqual(got, want) {
				t.Errorf("Discover = %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestDiscoverReadsLinkTags(t *testing.T) {
	const page = `<!DOCTYPE html><html><head>
<base href="https://cdn.example.org/blog/">
<base href="https://ignored.example.org/">
<link rel="stylesheet" type="text/css" href="style.css">
<link rel="Alternate" type="application/atom+xml; charset=utf-8" href="atom.xml" title=" Posts ">
<link rel="alternate" type="application/rss+xml" href="/rss.xml">
<link rel="alternate" type="application/rss+xml" href="https://cdn.example.org/rss.xml">
<link rel="alternate" type="application/json+oembed" href="/oembed?url=x">
<link rel="alternate" type="application/json" href="https://example.org/wp-json/wp/v2/pages/7">
<link rel="alternate" type="application/feed+json" href="feed.json">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
<link rel="alternate" hreflang="fr" href="/fr/">
</head><body><link rel="alternate" type="application/rdf+xml" href="../index.rdf"></body></html>`
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, page) })
	got, err := Discover(context.Background(), &Fetcher{Allow: loopback}, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	want := []Link{
		{URL: "https://cdn.example.org/blog/atom.xml", Title: "Posts", Type: "application/atom+xml"},
		{URL: "https://cdn.example.org/rss.xml", Type: "application/rss+xml"},
		{URL: "https://cdn.example.org/blog/feed.json", Type: "application/feed+json"},
		{URL: "https://cdn.example.org/index.rdf", Type: "application/rdf+xml"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Discover = %+v\nwant %+v", got, want)
	}
}

// Relative links resolve against where the page really is, after redirects.
func TestDiscoverResolvesAgainstRedirectedPage(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new/page.html", http.StatusFound)
			return
		}
		io.WriteString(w, `<html><link rel="alternate" type="application/rss+xml" href="feed.xml"></html>`)
	})
	got, err := Discover(context.Background(), &Fetcher{Allow: loopback}, srv.URL+"/old")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].URL != srv.URL+"/new/feed.xml" {
		t.Errorf("Discover = %+v, want %s/new/feed.xml", got, srv.URL)
	}
}

func TestDiscoverGivenAFeed(t *testing.T) {
	bodies := map[string]string{
		"/rss":  testRSS,
		"/json": `{"version": "https:\/\/jsonfeed.org\/version\/1.1", "title": "J", "items": []}`,
	}
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html") // wrong on purpose: the body decides
		io.WriteString(w, bodies[r.URL.Path])
	})
	wantTypes := map[string]string{"/rss": "application/rss+xml", "/json": "application/feed+json"}
	for path, wantType := range wantTypes {
		got, err := Discover(context.Background(), &Fetcher{Allow: loopback}, srv.URL+path)
		if err != nil {
			t.Fatal(err)
		}
		want := []Link{{URL: srv.URL + path, Type: wantType}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Discover(%s) = %+v, want %+v", path, got, want)
		}
	}
}

func TestDiscoverProbesCommonPaths(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/blog/post":
			io.WriteString(w, `<!doctype html><html><head><title>No feed links</title></head></html>`)
		case "/feed":
			io.WriteString(w, `<!doctype html><p>a soft 404`)
		case "/rss.xml":
			io.WriteString(w, testRSS)
		case "/atom.xml":
			http.Redirect(w, r, "/rss.xml", http.StatusFound) // the same feed again
		case "/index.xml":
			io.WriteString(w, `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>`)
		default:
			http.NotFound(w, r)
		}
	})
	got, err := Discover(context.Background(), &Fetcher{Allow: loopback}, srv.URL+"/blog/post")
	if err != nil {
		t.Fatal(err)
	}
	want := []Link{
		{URL: srv.URL + "/rss.xml", Type: "application/rss+xml"},
		{URL: srv.URL + "/index.xml", Type: "application/atom+xml"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Discover = %+v\nwant %+v", got, want)
	}
}

func TestDiscoverNothingFound(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, `<html><head><link rel="alternate" hreflang="de" href="/de/"></head></html>`)
	})
	_, err := Discover(context.Background(), &Fetcher{Allow: loopback}, srv.URL+"/")
	if err == nil {
		t.Fatal("Discover found a feed on a page without any")
	}
	if !strings.Contains(err.Error(), srv.URL+"/") || !strings.Contains(err.Error(), "give the feed's URL directly") {
		t.Errorf("error %q should name the page and suggest giving the feed URL", err)
	}
}

func TestDiscoverPageFails(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) })
	_, err := Discover(context.Background(), &Fetcher{Allow: loopback}, srv.URL)
	var fe *FetchError
	if !errors.As(err, &fe) || fe.Status != http.StatusForbidden {
		t.Errorf("error %v, want the page's FetchError with status 403", err)
	}
}
