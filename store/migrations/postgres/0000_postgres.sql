-- PostgreSQL only, before everything else: what the shared migrations and queries rely on that
-- SQLite has built in. Emails compare regardless of case (SQLite's COLLATE NOCASE): citext, a
-- trusted extension the database's owner may create. Names sort regardless of case in lists
-- (ORDER BY … COLLATE NOCASE): a collation of that name.
CREATE EXTENSION IF NOT EXISTS citext;
CREATE COLLATION IF NOT EXISTS nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);

-- The two SQLite functions the queries use, for the arguments they use them with.
-- instr(haystack, needle): the 1-based position of needle, 0 when absent.
CREATE FUNCTION instr(text, text) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT strpos($1, $2)';
-- strftime(format, unix seconds, ''unixepoch''): the UTC date of a time in the formats %Y and %Y-%m-%d.
CREATE FUNCTION strftime(text, bigint, text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT to_char(to_timestamp($2) AT TIME ZONE 'UTC',
                   CASE $1 WHEN '%Y' THEN 'YYYY' WHEN '%Y-%m-%d' THEN 'YYYY-MM-DD' END)
        WHERE $3 = 'unixepoch' $$;
