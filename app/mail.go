package app

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/mail"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	simplemail "github.com/xhit/go-simple-mail/v2"

	"keyward/app/retry"
	"keyward/store"
)

// Outbox delivery. A round reads the due emails outboxBatch at a time. An email that may yet go
// out is tried again 20 s after its first failure, then 40 s, 80 s … at most 15 minutes apart, for
// a day; the scheduler's retry job looks every outboxRetryEvery, so a retry waits at most that much
// more than its backoff, which is why the cap leaves room for it. Then it is given up and shown as
// failed to staff, as an email the mail server refused is at once.
const (
	outboxBatch      = 50
	outboxRetryEvery = 5 * time.Second
)

var outboxRetry = retry.Policy{First: 20 * time.Second, Max: 15*time.Minute - outboxRetryEvery, GiveUp: 24 * time.Hour}

// mailTemplates are the emails of views/mail: NAME.txt starts with a "Subject: …" line, then
// the text part; NAME.html is the HTML part.
type mailTemplates struct {
	html *htmltemplate.Template
	text *texttemplate.Template
}

func loadMailTemplates(fsys fs.FS) (*mailTemplates, error) {
	html, err := htmltemplate.ParseFS(fsys, "mail/*.html")
	if err != nil {
		return nil, err
	}
	text, err := texttemplate.ParseFS(fsys, "mail/*.txt")
	if err != nil {
		return nil, err
	}
	return &mailTemplates{html: html, text: text}, nil
}

// email renders the template name for one recipient into an outbox email. data gets BaseURL.
func (s *Server) email(to, name string, data map[string]any) (store.Email, error) {
	data["BaseURL"] = s.baseURL()
	var text, html bytes.Buffer
	if err := s.mails.text.ExecuteTemplate(&text, name+".txt", data); err != nil {
		return store.Email{}, err
	}
	if err := s.mails.html.ExecuteTemplate(&html, name+".html", data); err != nil {
		return store.Email{}, err
	}
	first, body, _ := strings.Cut(text.String(), "\n")
	subject, ok := strings.CutPrefix(first, "Subject: ")
	if !ok {
		return store.Email{}, fmt.Errorf("mail/%s.txt: the first line must be \"Subject: …\"", name)
	}
	return store.Email{
		MessageID: fmt.Sprintf("<%s@%s>", randomToken()[:32], s.mailDomain()),
		To:        to,
		Subject:   strings.TrimSpace(subject),
		Text:      strings.TrimLeft(body, "\n"),
		HTML:      html.String(),
		Template:  name,
	}, nil
}

// mailDomain is the domain of the sender, for Message-IDs.
func (s *Server) mailDomain() string {
	if a, err := mail.ParseAddress(s.cfg.MailFrom); err == nil {
		if _, domain, ok := strings.Cut(a.Address, "@"); ok {
			return domain
		}
	}
	return "keyward.invalid"
}

// wakeOutbox tells the delivery worker that emails were committed; it never blocks.
func (s *Server) wakeOutbox() { s.outbox.Wake() }

// startOutbox starts the delivery worker and tells when its first round is over. Emails waiting for
// a retry are made due first: a restart is when someone may have fixed what made them fail, and
// nobody should wait out a backoff for it.
func (s *Server) startOutbox() <-chan struct{} {
	if n, err := s.db.ResumeEmails(context.Background()); err != nil {
		s.log.Error("unable to resume the outbox", "error", err)
	} else if n > 0 {
		s.log.Info("trying again the emails that were waiting", "count", n)
	}
	return s.outbox.start()
}

// deliverOutbox is a round of the outbox worker: it sends the due emails one at a time and records
// each as soon as its own attempt ends, so that one refusal touches no other email and a crash
// re-sends at most the email in flight.
func (s *Server) deliverOutbox(ctx context.Context) error {
	sender := s.mailSender()
	defer sender.close()
	for {
		due, err := s.db.DueEmails(ctx, outboxBatch)
		if err != nil || len(due) == 0 {
			return err
		}
		held := 0
		for _, e := range due {
			if ctx.Err() != nil {
				return nil // stopping: the rest stays due for the next start
			}
			ok, err := s.deliverEmail(ctx, sender, e.ID)
			if err != nil {
				return err
			}
			if ok {
				held++
			}
		}
		if held == 0 {
			return nil // other instances' workers are at every one of them
		}
	}
}

