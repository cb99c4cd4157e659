package feeds

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// loopback is what the package's tests allow: their servers are httptest
// servers on 127.0.0.1, which a zero Fetcher refuses.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

func TestCheckAddrRanges(t *testing.T) {
	cases := []struct {
		addr string
		kind string // "" when the address is public and allowed
	}{
		{"127.0.0.1", "loopback"},
		{"127.255.255.254", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"10.0.0.5", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"::ffff:10.1.2.3", "private"},
		{"::ffff:192.168.0.1", "private"},
		{"fc00::1", "private"},
		{"fd00:ec2::254", "private"}, // AWS IPv6 metadata
		{"169.254.169.254", "link-local"},
		{"::ffff:169.254.169.254", "link-local"},
		{"169.254.0.1", "link-local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"::", "unspecified"},
		{"::ffff:0.0.0.0", "unspecified"},
		{"100.64.0.1", "carrier-grade NAT"},
		{"100.127.255.255", "carrier-grade NAT"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"ff02::1", "multicast"},
		{"255.255.255.255", "reserved"},
		// IPv6 transition forms that carry an internal IPv4 address.
		{"64:ff9b::10.0.0.1", "NAT64 of private"},
		{"64:ff9b::169.254.169.254", "NAT64 of link-local"},
		{"64:ff9b:1::7f00:1", "NAT64 of loopback"},
		{"2002:c0a8:0101::1", "6to4 of private"},
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo of loopback"}, // ^80ff:fffe = 127.0.0.1
		{"::127.0.0.1", "IPv4-compatible form of loopback"},
		{"64:ff9b::8.8.8.8", ""},
		{"2002:0808:0808::1", ""},
		// Public neighbours of the ranges above.
		{"8.8.8.8", ""},
		{"172.15.255.255", ""},
		{"172.32.0.0", ""},
		{"100.63.255.255", ""},
		{"100.128.0.0", ""},
		{"169.253.255.255", ""},
		{"11.0.0.1", ""},
		{"2001:4860:4860::8888", ""},
		{"::ffff:8.8.8.8", ""},
		{"fec0::1", ""}, // deprecated site-local, routed as global unicast today
	}
	for _, c := range cases {
		err := CheckAddr(netip.MustParseAddr(c.addr), nil)
		switch {
		case c.kind == "" && err != nil:
			t.Errorf("%s: refused (%v), want allowed", c.addr, err)
		case c.kind != "" && err == nil:
			t.Errorf("%s: allowed, want refused as %s", c.addr, c.kind)
		case c.kind != "" && !errors.Is(err, ErrForbiddenAddress):
			t.Errorf("%s: error %v does not match ErrForbiddenAddress", c.addr, err)
		case c.kind != "" && !strings.Contains(err.Error(), c.kind):
			t.Errorf("%s: error %q does not say %q", c.addr, err, c.kind)
		}
	}
}

func TestCheckAddrAllowList(t *testing.T) {
	allow := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("::1/128")}
	for addr, allowed := range map[string]bool{
		"10.1.2.3":        true,
		"::ffff:10.1.2.3": true, // mapped form of an allowed address
		"10.2.0.1":        false,
		"::1":             true,
		"127.0.0.1":       false, // ::1 allowed does not allow IPv4 loopback
	} {
		if err := CheckAddr(netip.MustParseAddr(addr), allow); (err == nil) != allowed {
			t.Errorf("%s with allow %v: error %v, want allowed=%v", addr, allow, err, allowed)
		}
	}
}

func feedServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(`<rss version="2.0"><channel><title>t</title></channel></rss>`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// wantRefused checks err is the clear per-feed refusal naming addr.
func wantRefused(t *testing.T, err error, addr string) {
	t.Helper()
	var fe *FetchError
	switch {
	case err == nil:
		t.Fatalf("fetch succeeded, want it refused as an internal address")
	case !errors.As(err, &fe):
		t.Fatalf("error %T %v is not a *FetchError", err, err)
	case !errors.Is(err, ErrForbiddenAddress):
		t.Fatalf("error %v does not match ErrForbiddenAddress", err)
	case !strings.Contains(err.Error(), "address "+addr+" is loopback"),
		!strings.Contains(err.Error(), "poll.allow_networks"):
		t.Fatalf("error %q should name address %s and the fix (poll.allow_networks)", err, addr)
	}
}

func TestFetchRefusesLoopbackUnlessAllowed(t *testing.T) {
	srv := feedServer(t)
	_, err := (&Fetcher{}).Fetch(context.Background(), Request{URL: srv.URL})
	wantRefused(t, err, "127.0.0.1")

	resp, err := (&Fetcher{Allow: loopback}).Fetch(context.Background(), Request{URL: srv.URL})
	if err != nil {
		t.Fatalf("loopback allowed: %v", err)
	}
	if !strings.Contains(string(resp.Body), "<rss") {
		t.Errorf("loopback allowed: body %q, want the feed", resp.Body)
	}
}

func TestFetchRefusesHostnameResolvingToLoopback(t *testing.T) {
	srv := feedServer(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", "localhost")
	if err != nil || len(addrs) == 0 {
		t.Skipf("localhost does not resolve here: %v", err)
	}
	_, err = (&Fetcher{}).Fetch(context.Background(), Request{URL: "http://localhost:" + port + "/"})
	if !errors.Is(err, ErrForbiddenAddress) || !strings.Contains(err.Error(), "host localhost: address ") {
		t.Fatalf("localhost: error %v, want the refusal naming the host and its address", err)
	}
}

func TestFetchRefusesRedirectToInternalAddress(t *testing.T) {
	// The feed's own server is allowed (127.0.0.1/32 only); it redirects to
	// 127.0.0.2, loopback too but outside the allow list. The guard refuses
	// before connecting, so nothing need listen there.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, port, _ := net.SplitHostPort(r.Host)
		http.Redirect(w, r, "http://127.0.0.2:"+port+"/feed", http.StatusFound)
	}))
	defer srv.Close()
	f := &Fetcher{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	_, err := f.Fetch(context.Background(), Request{URL: srv.URL + "/old"})
	wantRefused(t, err, "127.0.0.2")
	if !strings.Contains(err.Error(), "redirect to http://127.0.0.2:") {
		t.Errorf("error %q should name the redirect that was refused", err)
	}
}

func TestFetchGuardsCustomTransport(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<rss version="2.0"><channel><title>t</title></channel></rss>`))
	}))
	defer srv.Close()
	_, err := (&Fetcher{Client: srv.Client()}).Fetch(context.Background(), Request{URL: srv.URL})
	wantRefused(t, err, "127.0.0.1")
}

func TestDiscoverRefusesInternalAddress(t *testing.T) {
	srv := feedServer(t)
	_, err := Discover(context.Background(), &Fetcher{}, srv.URL)
	wantRefused(t, err, "127.0.0.1")
}
