package app

import (
	"bytes"
	"testing"

	"keyward/store"
)

func TestOutboxSendsAttachments(t *testing.T) {
	mail := newMailServer(t)
	a := newTestApp(t, withSMTP(mail))
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0, 1, 2, 0xff}, 300)...)
	e, err := a.srv.email("carla@contoso.test", "test", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	e.Attachments = []store.Attachment{{Name: "INV-2026-0001.pdf", MimeType: "application/pdf", Data: pdf}}
	if err := a.db.EnqueueEmails(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	a.srv.wakeOutbox()
	got := mail.waitFor("carla@contoso.test", e.Subject)
	if got.Text == "" || got.HTML == "" {
		t.Errorf("the text and HTML parts did not survive the attachment: text %q, html %q", got.Text, got.HTML)
	}
	if len(got.Attachments) != 1 {
		t.Fatalf("attachments %+v, want the PDF", got.Attachments)
	}
	f := got.Attachments[0]
	if f.Name != "INV-2026-0001.pdf" || f.ContentType != "application/pdf" || !bytes.Equal(f.Data, pdf) {
		t.Errorf("attachment %q %q (%d bytes), want the PDF byte for byte", f.Name, f.ContentType, len(f.Data))
	}
}