// deliverEmail makes one attempt at one email and records its outcome: sent; failed for good when
// the mail server refused it; otherwise due again after the policy's backoff, until it gives up.
// It tells false when the email was no longer due, or another instance's worker was at it.
func (s *Server) deliverEmail(ctx context.Context, sender mailSender, id int64) (bool, error) {
	// The outcome is recorded even when the worker is stopping meanwhile: an email sent but not
	// marked would go out again at the next start.
	ctx = context.WithoutCancel(ctx)
	return s.db.DeliverEmail(ctx, id, func(e store.Email) store.EmailOutcome {
		err := sender.send(e)
		if err == nil {
			s.metrics.emailSent()
			return store.EmailOutcome{Sent: true}
		}
		s.metrics.emailFailed()
		reason, permanent := deliveryFailure(err)
		next, reason := s.nextAttempt(outboxRetry, e.CreatedAt, e.Attempts+1, reason, permanent,
			s.log.With("outbox_id", e.ID, "to", e.To), "unable to send email")
		return store.EmailOutcome{Reason: reason, Next: next}
	})
}

// mailSender hands emails, one at a time, to where they go; a round uses one and closes it.
type mailSender interface {
	send(store.Email) error
	close()
}

// mailSender is the SMTP server of --smtp-url or, without it, the log.
func (s *Server) mailSender() mailSender {
	if s.cfg.SMTPURL == "" {
		return logSender{s.log}
	}
	settings, _ := parseSMTPURL(s.cfg.SMTPURL) // checked by Config.Validate
	return &smtpSender{settings: settings, message: s.message}
}

// message is the MIME message of an outbox email, under the Message-ID it was written with.
func (s *Server) message(e store.Email) *simplemail.Email {
	msg := simplemail.NewMSG().SetFrom(s.cfg.MailFrom).AddTo(e.To).SetSubject(e.Subject).
		SetDate(e.CreatedAt.UTC().Format("2006-01-02 15:04:05 MST")).AddHeader("Message-ID", e.MessageID)
	msg.SetBody(simplemail.TextPlain, e.Text).AddAlternative(simplemail.TextHTML, e.HTML)
	s.attachFiles(msg, e) // a file that cannot be read fails the attempt through msg.Error
	return msg
}

// logSender writes each email to the log as one line: who, what, and the links a person would
// follow (an evaluation without SMTP signs in through them). The whole text is on /admin/outbox.
type logSender struct{ log *slog.Logger }

var textLink = regexp.MustCompile(`https?://[^\s<>"]+`)

func (l logSender) send(e store.Email) error {
	attrs := []any{"outbox_id", e.ID, "message_id", e.MessageID, "to", e.To, "subject", e.Subject}
	if links := textLink.FindAllString(e.Text, -1); links != nil {
		attrs = append(attrs, "links", strings.Join(links, " "))
	}
	l.log.Info("email logged, not sent (no --smtp-url; its text is on /admin/outbox)", attrs...)
	return nil
}

func (logSender) close() {}

// Timeouts of one SMTP connection: to connect and greet, and for each message. They bound how long
// a mail server that stops answering can hold the outbox.
const (
	smtpConnectTimeout = 10 * time.Second
	smtpSendTimeout    = 60 * time.Second
)

// smtpSender sends over one SMTP connection, opened at the first email of a round and opened again
// after a failure that may have broken it.
type smtpSender struct {
	settings smtpSettings
	message  func(store.Email) *simplemail.Email

	conn   net.Conn
	client *simplemail.SMTPClient
	down   error // why the server could not be reached: the rest of the round waits for a retry
}

