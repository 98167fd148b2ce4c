package app

import (
	"bytes"
	"context"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"net/mail"
	"strings"
	texttemplate "text/template"
	"time"

	simplemail "github.com/xhit/go-simple-mail/v2"

	"keyward/store"
)

// Outbox delivery: a failed email is tried again after 1, 2, 4 … minutes (at most an hour apart)
// until a day has passed since it was written; then it is given up and shown as failed to staff.
const (
	outboxBatch      = 50
	outboxMaxBackoff = time.Hour
	outboxGiveUp     = 24 * time.Hour
)

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
func (s *Server) wakeOutbox() {
	select {
	case s.outboxWake <- struct{}{}:
	default:
	}
}

// runOutbox is the one goroutine that delivers email, so no email is sent twice at once.
// It wakes on commits and, for retries, on the scheduler's minute job.
func (s *Server) runOutbox(ctx context.Context) {
	defer close(s.outboxDone)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.outboxWake:
		}
		if err := s.deliverDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("unable to deliver the outbox", "error", err)
		}
	}
}

// deliverDue sends the emails whose attempt is due, in batches until none is left.
func (s *Server) deliverDue(ctx context.Context) error {
	for {
		due, err := s.db.DueEmails(ctx, outboxBatch)
		if err != nil || len(due) == 0 {
			return err
		}
		sent, err := s.sendEmails(due)
		for i, e := range due {
			if i < sent {
				if err := s.db.MarkEmailSent(ctx, e.ID); err != nil {
					return err
				}
				continue
			}
			if err := s.db.MarkEmailFailed(ctx, e.ID, err.Error(), s.nextAttempt(e)); err != nil {
				return err
			}
			s.log.Warn("unable to send email", "outbox_id", e.ID, "to", e.To, "attempt", e.Attempts+1, "error", err)
		}
		if err != nil {
			return nil // the rest waits for its next attempt
		}
	}
}

// nextAttempt is when a failed email is tried again, or zero when delivery is given up.
func (s *Server) nextAttempt(e store.Email) time.Time {
	now := s.clock.Now()
	if now.Sub(e.CreatedAt) >= outboxGiveUp {
		return time.Time{}
	}
	backoff := min(time.Minute<<min(e.Attempts, 10), outboxMaxBackoff)
	return now.Add(backoff)
}

// sendEmails delivers emails in order over one SMTP connection and tells how many went out;
// err says why the next one did not. Without --smtp-url, emails go to the log.
func (s *Server) sendEmails(emails []store.Email) (int, error) {
	if s.cfg.SMTPURL == "" {
		for _, e := range emails {
			s.log.Info("email (no --smtp-url: logged, not sent)", "message_id", e.MessageID, "to", e.To,
				"subject", e.Subject, "text", e.Text)
		}
		return len(emails), nil
	}
	settings, err := parseSMTPURL(s.cfg.SMTPURL)
	if err != nil {
		return 0, err
	}
	server := simplemail.NewSMTPClient()
	server.Host, server.Port = settings.Host, settings.Port
	server.Username, server.Password = settings.Username, settings.Password
	server.Encryption = map[string]simplemail.Encryption{
		"starttls": simplemail.EncryptionSTARTTLS, "tls": simplemail.EncryptionSSLTLS, "none": simplemail.EncryptionNone,
	}[settings.TLS]
	if settings.Username == "" {
		server.Authentication = simplemail.AuthNone
	}
	server.KeepAlive = true
	server.ConnectTimeout, server.SendTimeout = 10*time.Second, 30*time.Second
	client, err := server.Connect()
	if err != nil {
		return 0, fmt.Errorf("connecting to %s:%d: %w", settings.Host, settings.Port, err)
	}
	defer client.Close()
	for i, e := range emails {
		msg := simplemail.NewMSG().SetFrom(s.cfg.MailFrom).AddTo(e.To).SetSubject(e.Subject).
			SetDate(e.CreatedAt.UTC().Format("2006-01-02 15:04:05 MST")).AddHeader("Message-ID", e.MessageID)
		msg.SetBody(simplemail.TextPlain, e.Text).AddAlternative(simplemail.TextHTML, e.HTML)
		if err := s.attachFiles(msg, e); err != nil {
			return i, err
		}
		if err := msg.Send(client); err != nil {
			return i, err
		}
	}
	return len(emails), nil
}
