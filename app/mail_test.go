package app

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// mailServer is a real SMTP server in the test process that keeps what it receives.
type mailServer struct {
	t    *testing.T
	addr string
	srv  *smtp.Server
	ln   net.Listener

	mu   sync.Mutex
	mail []receivedMail
}

// receivedMail is one message as a person's mail client would show it.
type receivedMail struct {
	To, MessageID, Subject, Text, HTML string
	Attachments                        []receivedFile
}

// receivedFile is an attached file of a received message.
type receivedFile struct {
	Name, ContentType string
	Data              []byte
}

func newMailServer(t *testing.T) *mailServer {
	t.Helper()
	m := &mailServer{t: t}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = ln.Addr().String()
	m.serve(ln)
	t.Cleanup(m.stop)
	return m
}

func (m *mailServer) serve(ln net.Listener) {
	m.ln = ln
	m.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{m: m}, nil }))
	m.srv.Domain = "localhost"
	m.srv.AllowInsecureAuth = true
	go m.srv.Serve(ln)
}

// url is the --smtp-url of the server.
func (m *mailServer) url() string { return "smtp://" + m.addr + "?tls=none" }

// stop takes the server down (the port refuses connections) until start.
func (m *mailServer) stop() {
	if m.srv != nil {
		m.ln.Close() // Close alone misses a listener that Serve has not registered yet
		m.srv.Close()
		m.srv = nil
	}
}

// start brings a stopped server back on the same address.
func (m *mailServer) start() {
	m.t.Helper()
	ln, err := net.Listen("tcp", m.addr)
	if err != nil {
		m.t.Fatal(err)
	}
	m.serve(ln)
}

// received lists the messages so far.
func (m *mailServer) received() []receivedMail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]receivedMail(nil), m.mail...)
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

type mailSession struct {
	m  *mailServer
	to []string
}

func (s *mailSession) Reset()                                    { s.to = nil }
func (s *mailSession) Logout() error                             { return nil }
func (s *mailSession) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = append(s.to, to); return nil }

func (s *mailSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	e := receivedMail{MessageID: msg.Header.Get("Message-Id"), Subject: subject}
	if len(s.to) > 0 {
		e.To = s.to[0]
	}
	readPart(&e, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body)
	s.m.mu.Lock()
	s.m.mail = append(s.m.mail, e)
	s.m.mu.Unlock()
	return nil
}

// readPart files one MIME part of a message into e: the text and HTML bodies, and attachments,
// walking into nested multiparts (a message with files is multipart/mixed around the bodies).
func readPart(e *receivedMail, contentType, encoding, disposition string, r io.Reader) {
	mediaType, params, _ := mime.ParseMediaType(contentType)
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(r, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				return
			}
			readPart(e, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p.Header.Get("Content-Disposition"), p)
		}
	}
	body := decodePart(encoding, r)
	disp, dparams, _ := mime.ParseMediaType(disposition)
	switch {
	case disp == "attachment" || disp == "inline" && dparams["filename"] != "":
		e.Attachments = append(e.Attachments, receivedFile{Name: dparams["filename"], ContentType: mediaType, Data: []byte(body)})
	case mediaType == "text/html":
		e.HTML = body
	case mediaType == "text/plain" || mediaType == "":
		e.Text = body
	}
}

func decodePart(encoding string, r io.Reader) string {
	var b []byte
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		b, _ = io.ReadAll(quotedprintable.NewReader(r))
	case "base64":
		b, _ = io.ReadAll(base64.NewDecoder(base64.StdEncoding, r))
	default:
		b, _ = io.ReadAll(r)
	}
	return string(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")))
}
