package store

import "context"

// Attachment is a file sent with an email.
type Attachment struct {
	Name     string // the file name the recipient sees
	MimeType string
	Data     []byte
}

// insertAttachments keeps an email's files beside it, in the transaction that writes the email.
func insertAttachments(ctx context.Context, tx *Tx, outboxID int64, atts []Attachment) error {
	for _, a := range atts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox_attachments (outbox_id, name, mime_type, data) VALUES (?, ?, ?, ?)`,
			outboxID, a.Name, a.MimeType, a.Data); err != nil {
			return err
		}
	}
	return nil
}

// EmailAttachments lists the files of an email, in the order they were added. The outbox lists
// leave them out, so that a page of emails never loads their PDFs.
func (db *DB) EmailAttachments(ctx context.Context, outboxID int64) ([]Attachment, error) {
	var atts []Attachment
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT name, mime_type, data FROM outbox_attachments WHERE outbox_id = ? ORDER BY id`, outboxID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a Attachment
			if err := rows.Scan(&a.Name, &a.MimeType, &a.Data); err != nil {
				return err
			}
			atts = append(atts, a)
		}
		return rows.Err()
	})
	return atts, err
}
