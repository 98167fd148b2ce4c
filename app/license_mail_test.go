package app

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net"
	"net/mail"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// licenseMailCatcher is a real SMTP server in the test process that keeps what it receives.
type licenseMailCatcher struct {
	mu   sync.Mutex
	msgs []caughtMail
	addr string
}

type caughtMail struct{ To, Subject, Body string }

type catcherSession struct {
	c  *licenseMailCatcher
	to []string
}

func (s *catcherSession) Reset()                               {}
func (s *catcherSession) Logout() error                        { return nil }
func (s *catcherSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *catcherSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *catcherSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(m.Body)
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	s.c.mu.Lock()
	for _, to := range s.to {
		s.c.msgs = append(s.c.msgs, caughtMail{To: to, Subject: subject, Body: string(body)})
	}
	s.c.mu.Unlock()
	s.to = nil
	return nil
}

// newLicenseMailCatcher starts the SMTP server; the option points the app at it.
func newLicenseMailCatcher(t *testing.T) (*licenseMailCatcher, func(*Config)) {
	c := &licenseMailCatcher{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &catcherSession{c: c}, nil }))
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return c, func(cfg *Config) { cfg.SMTPURL = fmt.Sprintf("smtp://%s?tls=none", c.addr) }
}

// delivered waits until the outbox is empty, then returns every email received so far.
func (c *licenseMailCatcher) delivered(t *testing.T, a *testApp) []caughtMail {
	t.Helper()
	a.srv.wakeOutbox()
	deadline := time.Now().Add(10 * time.Second)
	for {
		due, err := a.db.DueEmails(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the outbox still holds %q", due[0].Subject)
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]caughtMail(nil), c.msgs...)
}
