package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestSignMatchesTheDocumentedRecipe(t *testing.T) {
	body := []byte(`{"id":"evt_1","event":"license.created","created_at":"2026-11-02T09:00:00Z","data":{}}`)
	at := time.Unix(1793610000, 0)
	// The recipe of the documentation, written out: HMAC-SHA256 of "<t>.<body>" keyed with the secret.
	h := hmac.New(sha256.New, []byte("whsec_test"))
	h.Write([]byte("1793610000." + string(body)))
	want := "t=1793610000,v1=" + hex.EncodeToString(h.Sum(nil))
	if got := Sign("whsec_test", at, body); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"id":"evt_1"}`)
	at := time.Unix(1793610000, 0)
	header := Sign("s3cret", at, body)
	for _, tc := range []struct {
		name   string
		secret string
		header string
		body   string
		now    time.Time
		ok     bool
	}{
		{"good", "s3cret", header, string(body), at.Add(time.Minute), true},
		{"two signatures, one good (secret rotation)", "s3cret", header + ",v1=00ff", string(body), at, true},
		{"another secret", "other", header, string(body), at, false},
		{"body changed", "s3cret", header, `{"id":"evt_2"}`, at, false},
		{"too old (replayed)", "s3cret", header, string(body), at.Add(10 * time.Minute), false},
		{"no v1", "s3cret", "t=1793610000", string(body), at, false},
		{"garbage", "s3cret", "nonsense", string(body), at, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.secret, tc.header, []byte(tc.body), tc.now, 5*time.Minute)
			if got := err == nil; got != tc.ok {
				t.Errorf("Verify: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestNewSecret(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if len(a) < 32 || a == b || !strings.HasPrefix(a, "whsec_") {
		t.Fatalf("secrets %q and %q: want distinct, at least 32 characters", a, b)
	}
}

func TestRefused(t *testing.T) {
	for _, tc := range []struct {
		addr    string
		refused bool
	}{
		{"93.184.216.34", false},
		{"8.8.8.8", false},
		{"2606:4700:4700::1111", false},
		{"::ffff:8.8.8.8", false}, // a public IPv4 address, mapped: still that public address
		{"127.0.0.1", true},
		{"127.255.255.254", true},
		{"::1", true},
		{"10.1.2.3", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"192.168.1.1", true},
		{"169.254.169.254", true}, // the cloud metadata service
		{"fe80::1", true},
		{"fe80::1%eth0", true},
		{"fd00::1", true},
		{"fc00::1", true},
		{"0.0.0.0", true},
		{"0.1.2.3", true},
		{"::", true},
		{"100.64.0.1", true},
		{"100.127.255.254", true},
		{"224.0.0.1", true},
		{"239.255.255.250", true},
		{"ff02::1", true},
		{"255.255.255.255", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:10.0.0.1", true},
		{"::ffff:169.254.169.254", true},
		{"::ffff:0.0.0.0", true},
		{"::ffff:100.64.0.1", true},
		{"::ffff:224.0.0.1", true},
		{"::127.0.0.1", true}, // IPv4-compatible (deprecated)
		{"64:ff9b::7f00:1", true},
		{"64:ff9b::808:808", true},
		{"2002:7f00:1::", true},
		{"2002:808:808::", true},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", true}, // Teredo
		{"fec0::1", true},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			reason := Refused(netip.MustParseAddr(tc.addr))
			if got := reason != ""; got != tc.refused {
				t.Errorf("Refused(%s) = %q, want refused=%v", tc.addr, reason, tc.refused)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://crm.example.com/keyward", true},
		{"http://crm.example.com:8080/hooks?x=1", true},
		{"https://[2606:4700:4700::1111]/hook", true},
		{"", false},
		{"ftp://crm.example.com/", false},
		{"file:///etc/passwd", false},
		{"gopher://crm.example.com/", false},
		{"crm.example.com/keyward", false},
		{"/relative", false},
		{"https://user:pass@crm.example.com/", false},
		{"https://crm.example.com/#frag", false},
		{"https://crm.example.com:99999/", false},
		{"https://" + strings.Repeat("a", MaxURL) + ".com/", false},
	} {
		t.Run(tc.url, func(t *testing.T) {
			_, err := CheckURL(tc.url)
			if got := err == nil; got != tc.ok {
				t.Errorf("CheckURL(%q): %v, want ok=%v", tc.url, err, tc.ok)
			}
		})
	}
}

func TestParseEvents(t *testing.T) {
	got, err := ParseEvents([]string{"invoice.paid", "license.created", "invoice.paid"})
	if err != nil || strings.Join(got, " ") != "license.created invoice.paid" {
		t.Errorf("ParseEvents = %v, %v; want [license.created invoice.paid] in the order of Events", got, err)
	}
	for _, bad := range [][]string{nil, {}, {"license.deleted"}, {"webhook.test"}} {
		if _, err := ParseEvents(bad); err == nil {
			t.Errorf("ParseEvents(%q) took it", bad)
		}
	}
}

// resolver is a DNS server whose answers the test sets, counting the questions.
type resolver struct {
	answers func(host string, n int) []netip.Addr
	asked   atomic.Int32
}

func (r *resolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	n := int(r.asked.Add(1))
	addrs := r.answers(host, n)
	if addrs == nil {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return addrs, nil
}

func TestCheck(t *testing.T) {
	r := &resolver{answers: func(host string, _ int) []netip.Addr {
		switch host {
		case "public.example":
			return []netip.Addr{netip.MustParseAddr("93.184.216.34")}
		case "internal.example":
			return []netip.Addr{netip.MustParseAddr("10.0.0.5")}
		case "mixed.example": // one public address does not make a private one acceptable
			return []netip.Addr{netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("192.168.0.9")}
		}
		return nil
	}}
	ctx := context.Background()
	for _, tc := range []struct {
		host         string
		allowPrivate bool
		ok           bool
	}{
		{"public.example", false, true},
		{"internal.example", false, false},
		{"internal.example", true, true},
		{"mixed.example", false, false},
		{"missing.example", false, false},
		{"missing.example", true, false},
		{"127.0.0.1", false, false},
		{"[::1]", false, false},
		{"127.0.0.1", true, true},
		{"localhost.", false, false},
	} {
		_, err := Check(ctx, r, tc.host, tc.allowPrivate)
		if got := err == nil; got != tc.ok {
			t.Errorf("Check(%s, allowPrivate=%v): %v, want ok=%v", tc.host, tc.allowPrivate, err, tc.ok)
		}
	}
	var refused *RefusedError
	if _, err := Check(ctx, r, "internal.example", false); !errors.As(err, &refused) || refused.Addr.String() != "10.0.0.5" {
		t.Errorf("internal.example: %v, want a RefusedError naming 10.0.0.5", err)
	}
}

// TestDialerConnectsToTheAddressItChecked plays DNS rebinding: the name resolves to a public
// address the first time (when the endpoint is registered) and to the loopback receiver the next.
// The delivery is refused before any connection; nothing reaches the receiver.
func TestDialerConnectsToTheAddressItChecked(t *testing.T) {
	var hits atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	defer receiver.Close()
	_, port, _ := net.SplitHostPort(receiver.Listener.Addr().String())
	r := &resolver{answers: func(_ string, n int) []netip.Addr {
		if n == 1 {
			return []netip.Addr{netip.MustParseAddr("93.184.216.34")}
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	}}
	ctx := context.Background()
	if _, err := Check(ctx, r, "rebind.example", false); err != nil {
		t.Fatalf("registration: %v", err)
	}
	client := Client(&Dialer{Resolver: r, Timeout: time.Second}, 2*time.Second)
	_, err := client.Post("http://rebind.example:"+port+"/hook", "application/json", strings.NewReader("{}"))
	var refused *RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("delivery after rebinding: %v, want refused", err)
	}
	if hits.Load() != 0 {
		t.Fatalf("the receiver on 127.0.0.1 got %d requests", hits.Load())
	}
	// Allowed to reach private addresses, the same dialer connects, and to the address it resolved.
	client = Client(&Dialer{Resolver: r, AllowPrivate: true, Timeout: time.Second}, 2*time.Second)
	resp, err := client.Post("http://rebind.example:"+port+"/hook", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hits.Load() != 1 {
		t.Fatalf("with private addresses allowed, the receiver got %d requests, want 1", hits.Load())
	}
}

func TestClientFollowsNoRedirect(t *testing.T) {
	var followed atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { followed.Add(1) }))
	defer target.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	client := Client(&Dialer{Resolver: net.DefaultResolver, AllowPrivate: true, Timeout: time.Second}, 2*time.Second)
	resp, err := client.Post(redirect.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || followed.Load() != 0 {
		t.Fatalf("status %d, redirect target hit %d times: want the 307 itself and no hit", resp.StatusCode, followed.Load())
	}
}
