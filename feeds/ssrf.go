package feeds

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrForbiddenAddress: a feed URL, or one of its redirects, leads to a
// loopback, private, link-local or otherwise internal address, and the
// operator has not allowed that network (Fetcher.Allow). Without this
// check anyone who can add a feed could make Herald read internal services
// such as a cloud metadata endpoint (server-side request forgery).
var ErrForbiddenAddress = errors.New("forbidden address")

// internalNetworks are the ranges a feed may not reach unless allowed,
// each with the word the refusal uses for it.
var internalNetworks = []struct {
	prefix netip.Prefix
	kind   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT (shared)"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (cloud metadata lives here)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"}, // includes broadcast 255.255.255.255
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("fc00::/7"), "private"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// AddressError is the refusal to connect to an internal address. It
// matches ErrForbiddenAddress with errors.Is.
type AddressError struct {
	Addr netip.Addr
	Kind string // "loopback", "private", ...
}

func (e *AddressError) Error() string {
	return fmt.Sprintf("address %s is %s; Herald refuses private, loopback and link-local addresses "+
		"(add it to poll.allow_networks in config.yaml to allow it)", e.Addr, e.Kind)
}

func (e *AddressError) Is(target error) bool { return target == ErrForbiddenAddress }

// CheckAddr returns an *AddressError when addr is internal and no prefix
// in allow contains it, nil otherwise. IPv4-mapped IPv6 addresses
// (::ffff:10.0.0.1) are judged as the IPv4 address they carry.
func CheckAddr(addr netip.Addr, allow []netip.Prefix) error {
	addr = addr.WithZone("").Unmap()
	for _, p := range allow {
		if p.Contains(addr) {
			return nil
		}
	}
	if !addr.IsValid() {
		return &AddressError{Addr: addr, Kind: "invalid"}
	}
	for _, n := range internalNetworks {
		if n.prefix.Contains(addr) {
			return &AddressError{Addr: addr, Kind: n.kind}
		}
	}
	if v4, how, ok := embeddedIPv4(addr); ok {
		if err := CheckAddr(v4, allow); err != nil {
			return &AddressError{Addr: addr, Kind: how + " " + err.(*AddressError).Kind}
		}
	}
	return nil
}

// Transition prefixes whose IPv6 addresses carry an IPv4 address: a router
// that translates them would connect to that IPv4 address, so an internal
// one hidden inside (64:ff9b::10.0.0.1) is refused like the plain form.
var (
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour  = netip.MustParsePrefix("2002::/16")
	teredo     = netip.MustParsePrefix("2001::/32")
	ipv4Compat = netip.MustParsePrefix("::/96")
)

// embeddedIPv4 returns the IPv4 address an IPv6 transition address
// carries, and a word for how it is carried.
func embeddedIPv4(addr netip.Addr) (netip.Addr, string, bool) {
	if !addr.Is6() {
		return netip.Addr{}, "", false
	}
	b := addr.As16()
	switch {
	case nat64.Contains(addr), nat64Local.Contains(addr):
		return netip.AddrFrom4([4]byte(b[12:16])), "NAT64 of", true
	case ipv4Compat.Contains(addr):
		return netip.AddrFrom4([4]byte(b[12:16])), "IPv4-compatible form of", true
	case sixToFour.Contains(addr):
		return netip.AddrFrom4([4]byte(b[2:6])), "6to4 of", true
	case teredo.Contains(addr): // the client's address, inverted
		return netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}), "Teredo of", true
	}
	return netip.Addr{}, "", false
}

// guardedDialer checks every address it is about to connect to, after DNS
// resolution, so a hostname that resolves (or later re-resolves, as in DNS
// rebinding) to an internal address is refused, and so is every redirect
// hop, since each one dials through here.
func guardedDialer(allow []netip.Prefix) *net.Dialer {
	return &net.Dialer{
		Timeout:   30 * time.Second,
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: cannot check %q: %v", ErrForbiddenAddress, address, err)
			}
			return CheckAddr(ap.Addr(), allow)
		},
	}
}

// guardTransport returns a copy of t that dials through the guard. It
// connects directly, ignoring HTTP_PROXY and friends: through a proxy the
// guard would only see the proxy's address, not the feed's.
func guardTransport(t *http.Transport, allow []netip.Prefix) *http.Transport {
	t = t.Clone()
	t.Proxy = nil
	// A caller's own dial functions would bypass the guard.
	t.Dial, t.DialTLS, t.DialTLSContext = nil, nil, nil
	t.DialContext = guardedDialer(allow).DialContext
	return t
}

// GuardTransport is guardTransport for other packages whose requests
// follow the poller's rules (the webhook transport).
func GuardTransport(t *http.Transport, allow []netip.Prefix) *http.Transport {
	return guardTransport(t, allow)
}
