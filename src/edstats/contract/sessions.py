"""Reading and checking the daily attendance feed, which is too large to hold or check as text.

A city's feed is about 100 million rows (pupil x school x day x session). It is read one Parquet
file at a time with its text columns dictionary-encoded, so every rule is checked once per
distinct value (a few hundred thousand UPNs, a few hundred dates, a dozen marks) and rows are
located only for a value that breaks a rule. In the same pass each file is reduced to what every
measure needs — sessions counted and sessions missed per enrolment (pupil x school) and month —
with integer codes and ``numpy.bincount``, never a Python object per row. The result,
:class:`SessionFeed`, is a few million rows at city scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .attendance import ALL_MARKS, ATTENDANCE_SESSIONS, AUTHORISED_MARKS, NOT_COUNTED_MARKS, UNAUTHORISED_MARKS
from .identifiers import valid_upn_mask
from .reader import InputFile, file_sha256

COLUMNS = list(ATTENDANCE_SESSIONS.column_names)
MAX_ROWS_REPORTED = 1000


@dataclass
class SessionFeed:
    """The daily feed reduced to enrolment-months.

    ``monthly`` has ``upn, school_urn, month`` (YYYY-MM), ``possible`` (sessions with a counted
    mark) and ``absent`` (authorised and unauthorised absence marks among them); ``rows`` is the
    number of feed rows read and ``last_date`` the last date in the feed (ISO).
    """

    monthly: pd.DataFrame
    rows: int
    last_date: str | None

    @property
    def num_rows(self) -> int:
        return self.rows


def _problem(path, rule, fix, line="", column="", value=""):
    return {"dataset": "attendance_sessions", "file": str(path), "line": line, "column": column,
            "value": value, "rule": rule, "fix": fix, "severity": "error"}


def _group_max_date(meta: pq.FileMetaData, group: int) -> str | None:
    """A row group's last date from the file's statistics (None when it has none)."""
    stats = meta.row_group(group).column(meta.schema.names.index("date")).statistics
    if stats is None or not stats.has_min_max:
        return None
    return stats.max.decode() if isinstance(stats.max, bytes) else str(stats.max)


def _statistics_max_date(meta: pq.FileMetaData, groups: list[int]) -> str | None:
    """The last date of the row groups, from the file's statistics (None when any group has none)."""
    tops = [_group_max_date(meta, g) for g in groups]
    return None if not tops or None in tops else max(tops)


def last_date_in_statistics(folder: Path) -> str | None:
    """The feed's last date from its files' Parquet statistics alone (no rows read)."""
    tops = [_statistics_max_date(meta, list(range(meta.num_row_groups)))
            for meta in (pq.ParquetFile(p).metadata for p in sorted(Path(folder).glob("*.parquet")))]
    return None if not tops or None in tops else max(tops)


