package app

import (
	"context"

	simplemail "github.com/xhit/go-simple-mail/v2"

	"keyward/store"
)

// attachFiles adds an outbox email's files (an invoice's PDF) to the message being sent.
// They are loaded here, one email at a time, so that the outbox's batches stay small.
func (s *Server) attachFiles(msg *simplemail.Email, e store.Email) error {
	atts := e.Attachments
	if atts == nil {
		var err error
		// A local read of rows written with the email: the delivery's own context is not needed.
		if atts, err = s.db.EmailAttachments(context.Background(), e.ID); err != nil {
			return err
		}
	}
	for _, a := range atts {
		msg.Attach(&simplemail.File{Name: a.Name, MimeType: a.MimeType, Data: a.Data})
	}
	return msg.Error
}
