"""Reading and checking the daily attendance feed, which is too large to hold or check as text.

A city's feed is about 100 million rows (pupil x school x day x session), as Parquet files. DuckDB
reads them in two queries (``sql/feed_marks.sql``): every enrolment's (pupil x school) sessions
counted by month, possible and absent, and every (date, session, mark) counted. The rules are checked on
those few million counts — each distinct UPN, URN, month, mark, date and session once — and the
rows holding a value that breaks a rule are looked for in the files only then (``feed_rows``),
with their file and line. The result, :class:`SessionFeed`, is the feed reduced to
enrolment-months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..engine import connect, run_script, sql
from .attendance import ALL_MARKS, ATTENDANCE_SESSIONS, AUTHORISED_MARKS, NOT_COUNTED_MARKS, UNAUTHORISED_MARKS
from .reader import InputFile

COLUMNS = list(ATTENDANCE_SESSIONS.column_names)
MAX_ROWS_REPORTED = 1000


@dataclass
class SessionFeed:
    """The daily feed reduced to enrolment-months.

    ``monthly`` (an Arrow table, which DuckDB reads in place) has ``upn, school_urn, month``
    (YYYY-MM), ``possible`` (sessions with a counted mark) and ``absent`` (authorised and
    unauthorised absence marks among them); ``rows`` is the number of feed rows read and
    ``last_date`` the last date in the feed (ISO).
    """

    monthly: pa.Table
    rows: int
    last_date: str | None

    @property
    def num_rows(self) -> int:
        return self.rows


def _problem(path, rule, fix, line="", column="", value=""):
    return {"dataset": "attendance_sessions", "file": str(path), "line": line, "column": column,
            "value": value, "rule": rule, "fix": fix, "severity": "error"}


def last_date_in_statistics(folder: Path) -> str | None:
    """The feed's last date from its files' Parquet statistics alone (no rows read)."""
    paths = sorted(str(p) for p in Path(folder).glob("*.parquet"))
    if not paths:
        return None
    (last,) = connect().execute("SELECT max(stats_max_value) FROM parquet_metadata($paths) WHERE path_in_schema = 'date'",
                                {"paths": paths}).fetchone()
    return last


#: The rules, each as (column, SQL condition on a distinct value ``v`` that breaks it, rule, fix), in
#: the order they are reported. ``$urns`` is the schools dataset's URNs (every feed URN must be one).
RULES = [
    ("upn", "NOT upn_is_valid(v)", "UPN must be 13 characters with a valid DfE check letter",
     "Check the UPN in the MIS export."),
    ("school_urn", "NOT regexp_full_match(v, '[0-9]{6}') OR NOT coalesce(list_contains($urns::VARCHAR[], v), true)",
     "school_urn must be a 6-digit URN in the schools dataset", "Correct the URN."),
    ("date", "iso_date(v) IS NULL",
     "date must be written YYYY-MM-DD", "Write ISO dates."),
    ("date", "iso_date(v) > $today::DATE", "date is in the future", "Check the date."),
    ("session", "v NOT IN ('AM', 'PM')", "session must be AM or PM", "Use AM or PM."),
    ("mark", "v NOT IN $marks", f"mark must be a DfE attendance code ({' '.join(ALL_MARKS)})",
     "Map the MIS code to DfE's code."),
]

#: Where each column's distinct values are found: the table of counts that has it as a column.
_COUNTS_OF = {"upn": "enrolment_months", "school_urn": "enrolment_months", "mark": "days", "date": "days",
              "session": "days"}


def feed_rows(con, paths: list[str], column: str, values: list[str] | None) -> list[tuple[str, int, str | None]]:
    """(file, line, value) of the rows whose ``column`` is one of ``values`` (None: blank), at most
    :data:`MAX_ROWS_REPORTED` a file, in order; a line is counted as in a CSV (header = line 1)."""
    where = f"{column} IS NULL" if values is None else f"{column}::VARCHAR IN (SELECT unnest($values))"
    return con.execute(f"""
        SELECT filename, file_row_number + 2 AS line, {column}::VARCHAR
        FROM read_parquet($paths, filename = true, file_row_number = true, union_by_name = true)
        WHERE {where}
        QUALIFY row_number() OVER (PARTITION BY filename ORDER BY file_row_number) <= {MAX_ROWS_REPORTED}
        ORDER BY filename, line""", {"paths": paths, **({} if values is None else {"values": values})}).fetchall()


def _check(con, paths: list[str], school_urns) -> list[dict]:
    """Every rule on the counts of ``enrolment_months`` and ``days``; the rows at fault found in the files."""
    problems = []
    for column in COLUMNS:
        (blank,) = con.execute(f"SELECT count(*) FROM {_COUNTS_OF[column]} WHERE {column} IS NULL").fetchone()
        if blank:
            problems += [_problem(file, f"{column} is required", "Fill in the value in the export.", line=line,
                                  column=column) for file, line, _ in feed_rows(con, paths, column, None)]
    parameters = {"urns": sorted(school_urns) if school_urns is not None else None,
                  "today": date.today().isoformat(), "marks": list(ALL_MARKS)}
    for column, condition, rule, fix in RULES:
        used = {name: value for name, value in parameters.items() if f"${name}" in condition}
        # the condition as an aggregate's filter over the distinct values: as a WHERE, DuckDB would
        # push it below the DISTINCT and run it on every row of the counts (2 s instead of 0.2 for a
        # city's UPNs)
        (bad,) = con.execute(f"SELECT list(v) FILTER (WHERE {condition}) FROM (SELECT DISTINCT {column} AS v "
                             f"FROM {_COUNTS_OF[column]} WHERE {column} IS NOT NULL)", used).fetchone()
        if bad:
            problems += [_problem(file, rule, fix, line=line, column=column, value=value)
                         for file, line, value in feed_rows(con, paths, column, bad)]
    return problems


def read_sessions(folder: Path, school_urns: set | None = None, since: str | None = None
                  ) -> tuple[SessionFeed | None, list[InputFile], list[dict]]:
    """(the feed reduced to enrolment-months, files read, problems), checking every rule.

    ``school_urns`` are the URNs of the schools dataset (every feed URN must be one); ``since``
    (ISO date) reads only the rows of that date or later — for a year to date.
    """
    files, problems, paths = [], [], []
    for path in sorted(p for p in Path(folder).iterdir() if p.is_file() and not p.is_symlink() and p.name != ".gitkeep"):
        if path.suffix.lower() != ".parquet":
            problems.append(_problem(path, f"{path.name}: the daily feed must be Parquet files",
                                     "Export the feed as Parquet (CSV is too large at city scale)."))
            continue
        metadata = pq.read_metadata(path)
        missing = [c for c in COLUMNS if c not in metadata.schema.names]
        if missing:
            problems.append(_problem(path, f"required column(s) {', '.join(missing)} missing", "Add the column(s) "
                                     "to the export.", line=1, column=missing[0]))
            continue
        files.append(InputFile(str(path), metadata.num_rows))
        paths.append(str(path))
    if not paths:
        return None, files, problems
    con = connect()
    run_script(con, "feed_marks", {"paths": paths, "since": since,
                                   "counted": [m for m in ALL_MARKS if m not in NOT_COUNTED_MARKS],
                                   "absent": list(AUTHORISED_MARKS + UNAUTHORISED_MARKS)})
    problems += _check(con, paths, school_urns)
    (rows,) = con.execute("SELECT coalesce(sum(sessions), 0) FROM days").fetchone()
    if not rows:
        return None, files, problems
    monthly = con.execute(sql("feed_monthly")).to_arrow_table()
    (last,) = con.execute("SELECT max(date) FROM days WHERE iso_date(date) IS NOT NULL").fetchone()
    return SessionFeed(monthly, int(rows), last), files, problems
