package config

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Allowed parses poll.allow_networks, which validate has already checked.
func (pc PollConfig) Allowed() []netip.Prefix {
	var allow []netip.Prefix
	for _, n := range pc.AllowNetworks {
		if p, err := parseNetwork(n); err == nil {
			allow = append(allow, p)
		}
	}
	return allow
}

// parseNetwork reads a CIDR ("10.0.0.0/8") or a single address ("::1").
func parseNetwork(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// FetchSettings are the poll settings a failing feed may fail by, as one
// string that changes when any of them does.
func (pc PollConfig) FetchSettings() string {
	allow := slices.Clone(pc.AllowNetworks)
	slices.Sort(allow)
	return fmt.Sprintf("allow=%v body=%d timeout=%s ua=%q", allow, pc.MaxBodyMB, time.Duration(pc.Timeout), pc.UserAgent)
}
