-- The daily attendance feed ($paths: its Parquet files) counted for the rules and the measures
-- (edstats.contract.sessions), two tables from its rows: `enrolment_months` holds each enrolment's
-- sessions by month, with its possible sessions (a mark in $counted) and absences (a mark in
-- $absent); `days` each date's sessions by AM/PM and mark. Only the rows of $since or later when a
-- date is given (a year to date: DuckDB skips the row groups before it).
CREATE TEMP TABLE enrolment_months AS
SELECT upn::VARCHAR AS upn, school_urn::VARCHAR AS school_urn, left(date::VARCHAR, 7) AS month,
       count(*) AS sessions,
       count(*) FILTER (WHERE mark::VARCHAR IN (SELECT unnest($counted))) AS possible,
       count(*) FILTER (WHERE mark::VARCHAR IN (SELECT unnest($absent))) AS absent
FROM read_parquet($paths, union_by_name = true)
WHERE $since IS NULL OR date::VARCHAR >= $since
GROUP BY ALL;

CREATE TEMP TABLE days AS
SELECT date::VARCHAR AS date, session::VARCHAR AS session, mark::VARCHAR AS mark, count(*) AS sessions
FROM read_parquet($paths, union_by_name = true)
WHERE $since IS NULL OR date::VARCHAR >= $since
GROUP BY ALL;
