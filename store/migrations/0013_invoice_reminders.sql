-- The overdue reminders sent about an invoice (DESIGN §7: the day after its due date, then every
-- 7 days while it stays overdue, at most 3). The daily job records each with its emails, once.
CREATE TABLE invoice_reminders (
    invoice_id INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    nth        INTEGER NOT NULL CHECK (nth BETWEEN 1 AND 3),
    sent_on    TEXT    NOT NULL, -- YYYY-MM-DD
    recipients TEXT    NOT NULL,
    PRIMARY KEY (invoice_id, nth)
) WITHOUT ROWID;
