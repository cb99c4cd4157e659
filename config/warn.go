package config

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"herald/feeds"
)

// A Resolver looks a host name up, for warnings about where feeds point.
type Resolver func(ctx context.Context, host string) ([]netip.Addr, error)

// FeedAddressWarnings names the feeds whose URL points at loopback or a
// private network that poll.allow_networks does not allow: Herald would
// refuse every poll of them. IP literals and localhost are judged as
// written; other names only when resolve is given (check-config), at most
// 16 at a time and within a few seconds, and a name that does not resolve
// in time is not judged.
func (c *Config) FeedAddressWarnings(ctx context.Context, resolve Resolver) []string {
	type feedRef struct {
		path []any
		url  string
	}
	byHost := map[string][]feedRef{}
	var hosts []string
	for i, t := range c.Topics {
		for j, f := range t.Feeds {
			u, err := url.Parse(f.URL)
			if err != nil {
				continue
			}
			h := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
			if byHost[h] == nil {
				hosts = append(hosts, h)
			}
			byHost[h] = append(byHost[h], feedRef{p("topics", i, "feeds", j, "url"), f.URL})
		}
	}
	refused := c.refusedHosts(ctx, hosts, resolve)
	var out []string
	for _, h := range hosts {
		why, ok := refused[h]
		if !ok {
			continue
		}
		for _, f := range byHost[h] {
			out = append(out, fmt.Sprintf("%s:%d: %s: %s points at %s, which Herald refuses to poll: "+
				"to poll it, add the address or its network to poll.allow_networks (e.g. allow_networks: [%s])",
				c.path, lineOf(c.root, f.path), keyName(f.path), f.url, why.describe(), why.addr))
		}
	}
	return out
}

// refusal is why a host's feeds would be refused.
type refusal struct {
	addr netip.Addr
	kind string // loopback, private, ...
}

func (r refusal) describe() string { return fmt.Sprintf("%s, a %s address", r.addr, r.kind) }

// refusedHosts judges each host by its addresses: the first that Herald
// would refuse.
func (c *Config) refusedHosts(ctx context.Context, hosts []string, resolve Resolver) map[string]refusal {
	allow := c.Poll.Allowed()
	out := map[string]refusal{}
	var mu sync.Mutex
	// A host is refused when every address it has is: the dialer tries
	// the next address after a refused one.
	judge := func(h string, addrs []netip.Addr) {
		var first *feeds.AddressError
		for _, a := range addrs {
			err, ok := feeds.CheckAddr(a, allow).(*feeds.AddressError)
			if !ok {
				return
			}
			if first == nil {
				first = err
			}
		}
		if first != nil {
			mu.Lock()
			out[h] = refusal{addr: first.Addr, kind: first.Kind}
			mu.Unlock()
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	slots := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for _, h := range hosts {
		switch a, err := netip.ParseAddr(strings.Trim(h, "[]")); {
		case err == nil:
			judge(h, []netip.Addr{a})
		case h == "localhost" || strings.HasSuffix(h, ".localhost"):
			judge(h, []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()})
		case resolve != nil:
			wg.Go(func() {
				slots <- struct{}{}
				defer func() { <-slots }()
				if addrs, err := resolve(ctx, h); err == nil {
					judge(h, addrs)
				}
			})
		}
	}
	wg.Wait()
	return out
}

// LookupHost resolves with the system's resolver.
func LookupHost(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}