def _row_groups_since(meta: pq.FileMetaData, since: str | None) -> list[int]:
    """Row groups that may hold dates on or after ``since`` (all when no statistics say otherwise)."""
    groups = list(range(meta.num_row_groups))
    if since is None:
        return groups
    return [g for g in groups if (top := _group_max_date(meta, g)) is None or top >= since]


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(row codes, -1 where missing; distinct values as strings) of a column whose chunks share
    one dictionary (after ``unify_dictionaries``)."""
    if not pa.types.is_dictionary(column.type):
        column = pc.cast(column, pa.string()).dictionary_encode()
    if column.num_chunks == 0:
        return np.zeros(0, np.int32), np.zeros(0, object)
    values = pc.cast(column.chunk(0).dictionary, pa.string()).to_numpy(zero_copy_only=False).astype(object)
    parts = [(pc.fill_null(chunk.indices, -1) if chunk.null_count else chunk.indices).to_numpy() for chunk in column.chunks]
    return np.concatenate(parts), values


def _check(path, offsets, codes, values, column, bad, rule, fix, problems):
    """Report every row (up to MAX_ROWS_REPORTED) holding one of the ``bad`` distinct values."""
    bad = np.asarray(bad, dtype=bool)
    if not bad.any():
        return
    lookup = np.append(bad, False)          # code -1 (missing) indexes the last entry
    rows = np.flatnonzero(lookup[codes])[:MAX_ROWS_REPORTED]
    for row in rows:
        problems.append(_problem(path, rule, fix, line=_line(offsets, row), column=column,
                                 value=str(values[codes[row]])))


def _line(offsets: np.ndarray, row: int) -> int:
    """Row in the table read -> row number in the file, counted like a CSV line (header = 1)."""
    group = int(np.searchsorted(offsets[1:, 0], row, side="right"))
    return int(offsets[group, 1] + row - offsets[group, 0] + 2)


def _reduce(path: Path, table: pa.Table, offsets, school_urns, problems, last_date: str | None = None
            ) -> tuple[pd.DataFrame, str | None]:
    """Check one file's rows and reduce them to enrolment-months; also returns the last date
    (``last_date`` when the file's statistics gave it)."""
    table = table.unify_dictionaries()
    upn, upn_values = _codes(table["upn"])
    urn, urn_values = _codes(table["school_urn"])
    day, day_values = _codes(table["date"])
    session, session_values = _codes(table["session"])
    mark, mark_values = _codes(table["mark"])

    nulls = {name: table[name].null_count for name in COLUMNS}
    for column, codes in (("upn", upn), ("school_urn", urn), ("date", day), ("session", session), ("mark", mark)):
        if not nulls[column]:
            continue
        missing = np.flatnonzero(codes < 0)[:MAX_ROWS_REPORTED]
        for row in missing:
            problems.append(_problem(path, f"{column} is required", "Fill in the value in the export.",
                                     line=_line(offsets, row), column=column))
    _check(path, offsets, upn, upn_values, "upn", ~valid_upn_mask(pd.Series(upn_values, dtype="string").fillna("")),
           "UPN must be 13 characters with a valid DfE check letter", "Check the UPN in the MIS export.", problems)
    urn_ok = pd.Series(urn_values, dtype="string").str.fullmatch(r"[0-9]{6}").fillna(False).to_numpy(bool)
    if school_urns is not None:
        urn_ok &= np.isin(urn_values, list(school_urns))
    _check(path, offsets, urn, urn_values, "school_urn", ~urn_ok,
           "school_urn must be a 6-digit URN in the schools dataset", "Correct the URN.", problems)
    parsed = pd.to_datetime(pd.Series(day_values, dtype="string"), format="%Y-%m-%d", errors="coerce")
    _check(path, offsets, day, day_values, "date", parsed.isna().to_numpy(), "date must be written YYYY-MM-DD",
           "Write ISO dates.", problems)
    _check(path, offsets, day, day_values, "date", (parsed > pd.Timestamp(date.today())).fillna(False).to_numpy(),
           "date is in the future", "Check the date.", problems)
    _check(path, offsets, session, session_values, "session", ~np.isin(session_values, ["AM", "PM"]),
           "session must be AM or PM", "Use AM or PM.", problems)
    _check(path, offsets, mark, mark_values, "mark", ~np.isin(mark_values, list(ALL_MARKS)),
           f"mark must be a DfE attendance code ({' '.join(ALL_MARKS)})", "Map the MIS code to DfE's code.", problems)

    if nulls["upn"] or nulls["school_urn"] or nulls["date"] or nulls["mark"]:
        usable = (upn >= 0) & (urn >= 0) & (day >= 0) & (mark >= 0)
        upn, urn, day, mark = upn[usable], urn[usable], day[usable], mark[usable]
    if last_date is None:        # no Parquet statistics: look at the dates in use
        used_days = np.bincount(day, minlength=len(day_values)) > 0 if len(day) else np.zeros(len(day_values), bool)
        good_dates = parsed.notna().to_numpy() & used_days
        last_date = max(day_values[good_dates]) if good_dates.any() else None

    # each mark as 0 not counted, 1 counted and not absence, 2 absence; one count per (cell, kind)
    counted = ~np.isin(mark_values, list(NOT_COUNTED_MARKS))
    kind = (counted.astype(np.int64) + (np.isin(mark_values, list(AUTHORISED_MARKS + UNAUTHORISED_MARKS))
                                        & counted)).astype(np.int64)
    month_codes, months = pd.factorize(pd.Series(day_values, dtype="string").str.slice(0, 7))
    enrolment, keys = pd.factorize(upn.astype(np.int64) * len(urn_values) + urn)
    cell = enrolment.astype(np.int64, copy=False)            # built in place: 100M-row arrays are costly
    cell *= len(months)
    cell += month_codes[day]
    cell *= 3
    cell += kind[mark]
    size = len(keys) * len(months)
    counts = np.bincount(cell, minlength=3 * size).reshape(size, 3)
    possible, missed = counts[:, 1] + counts[:, 2], counts[:, 2]
    where = np.flatnonzero(counts.sum(axis=1) > 0)
    enrol_key = keys[where // len(months)]
    frame = pd.DataFrame({
        "upn": upn_values[enrol_key // len(urn_values)],
        "school_urn": urn_values[enrol_key % len(urn_values)],
        "month": np.asarray(months, dtype=object)[where % len(months)],
        "possible": possible[where].astype(np.int64),
        "absent": missed[where].astype(np.int64),
    })
    return frame, last_date


def read_sessions(folder: Path, school_urns: set | None = None, since: str | None = None
                  ) -> tuple[SessionFeed | None, list[InputFile], list[dict]]:
    """(the feed reduced to enrolment-months, files read, problems), checking every rule.

    ``school_urns`` are the URNs of the schools dataset (every feed URN must be one); ``since``
    (ISO date) reads only the row groups that may hold that date or later — for a year to date.
    """
    frames, files, problems, last_dates, rows = [], [], [], [], 0
    for path in sorted(p for p in Path(folder).iterdir() if p.is_file() and not p.is_symlink() and p.name != ".gitkeep"):
        if path.suffix.lower() != ".parquet":
            problems.append(_problem(path, f"{path.name}: the daily feed must be Parquet files",
                                     "Export the feed as Parquet (CSV is too large at city scale)."))
            continue
        parquet = pq.ParquetFile(path, read_dictionary=COLUMNS)
        missing = [c for c in COLUMNS if c not in parquet.schema_arrow.names]
        if missing:
            problems.append(_problem(path, f"required column(s) {', '.join(missing)} missing", "Add the column(s) "
                                     "to the export.", line=1, column=missing[0]))
            continue
        groups = _row_groups_since(parquet.metadata, since)
        starts = np.cumsum([0] + [parquet.metadata.row_group(g).num_rows for g in range(parquet.metadata.num_row_groups)])
        sizes = [parquet.metadata.row_group(g).num_rows for g in groups]
        offsets = np.column_stack([np.cumsum([0] + sizes[:-1]), starts[groups]]) if groups else np.zeros((1, 2), int)
        table = parquet.read_row_groups(groups, columns=COLUMNS) if groups else None
        files.append(InputFile(str(path), file_sha256(path), parquet.metadata.num_rows))
        if table is None or table.num_rows == 0:
            continue
        frame, last = _reduce(path, table, offsets, school_urns, problems,
                              _statistics_max_date(parquet.metadata, groups))
        rows += table.num_rows
        frames.append(frame)
        if last:
            last_dates.append(last)
        del table
    if not frames:
        return None, files, problems
    monthly = pd.concat(frames, ignore_index=True)
    if len(frames) > 1:      # a month can span two files (a term ending and the next starting)
        for column in ("upn", "school_urn", "month"):
            monthly[column] = monthly[column].astype("category")
        monthly = monthly.groupby(["upn", "school_urn", "month"], observed=True, sort=False)[
            ["possible", "absent"]].sum().reset_index()
    return SessionFeed(monthly, rows, max(last_dates) if last_dates else None), files, problems
