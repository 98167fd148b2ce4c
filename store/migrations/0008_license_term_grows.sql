-- A renewal makes a license's term grow with its end date (DESIGN §6), past the 1 to 5 years a term
-- is chosen from. The CHECK belongs to the column, and SQLite cannot change a CHECK in place: the
-- column is replaced by one allowing up to 100 years, in the same transaction, with its values.
ALTER TABLE licenses ADD COLUMN term_years_grown INTEGER NOT NULL DEFAULT 1 CHECK (term_years_grown BETWEEN 1 AND 100);
UPDATE licenses SET term_years_grown = term_years;
ALTER TABLE licenses DROP COLUMN term_years;
ALTER TABLE licenses RENAME COLUMN term_years_grown TO term_years;
