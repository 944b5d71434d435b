-- The daily attendance feed ($paths: its Parquet files) counted in one pass over its rows, for the
-- rules and the measures (edstats.contract.sessions): `marks` holds each enrolment's sessions by
-- month and mark, `days` each date's sessions by AM/PM. Only the rows of $since or later when a
-- date is given (a year to date: DuckDB skips the row groups before it).
CREATE TEMP TABLE marks AS
SELECT upn::VARCHAR AS upn, school_urn::VARCHAR AS school_urn, left(date::VARCHAR, 7) AS month, mark::VARCHAR AS mark,
       count(*) AS sessions
FROM read_parquet($paths, union_by_name = true)
WHERE $since IS NULL OR date::VARCHAR >= $since
GROUP BY ALL;

CREATE TEMP TABLE days AS
SELECT date::VARCHAR AS date, session::VARCHAR AS session, count(*) AS sessions
FROM read_parquet($paths, union_by_name = true)
WHERE $since IS NULL OR date::VARCHAR >= $since
GROUP BY ALL;
