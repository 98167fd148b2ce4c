package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// refusedRanges are the networks an endpoint may not be at without --webhook-allow-private, each
// with the reason a person reads. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is judged as the
// IPv4 address it carries, so each IPv4 range here also refuses its mapped form.
var refusedRanges = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "an unspecified address (0.0.0.0/8)"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private address (10.0.0.0/8)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a shared (carrier-grade NAT) address (100.64.0.0/10)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address (127.0.0.0/8)"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address (169.254.0.0/16)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private address (172.16.0.0/12)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "a reserved address (192.0.0.0/24)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private address (192.168.0.0/16)"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a reserved address (198.18.0.0/15)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address (224.0.0.0/4)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved or broadcast address (240.0.0.0/4)"},
	{netip.MustParsePrefix("::/96"), "an unspecified, loopback or IPv4-compatible address (::/96)"},
	{netip.MustParsePrefix("64:ff9b::/96"), "a NAT64 address (64:ff9b::/96)"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local NAT64 address (64:ff9b:1::/48)"},
	{netip.MustParsePrefix("100::/64"), "a discard address (100::/64)"},
	{netip.MustParsePrefix("2001::/32"), "a Teredo address (2001::/32)"},
	{netip.MustParsePrefix("2002::/16"), "a 6to4 address (2002::/16)"},
	{netip.MustParsePrefix("fc00::/7"), "a private (unique local) address (fc00::/7)"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address (fe80::/10)"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address (fec0::/10)"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address (ff00::/8)"},
}

// Refused tells why an endpoint may not be at ip, or "" when it may: loopback, private, link-local,
// unspecified, shared, multicast, reserved and the IPv6 forms that carry or translate such an IPv4
// address (IPv4-mapped, NAT64, 6to4, Teredo) are all refused, so that a webhook cannot reach the
// machine Keyward runs on or its network.
func Refused(ip netip.Addr) string {
	if !ip.IsValid() {
		return "not an IP address"
	}
	ip = ip.Unmap().WithZone("")
	for _, r := range refusedRanges {
		if r.prefix.Contains(ip) {
			return r.reason
		}
	}
	return ""
}

// RefusedError is an endpoint host at an address that Refused refuses.
type RefusedError struct {
	Host   string
	Addr   netip.Addr
	Reason string
}

func (e *RefusedError) Error() string {
	if e.Host == e.Addr.String() {
		return fmt.Sprintf("the address %s is %s: webhooks may not reach it", e.Host, e.Reason)
	}
	return fmt.Sprintf("the host %s is at %s, %s: webhooks may not reach it", e.Host, e.Addr, e.Reason)
}

// Resolver finds the addresses of a host name; *net.Resolver is one, and tests give their own to
// play a DNS server whose answers change.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Check resolves host and tells whether an endpoint may be there: every address it resolves to
// must be allowed (unless allowPrivate), and it must resolve to one at least. It answers the
// addresses to connect to, in the resolver's order.
func Check(ctx context.Context, r Resolver, host string, allowPrivate bool) ([]netip.Addr, error) {
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else {
		if addrs, err = r.LookupNetIP(ctx, "ip", host); err != nil {
			var dnsErr *net.DNSError
			if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
				return nil, fmt.Errorf("the host %s does not exist (no DNS record)", host)
			}
			return nil, fmt.Errorf("the host %s could not be resolved: %w", host, err)
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("the host %s has no address", host)
		}
	}
	for _, ip := range addrs {
		if reason := Refused(ip); reason != "" && !allowPrivate {
			return nil, &RefusedError{Host: host, Addr: ip, Reason: reason}
		}
	}
	return addrs, nil
}

// Dialer connects to an endpoint at the very address it has just checked: it resolves the host
// itself, checks every address, then dials the IP rather than the name, so that a DNS answer that
// changes between the check and the connection (DNS rebinding) cannot lead it elsewhere.
type Dialer struct {
	Resolver     Resolver
	AllowPrivate bool
	Timeout      time.Duration // to connect
}

// DialContext is for http.Transport.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips, err := Check(ctx, d.Resolver, host, d.AllowPrivate)
	if err != nil {
		return nil, err
	}
	dialer := net.Dialer{Timeout: d.Timeout}
	var errs []error
	for _, ip := range ips {
		conn, err := dialer.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// Client is the HTTP client of deliveries: through the Dialer only (never a proxy from the
// environment, which would connect to names it resolves itself), following no redirect, and
// giving up on an endpoint that does not answer within timeout.
func Client(d *Dialer, timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           d.DialContext,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
	}
}