func (m *smtpSender) send(e store.Email) error {
	if m.down != nil {
		return m.down
	}
	if m.client == nil {
		if err := m.connect(); err != nil {
			m.down = &unreachableError{addr: net.JoinHostPort(m.settings.Host, strconv.Itoa(m.settings.Port)), err: err}
			return m.down
		}
	}
	if err := m.conn.SetDeadline(time.Now().Add(smtpSendTimeout)); err != nil {
		m.close()
		return err
	}
	err := m.message(e).Send(m.client)
	if err != nil && (!keepsConnection(err) || m.client.Reset() != nil) {
		m.close()
	}
	return err
}

// connect dials, greets, starts TLS and signs in, all within smtpConnectTimeout.
func (m *smtpSender) connect() error {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(m.settings.Host, strconv.Itoa(m.settings.Port)), smtpConnectTimeout)
	if err != nil {
		return err
	}
	if m.settings.TLS == "tls" {
		conn = tls.Client(conn, &tls.Config{ServerName: m.settings.Host})
	}
	if err := conn.SetDeadline(time.Now().Add(smtpConnectTimeout)); err != nil {
		conn.Close()
		return err
	}
	server := simplemail.NewSMTPClient()
	server.CustomConn = conn // so that the deadlines above bound every exchange
	server.Host, server.Port = m.settings.Host, m.settings.Port
	server.Username, server.Password = m.settings.Username, m.settings.Password
	if m.settings.Username == "" {
		server.Authentication = simplemail.AuthNone
	}
	// TLS of tls=tls is the connection's own; tls=starttls upgrades it after the greeting.
	server.Encryption = simplemail.EncryptionNone
	if m.settings.TLS == "starttls" {
		server.Encryption = simplemail.EncryptionSTARTTLS
	}
	server.KeepAlive = true
	client, err := server.Connect()
	if err != nil {
		conn.Close()
		return err
	}
	m.conn, m.client = conn, client
	return nil
}

func (m *smtpSender) close() {
	if m.client != nil {
		m.client.Quit()
		m.conn.Close()
		m.client, m.conn = nil, nil
	}
}

// unreachableError is a failure to connect, greet or sign in: it says nothing about the email, which
// is tried again.
type unreachableError struct {
	addr string
	err  error
}

func (e *unreachableError) Error() string { return fmt.Sprintf("connecting to %s: %v", e.addr, e.err) }
func (e *unreachableError) Unwrap() error { return e.err }

// sessionReplies are the 5xx replies about the session or the account rather than the email
// (unknown command, bad sequence, authentication required or refused): no reason to fail it for good.
var sessionReplies = map[int]bool{500: true, 502: true, 503: true, 504: true, 530: true, 534: true, 535: true, 538: true}

// deliveryFailure words a failed attempt for the outbox page and says whether it is permanent: only
// a 5xx reply about the email itself (its recipient, sender or content) is; a 4xx, a timeout or a
// server out of reach may pass.
func deliveryFailure(err error) (reason string, permanent bool) {
	var reply *textproto.Error
	var unreachable *unreachableError
	switch {
	case errors.As(err, &unreachable):
		return err.Error(), false
	case errors.As(err, &reply) && reply.Code >= 500 && !sessionReplies[reply.Code]:
		return "refused by the mail server, not tried again: " + replyText(reply), true
	case errors.As(err, &reply):
		return "the mail server answered " + replyText(reply), false
	}
	return err.Error(), false
}

// replyText is a reply as the server wrote it, its lines joined: "550 5.1.1 no such user".
func replyText(reply *textproto.Error) string {
	return fmt.Sprintf("%03d %s", reply.Code, strings.ReplaceAll(reply.Msg, "\n", " "))
}

// keepsConnection tells whether the connection can carry the next email after this failure: after a
// reply other than 421 (closing) it can, once reset; after anything else it may be broken.
func keepsConnection(err error) bool {
	var reply *textproto.Error
	return errors.As(err, &reply) && reply.Code != 421
}
