package app

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"keyward/app/smtptest"
)

// mailServer is a real SMTP server in the test process that keeps what it receives.
type mailServer struct {
	*smtptest.Server
	t *testing.T
}

// receivedMail is one message as a person's mail client would show it.
type receivedMail struct{ smtptest.Message }

func newMailServer(t *testing.T) *mailServer {
	t.Helper()
	srv, err := smtptest.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return &mailServer{Server: srv, t: t}
}

// url is the --smtp-url of the server.
func (m *mailServer) url() string { return m.URL() }

// stop takes the server down (the port refuses connections) until start.
func (m *mailServer) stop() { m.Stop() }

// start brings a stopped server back on the same address.
func (m *mailServer) start() {
	m.t.Helper()
	if err := m.Start(); err != nil {
		m.t.Fatal(err)
	}
}

// received lists the messages so far.
func (m *mailServer) received() []receivedMail {
	var out []receivedMail
	for _, e := range m.Messages() {
		out = append(out, receivedMail{e})
	}
	return out
}

// waitFor waits (up to 15 s) for a message to `to` whose subject contains subject, and returns it.
func (m *mailServer) waitFor(to, subject string) receivedMail {
	m.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, e := range m.received() {
			if strings.EqualFold(e.To, to) && strings.Contains(e.Subject, subject) {
				return e
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	m.t.Fatalf("no email to %s about %q arrived; received: %+v", to, subject, m.received())
	return receivedMail{}
}

// to lists the messages received by an address.
func (m *mailServer) to(addr string) []receivedMail {
	var out []receivedMail
	for _, e := range m.received() {
		if strings.EqualFold(e.To, addr) {
			out = append(out, e)
		}
	}
	return out
}

var mailLink = regexp.MustCompile(`http://localhost:8080(/\S+)`)

// link is the path of the first portal link in the text part.
func (e receivedMail) link(t *testing.T) string {
	t.Helper()
	m := mailLink.FindStringSubmatch(e.Text)
	if m == nil {
		t.Fatalf("no link in the email %q:\n%s", e.Subject, e.Text)
	}
	return m[1]
}
