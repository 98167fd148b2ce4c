-- Invoices, payments and the client journal (DESIGN §7). Money in minor units of the invoice's
-- currency; days as 'YYYY-MM-DD'; quantities in ten-thousandths; tax rates in hundredths of a percent.

-- An issuer's invoicing settings (a distributor, or the vendor for its direct clients). No row: the defaults.
CREATE TABLE invoice_settings (
    org_id        INTEGER PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    prefix        TEXT    NOT NULL DEFAULT 'INV',
    payment_terms INTEGER NOT NULL DEFAULT 30 CHECK (payment_terms BETWEEN 0 AND 365),
    tax_rate      INTEGER NOT NULL DEFAULT 0 CHECK (tax_rate BETWEEN 0 AND 10000),
    currency      TEXT    NOT NULL DEFAULT 'EUR',
    bank_details  TEXT    NOT NULL DEFAULT '',
    footer        TEXT    NOT NULL DEFAULT '',
    auto_issue    INTEGER NOT NULL DEFAULT 0,
    updated_at    INTEGER NOT NULL
);

-- The last number given per issuer and year: numbers are gapless because the counter moves in the
-- transaction that issues, and a failed issue rolls it back.
CREATE TABLE invoice_sequences (
    issuer_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    year      INTEGER NOT NULL,
    last      INTEGER NOT NULL,
    PRIMARY KEY (issuer_id, year)
) WITHOUT ROWID;

CREATE TABLE invoices (
    id              INTEGER PRIMARY KEY,
    issuer_id       INTEGER NOT NULL REFERENCES organizations (id),
    organization_id INTEGER NOT NULL REFERENCES organizations (id),
    license_id      INTEGER REFERENCES licenses (id) ON DELETE SET NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('prepaid', 'usage', 'manual')),
    status          TEXT    NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'issued', 'paid', 'void')),
    number          TEXT,    -- NULL while a draft
    year            INTEGER, -- of the number
    seq             INTEGER, -- of the number
    currency        TEXT    NOT NULL,
    tax_rate        INTEGER NOT NULL DEFAULT 0,
    subtotal        INTEGER NOT NULL DEFAULT 0,
    tax             INTEGER NOT NULL DEFAULT 0,
    total           INTEGER NOT NULL DEFAULT 0 CHECK (total >= 0),
    period_key      TEXT    NOT NULL DEFAULT '', -- generated invoices: the period's key (2026-11, 2026-H2, …)
    period_from     TEXT,
    period_to       TEXT,
    issue_date      TEXT,
    due_date        TEXT,    -- on a draft: the due date it keeps at issue, if set
    notes           TEXT    NOT NULL DEFAULT '',
    void_reason     TEXT    NOT NULL DEFAULT '',
    voided_at       INTEGER,
    created_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    issued_at       INTEGER,
    UNIQUE (issuer_id, number),
    CHECK ((status = 'draft') = (number IS NULL))
);
CREATE INDEX invoices_org ON invoices (organization_id, status);
CREATE INDEX invoices_issuer ON invoices (issuer_id, status);
CREATE INDEX invoices_license ON invoices (license_id);
-- One live generated invoice per license, kind and period; a void one may be invoiced again.
CREATE UNIQUE INDEX invoices_generated ON invoices (license_id, kind, period_key)
    WHERE kind <> 'manual' AND status <> 'void';

CREATE TABLE invoice_lines (
    invoice_id      INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    description     TEXT    NOT NULL,
    quantity        INTEGER NOT NULL, -- ten-thousandths
    unit_price      INTEGER NOT NULL, -- negative: a discount
    amount          INTEGER NOT NULL,
    month           TEXT    NOT NULL DEFAULT '', -- generated usage lines: the month, YYYY-MM
    extra_core_days INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (invoice_id, position)
) WITHOUT ROWID;

-- Payments are never deleted: a mistaken one is reversed, and the reversal is a journal entry of its own.
-- from_credit: the client's credit applied to this invoice, which the journal already counts.
CREATE TABLE invoice_payments (
    id          INTEGER PRIMARY KEY,
    invoice_id  INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    amount      INTEGER NOT NULL CHECK (amount > 0),
    date        TEXT    NOT NULL,
    method      TEXT    NOT NULL DEFAULT '',
    reference   TEXT    NOT NULL DEFAULT '',
    from_credit INTEGER NOT NULL DEFAULT 0,
    created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    reversed_at INTEGER,
    reversed_by INTEGER REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX invoice_payments_invoice ON invoice_payments (invoice_id);

-- PDF versions of an issued invoice: the one generated at issue and those the issuer uploads.
-- The latest is served; all stay downloadable by the issuer.
CREATE TABLE invoice_pdfs (
    id           INTEGER PRIMARY KEY,
    invoice_id   INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    source       TEXT    NOT NULL CHECK (source IN ('generated', 'uploaded')),
    filename     TEXT    NOT NULL DEFAULT '',
    size         INTEGER NOT NULL,
    sha256       BLOB    NOT NULL,
    content      BLOB    NOT NULL,
    created_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_email TEXT   NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE INDEX invoice_pdfs_invoice ON invoice_pdfs (invoice_id, id);

-- A client's journal, per currency: written in the transaction of what it records, never changed.
CREATE TABLE journal_entries (
    id              INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    currency        TEXT    NOT NULL,
    date            TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('invoice', 'payment', 'payment_reversed', 'void', 'credit', 'debit')),
    description     TEXT    NOT NULL,
    debit           INTEGER NOT NULL DEFAULT 0 CHECK (debit >= 0),
    credit          INTEGER NOT NULL DEFAULT 0 CHECK (credit >= 0),
    invoice_id      INTEGER REFERENCES invoices (id) ON DELETE SET NULL,
    payment_id      INTEGER REFERENCES invoice_payments (id) ON DELETE SET NULL,
    created_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX journal_entries_org ON journal_entries (organization_id, date, id);

-- The periods the daily job has dealt with, whether or not they gave an invoice, so that each run
-- only looks at new ones.
CREATE TABLE invoice_generations (
    license_id INTEGER NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    period_key TEXT    NOT NULL,
    invoice_id INTEGER REFERENCES invoices (id) ON DELETE SET NULL,
    done_at    INTEGER NOT NULL,
    PRIMARY KEY (license_id, kind, period_key)
) WITHOUT ROWID;
