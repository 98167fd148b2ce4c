// Package smtptest runs a real SMTP server (emersion/go-smtp) inside a test process. It keeps the
// messages it accepts as a person's mail client would show them, and answers as the test tells it:
// refusing a recipient for good (5xx) or for now (4xx), or holding a message mid-delivery so that a
// test can kill the sender there. Tests of the app and of the binary share it.
package smtptest

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"

	"github.com/emersion/go-smtp"
)

// Message is one accepted message: its first recipient, Message-ID, decoded subject and parts.
type Message struct {
	To, MessageID, Subject, Text, HTML string
	Attachments                        []File
}

// File is an attached file, its bytes decoded as sent.
type File struct {
	Name, ContentType string
	Data              []byte
}

// Server is a running SMTP server on 127.0.0.1.
type Server struct {
	// Addr is host:port; it stays the same across Stop and Start.
	Addr string

	srv *smtp.Server
	ln  net.Listener

	mu        sync.Mutex
	messages  []Message
	onMessage func(Message)
	rcpts     map[string]int     // RCPT TO commands per address, answered or refused
	answers   map[string]*answer // refusals the test asked for, per address
}

type answer struct {
	code  int
	times int // how many more RCPTs get it; 0: all of them
}

// New starts a server on a free port of 127.0.0.1.
func New() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: ln.Addr().String(), rcpts: map[string]int{}, answers: map[string]*answer{}}
	s.serve(ln)
	return s, nil
}

func (s *Server) serve(ln net.Listener) {
	s.ln = ln
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	go s.srv.Serve(ln)
}

// URL is the server as Keyward's --smtp-url.
func (s *Server) URL() string { return "smtp://" + s.Addr + "?tls=none" }

// Stop takes the server down: its port refuses connections until Start.
func (s *Server) Stop() {
	if s.srv != nil {
		s.ln.Close() // Close alone misses a listener that Serve has not registered yet
		s.srv.Close()
		s.srv = nil
	}
}

// Start brings a stopped server back on the same address.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return err
	}
	s.serve(ln)
	return nil
}

// Answer makes the server refuse RCPT TO:<to> with code (550: for good, 451: try later), the next
// times times, or always when times is 0.
func (s *Server) Answer(to string, code, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[strings.ToLower(to)] = &answer{code: code, times: times}
}

// OnMessage makes the server call f with each message it accepts, before it answers 250: the
// sender waits for that answer meanwhile, so a test can act mid-delivery (kill the sender, say).
func (s *Server) OnMessage(f func(Message)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onMessage = f
}

// Messages lists the accepted messages so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Rcpts is how many times a sender named to as a recipient, accepted or refused.
func (s *Server) Rcpts(to string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rcpts[strings.ToLower(to)]
}

func (s *Server) rcpt(to string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	to = strings.ToLower(to)
	s.rcpts[to]++
	a := s.answers[to]
	if a == nil {
		return nil
	}
	if a.times > 0 {
		if a.times--; a.times == 0 {
			delete(s.answers, to)
		}
	}
	enhanced := smtp.EnhancedCode{a.code / 100, 1, 1}
	text := "no such mailbox here"
	if a.code < 500 {
		enhanced, text = smtp.EnhancedCode{4, 2, 0}, "mailbox busy, try again later"
	}
	return &smtp.SMTPError{Code: a.code, EnhancedCode: enhanced, Message: text}
}

type session struct {
	s  *Server
	to []string
}

func (ss *session) Reset()                               { ss.to = nil }
func (ss *session) Logout() error                        { return nil }
func (ss *session) Mail(string, *smtp.MailOptions) error { return nil }

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.s.rcpt(to); err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	m, err := parse(r)
	if err != nil {
		return err
	}
	if len(ss.to) > 0 {
		m.To = ss.to[0]
	}
	ss.s.mu.Lock()
	ss.s.messages = append(ss.s.messages, m)
	on := ss.s.onMessage
	ss.s.mu.Unlock()
	if on != nil {
		on(m)
	}
	return nil
}

// parse reads a message as a mail client shows it: the subject decoded, the text and HTML parts
// (nested ones too, as beside attachments) decoded from their transfer encodings, with plain line ends.
func parse(r io.Reader) (Message, error) {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return Message{}, err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	m := Message{MessageID: msg.Header.Get("Message-Id"), Subject: subject}
	m.read(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body)
	return m, nil
}

// read takes the text and HTML of one part, the first of each kind, and the attached files.
func (m *Message) read(contentType, encoding, disposition string, body io.Reader) {
	mediaType, params, _ := mime.ParseMediaType(contentType)
	disp, dparams, _ := mime.ParseMediaType(disposition)
	switch {
	case strings.HasPrefix(mediaType, "multipart/"):
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				return
			}
			m.read(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p.Header.Get("Content-Disposition"), p)
		}
	case disp == "attachment":
		m.Attachments = append(m.Attachments, File{Name: dparams["filename"], ContentType: mediaType, Data: decodeBytes(encoding, body)})
	case mediaType == "text/html" && m.HTML == "":
		m.HTML = decode(encoding, body)
	case (mediaType == "text/plain" || mediaType == "") && m.Text == "":
		m.Text = decode(encoding, body)
	}
}

// decode reads a text part with plain line ends.
func decode(encoding string, r io.Reader) string {
	return string(bytes.ReplaceAll(decodeBytes(encoding, r), []byte("\r\n"), []byte("\n")))
}

// decodeBytes undoes a part's transfer encoding.
func decodeBytes(encoding string, r io.Reader) []byte {
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, _ := io.ReadAll(r)
	return b
}
