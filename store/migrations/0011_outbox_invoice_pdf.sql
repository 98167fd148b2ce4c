-- An email about an issued invoice carries its PDF: the version stored when the email was written.
ALTER TABLE outbox ADD COLUMN invoice_pdf_id INTEGER REFERENCES invoice_pdfs (id) ON DELETE SET NULL;
