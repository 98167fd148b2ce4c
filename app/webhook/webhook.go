// Package webhook holds the rules of Keyward's webhooks that a person can state in a sentence: which
// events there are and what they are called in words, how a delivery is signed, which URLs may be
// endpoints and which network addresses an endpoint may never be at (so that webhooks cannot probe
// the network Keyward runs in). It knows no database and no web framework; its dialer is the one
// place that connects, and only to an address it has just checked.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Event names (DESIGN §11), and Test, the event of the "send test event" button, which every
// endpoint receives whatever it subscribed to.
const (
	LicenseCreated        = "license.created"
	LicenseStatusChanged  = "license.status_changed"
	LicenseKeyRegenerated = "license.key_regenerated"
	LicenseExpiring       = "license.expiring"
	DeviceActivated       = "device.activated"
	DeviceDeactivated     = "device.deactivated"
	UsageOverage          = "usage.overage"
	InvoiceIssued         = "invoice.issued"
	InvoicePaid           = "invoice.paid"
	InvoiceOverdue        = "invoice.overdue"
	Test                  = "webhook.test"
)

// Event is an event an endpoint may subscribe to, with its name in words for the portal.
type Event struct {
	Name  string
	Words string
}

// Events are the events endpoints subscribe to, in the order the portal lists them.
var Events = []Event{
	{LicenseCreated, "A license is created"},
	{LicenseStatusChanged, "A license changes status (started, access denied or reinstated, terminated, ended, renewed)"},
	{LicenseKeyRegenerated, "A license gets a new key"},
	{LicenseExpiring, "A license comes near its end date (each reminder: 30, 15, 7 and 1 day before, the end, the day after)"},
	{DeviceActivated, "A device is activated on a license"},
	{DeviceDeactivated, "A device is deactivated"},
	{UsageOverage, "A license uses extra cores for the first time in a month"},
	{InvoiceIssued, "An invoice is issued"},
	{InvoicePaid, "An invoice is paid in full"},
	{InvoiceOverdue, "An invoice becomes overdue"},
}

// Words names an event for people; an unknown name is shown as it is.
func Words(name string) string {
	if name == Test {
		return "Test event"
	}
	for _, e := range Events {
		if e.Name == name {
			return e.Words
		}
	}
	return name
}

// ParseEvents checks a list of event names, drops repeats and orders it as Events does. An empty
// list, or an unknown name, is refused with a message that says what to send instead.
func ParseEvents(names []string) ([]string, error) {
	want := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if !slices.ContainsFunc(Events, func(e Event) bool { return e.Name == n }) {
			return nil, fmt.Errorf("%q is not an event: choose among %s", n, strings.Join(Names(), ", "))
		}
		want[n] = true
	}
	if len(want) == 0 {
		return nil, errors.New("choose at least one event")
	}
	var out []string
	for _, e := range Events {
		if want[e.Name] {
			out = append(out, e.Name)
		}
	}
	return out, nil
}

// Names are the names of Events.
func Names() []string {
	out := make([]string, len(Events))
	for i, e := range Events {
		out[i] = e.Name
	}
	return out
}

// SignatureHeader is the header that carries a delivery's signature.
const SignatureHeader = "Keyward-Webhook-Signature"

// Sign is the signature header of a body sent at t: "t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">",
// keyed with the secret's UTF-8 bytes. The time is signed with the body so that a receiver can
// refuse an old delivery replayed.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a signature header as a receiver should: one of its v1 values is the HMAC of the
// body at its t, and t is within tolerance of now. Keyward's tests and documentation use it.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return errors.New("the signature header has no t= or no v1=")
	}
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("the signature is from %s, more than %s from now", time.Unix(unix, 0).UTC().Format(time.RFC3339), tolerance)
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return errors.New("no v1 signature matches the body")
}

// NewSecret makes an endpoint's signing secret: "whsec_" and 43 random base-32 characters (215 bits).
func NewSecret() string {
	return "whsec_" + rand.Text() + rand.Text()[:17]
}

// MaxURL bounds an endpoint's URL.
const MaxURL = 2000

// CheckURL parses an endpoint URL: absolute http or https, a host, no user name or password
// (the secret signs deliveries; credentials in a URL end up in logs), no fragment. The host's
// addresses are checked separately, by Check, when it is registered and at each delivery.
func CheckURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, errors.New("enter the URL that receives the events, such as https://crm.example.com/keyward")
	}
	if len(raw) > MaxURL {
		return nil, fmt.Errorf("at most %d characters", MaxURL)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		return nil, errors.New("enter an absolute URL, such as https://crm.example.com/keyward")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("only http:// and https:// URLs can receive webhooks")
	case u.User != nil:
		return nil, errors.New("leave the user name and password out of the URL: deliveries are signed with the endpoint's secret")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, errors.New("a URL with a #fragment cannot receive webhooks: remove it")
	case u.Hostname() == "":
		return nil, errors.New("the URL has no host name")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("the port %q is not a port number (1 to 65535)", p)
		}
	}
	return u, nil
}
