-- PostgreSQL only, before everything else: what the shared migrations and queries rely on that
-- SQLite has built in. Emails compare regardless of case (SQLite's COLLATE NOCASE): citext, a
-- trusted extension the database's owner may create. Names sort regardless of case in lists
-- (ORDER BY … COLLATE NOCASE): a collation of that name.
CREATE EXTENSION IF NOT EXISTS citext;
CREATE COLLATION IF NOT EXISTS nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
