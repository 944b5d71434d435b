"""Reading and checking the daily attendance feed, which is too large to check as text.

The feed is tens of millions of rows, so it is read with pyarrow and each rule is checked on the
column's distinct values (a few hundred thousand UPNs, a few hundred dates); only rows holding a
bad value are then located to report their file and row.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pandas as pd

from .attendance import ALL_MARKS, ATTENDANCE_SESSIONS
from .identifiers import valid_upn_mask
from .reader import InputFile, file_sha256


def _decode(column):
    return pc.dictionary_decode(column) if pa.types.is_dictionary(column.type) else column


def read_sessions(folder: Path) -> tuple[pa.Table | None, list[InputFile], list[dict]]:
    """(the feed as one table with string columns kept dictionary-encoded, files read, problems)."""
    tables, files, problems = [], [], []
    for path in sorted(p for p in Path(folder).iterdir() if p.is_file() and p.name != ".gitkeep"):
        if path.suffix.lower() != ".parquet":
            problems.append({"dataset": "attendance_sessions", "file": str(path), "line": "", "column": "",
                             "value": "", "rule": f"{path.name}: the daily feed must be Parquet files",
                             "fix": "Export the feed as Parquet (CSV is too large at city scale).", "severity": "error"})
            continue
        table = pq.read_table(path)
        missing = [c for c in ATTENDANCE_SESSIONS.column_names if c not in table.column_names]
        if missing:
            problems.append({"dataset": "attendance_sessions", "file": str(path), "line": 1, "column": missing[0],
                             "value": "", "rule": f"required column(s) {', '.join(missing)} missing",
                             "fix": "Add the column(s) to the export.", "severity": "error"})
            continue
        table = table.select(ATTENDANCE_SESSIONS.column_names)
        table = table.set_column(2, "date", pc.cast(_decode(table["date"]), pa.string()).dictionary_encode()
                                 if not pa.types.is_dictionary(table["date"].type) or
                                 not pa.types.is_string(table["date"].type.value_type) else table["date"])
        table = table.append_column("_file_index", pa.array([len(files)] * table.num_rows, pa.int16()))
        files.append(InputFile(str(path), file_sha256(path), table.num_rows))
        tables.append(table.combine_chunks().unify_dictionaries() if hasattr(table, "unify_dictionaries") else table)
    if not tables:
        return None, files, problems
    table = pa.concat_tables(tables, promote_options="permissive").unify_dictionaries()
    return table, files, problems


def check_sessions(table: pa.Table, files: list[InputFile], school_urns: set | None) -> list[dict]:
    """Every rule of the feed, checked on distinct values; bad rows located and reported."""
    problems = []

    def report(column, bad_values, rule, fix):
        if not len(bad_values):
            return
        values = _decode(table[column])
        mask = pc.is_in(values, pa.array(list(bad_values), values.type))
        rows = pc.indices_nonzero(mask).to_numpy()
        file_index = table["_file_index"].to_numpy()
        starts = {}
        for i, f in enumerate(files):
            starts[i] = sum(x.rows for x in files[:i])
        for row in rows[:1000]:
            fi = int(file_index[row])
            problems.append({"dataset": "attendance_sessions", "file": files[fi].path,
                             "line": int(row - starts[fi] + 2), "column": column,
                             "value": str(values[int(row)].as_py()), "rule": rule, "fix": fix, "severity": "error"})

    def distinct(column) -> pd.Series:
        return pd.Series(pc.unique(_decode(table[column])).to_pylist(), dtype="string")

    upns = distinct("upn")
    report("upn", upns[~valid_upn_mask(upns.fillna(""))].dropna().tolist(),
           "UPN must be 13 characters with a valid DfE check letter", "Check the UPN in the MIS export.")
    urns = distinct("school_urn")
    bad = urns[~urns.fillna("").str.fullmatch(r"\d{6}")].dropna().tolist()
    if school_urns is not None:
        bad += urns[urns.str.fullmatch(r"\d{6}").fillna(False) & ~urns.isin(school_urns)].tolist()
    report("school_urn", bad, "school_urn must be a 6-digit URN in the schools dataset", "Correct the URN.")
    dates = distinct("date")
    parsed = pd.to_datetime(dates, format="%Y-%m-%d", errors="coerce")
    report("date", dates[parsed.isna()].dropna().tolist(), "date must be written YYYY-MM-DD", "Write ISO dates.")
    report("date", dates[parsed > pd.Timestamp(date.today())].tolist(), "date is in the future", "Check the date.")
    sessions = distinct("session")
    report("session", sessions[~sessions.isin(["AM", "PM"])].dropna().tolist(), "session must be AM or PM",
           "Use AM or PM.")
    marks = distinct("mark")
    report("mark", marks[~marks.isin(ALL_MARKS)].dropna().tolist(),
           f"mark must be a DfE attendance code ({' '.join(ALL_MARKS)})", "Map the MIS code to DfE's code.")
    return problems
