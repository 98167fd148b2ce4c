-- Clients area, impersonation and dashboards (DESIGN §8).

-- How a user last chose to see the clients dashboard: 'list' (a table) or 'cards'.
ALTER TABLE users ADD COLUMN clients_view TEXT NOT NULL DEFAULT 'list' CHECK (clients_view IN ('list', 'cards'));

-- A session acting as another user (impersonation): whom it acts as, since when (it ends after an
-- hour), and the organization it was started from. NULL: the session is its own user's.
ALTER TABLE sessions ADD COLUMN acting_as_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE sessions ADD COLUMN acting_since INTEGER;
ALTER TABLE sessions ADD COLUMN acting_org_id INTEGER REFERENCES organizations (id) ON DELETE SET NULL;

-- The person really acting when an entry was written while impersonating: the actor columns name
-- the user acted as, these the impersonator, so that every such entry names both people.
ALTER TABLE audit_log ADD COLUMN impersonator_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE audit_log ADD COLUMN impersonator_email TEXT NOT NULL DEFAULT '';

-- The home dashboards' month-to-date cost of a license, cached. A row is good only for the UTC
-- day it was computed on (the projection depends on the day) and while its version equals the
-- license's cost_version, which every write that can change the month's cost (usage stored or
-- imported for the license, its terms, dates or status changed) increments in its own transaction.
ALTER TABLE licenses ADD COLUMN cost_version INTEGER NOT NULL DEFAULT 0;
CREATE TABLE license_month_costs (
    license_id      INTEGER NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    month           TEXT    NOT NULL, -- YYYY-MM
    day             TEXT    NOT NULL, -- YYYY-MM-DD the figures were computed on
    version         INTEGER NOT NULL, -- the license's cost_version they were computed from
    currency        TEXT    NOT NULL,
    total           INTEGER NOT NULL, -- minor units
    projected_total INTEGER NOT NULL,
    extra_cores     INTEGER NOT NULL, -- core-days beyond the prepaid cores so far this month
    complete        INTEGER NOT NULL,
    PRIMARY KEY (license_id, month)
);

-- The dashboards count licenses by status and end date per distributor, and clients by country.
CREATE INDEX licenses_distributor_status ON licenses (distributor_id, status, end_date);
CREATE INDEX licenses_org_status ON licenses (organization_id, status);
CREATE INDEX organizations_kind_name ON organizations (kind, name);
