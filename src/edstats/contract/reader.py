"""Read a dataset folder into DuckDB: every CSV (UTF-8, BOM tolerated) or Parquet file, stacked.

Each row keeps ``_file`` and ``_line``: the line in the CSV, header = line 1. For Parquet it is the
row number counting the first row as 2, so the two read alike. CSV cells are kept as text, so
that the checks can report a cell exactly as the analyst wrote it. Parquet numbers stay numbers;
its other columns become text (a date as ``YYYY-MM-DD``).

DuckDB reads a CSV file when every line is one row. A file with blank lines, values over several
lines, rows of the wrong length or NUL bytes is read row by row with Python's csv module, so that
every row keeps its own line and every bad line is named. DuckDB's own line numbers count records,
not lines.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from ..errors import InputError
from .identifiers import mask_identifiers

FILE_COL, LINE_COL = "_file", "_line"
#: A row's place in the order the dataset's rows were read, as one number (engine.ROW_COL): the
#: file's place among the dataset's files x 2^40, plus its line
ROW_COL = "_row"
_IGNORED_NAMES = {".gitkeep", ".ds_store", "thumbs.db"}


@dataclass
class InputFile:
    """One file read: its path and number of data rows (the pipeline hashes the files, once:
    :func:`edstats.runs.list_inputs`), or one database table: its name, rows and the fingerprint
    of its rows (:func:`edstats.sources.read_table`)."""

    path: str
    rows: int
    sha256: str = ""


@dataclass
class RawDataset:
    """A dataset's rows as read, the files they came from, and file-level problems.

    ``frame`` is the name of a DuckDB table of the connection that read the dataset, or any table
    DuckDB can read (a pandas or Arrow table: the tests give the checks such frames). It has the
    contract's columns that the files have, ``_file`` and ``_line``."""

    name: str
    frame: object
    files: list[InputFile] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    #: (file, line) of CSV rows that could not be split into the header's columns: reported as
    #: problems, counted as read and, when invalid rows are set aside, as rejected
    unread_lines: list[tuple[str, int]] = field(default_factory=list)
    #: the DuckDB tables holding copies of the rows read (a CSV file's; none for a Parquet file,
    #: which ``frame`` reads where it is)
    copies: list[str] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _problem(dataset, path, rule, fix, line="", column="", value=""):
    return {"dataset": dataset, "file": str(path), "line": line, "column": column,
            "value": value, "rule": rule, "fix": fix, "severity": "error"}


@dataclass
class _BadLine:
    """A CSV row that cannot be read as the header's columns: where it is and what is wrong (never
    its text, which holds a pupil's identifiers)."""

    line: int
    rule: str
    fix: str
    unread: bool = True        # the row is not in the table (a NUL byte's row is, with its problem)


def quoted(name: str) -> str:
    """A column name for SQL."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A text value for SQL."""
    return "'" + str(text).replace("'", "''") + "'"


def _csv_bytes(path: Path) -> bytes:
    """The file's bytes, once its encoding is known to be UTF-8 (a BOM removed)."""
    raw = path.read_bytes()
    # UTF-16: a byte-order mark, or (without one) every other byte zero, as in 'u\0p\0n\0'
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(raw) > 3 and raw[1:4:2] == b"\x00\x00" and raw[0] and raw[2]):
        raise InputError(f"{path} is UTF-16 text (as Excel's 'Unicode text' saves it), not UTF-8. Save it again as "
                         "'CSV UTF-8 (Comma delimited)'.")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{path} line {line} is not UTF-8 text (byte 0x{raw[exc.start]:02x}); it looks like a "
            "Windows-1252 (Excel 'CSV') file. Save it again as 'CSV UTF-8 (Comma delimited)'."
        ) from None
    if not raw.strip():
        raise InputError(f"{path} is empty: it has no header line and no rows. Remove it or export it again.")
    return raw.removeprefix(b"\xef\xbb\xbf")


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> tuple[list[str], int, list[_BadLine]]:
    """A CSV file's rows as text into ``table`` (blank cells missing; 'N/A' and 'NULL' stay text,
    for the checks to report) with each row's ``_line``; returns (header, rows, bad lines)."""
    from ..engine import register


    raw = _csv_bytes(path)
    header = next(csv.reader(io.StringIO(raw.split(b"\n", 1)[0].decode("utf-8"))), [])
    lines_in_file = raw.count(b"\n") + (not raw.endswith(b"\n"))
    if b"\x00" not in raw and header:
        columns = {f"c{i}": "VARCHAR" for i in range(len(header))}
        try:
            con.execute(f"""
                CREATE TABLE {table} AS
                SELECT {', '.join(f'c{i} AS {quoted(name)}' for i, name in enumerate(header))},
                       (row_number() OVER () + 1)::BIGINT AS {LINE_COL}
                FROM read_csv($path, header = true, columns = $columns, auto_detect = false, delim = ',',
                              quote = '"', escape = '"', strict_mode = true, null_padding = false,
                              parallel = false, encoding = 'utf-8')""", {"path": str(path), "columns": columns})
            (rows,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()
            if rows == lines_in_file - 1:
                return header, rows, []      # one row a line, every line a row (the usual export)
            con.execute(f"DROP TABLE {table}")
        except duckdb.Error:
            con.execute(f"DROP TABLE IF EXISTS {table}")
    frame, bad = _read_csv_line_by_line(raw, header)
    register(con, "csv_rows", frame)
    con.execute(f"CREATE TABLE {table} AS SELECT * FROM csv_rows")
    con.unregister("csv_rows")
    return header, len(frame), bad


def _read_csv_line_by_line(raw: bytes, header: list[str]) -> tuple[pd.DataFrame, list[_BadLine]]:
    """The rows of a file with blank lines, values over several lines, rows of the wrong length or
    NUL bytes, row by row with Python's csv module, so that every row keeps its own line number
    and every bad line is named."""
    nul_lines = dict.fromkeys(raw[:nul.start()].count(b"\n") + 1 for nul in re.finditer(b"\x00", raw))
    bad = [_BadLine(line, "the line holds a NUL byte (a damaged or binary export)",
                    "Export the file again; a NUL byte is never part of a CSV value.", unread=False) for line in nul_lines]
    text = io.StringIO(raw.replace(b"\x00", b"").decode("utf-8"), newline="")
    reader = csv.reader(text)
    next(reader)
    rows, lines, end = [], [], reader.line_num
    for record in reader:
        start, end = end + 1, reader.line_num
        if not record:
            continue                       # a blank line
        if len(record) != len(header):
            spans = f" (it runs on to line {end}: a quote is not closed)" if end > start else ""
            bad.append(_BadLine(start, f"the row has {len(record)} fields where the header has {len(header)}{spans}",
                                "Check the row for a stray comma or quote, or export the file again."))
            continue
        rows.append([value if value != "" else None for value in record])
        lines.append(start)
    frame = pd.DataFrame(rows or None, columns=header, dtype=object).astype(pd.StringDtype())
    frame[LINE_COL] = pd.Series(lines, dtype="int64")
    return frame, sorted(bad, key=lambda b: b.line)


WHOLE_NUMBER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                      "UBIGINT")


def is_number_type(kind: str) -> bool:
    return kind in WHOLE_NUMBER_TYPES or kind in ("FLOAT", "DOUBLE") or kind.startswith("DECIMAL")


def as_read(name: str, kind: str) -> str:
    """SQL for a stored column as the checks read it: numbers as they are, dates as ``YYYY-MM-DD``,
    everything else as text (a Parquet file's columns, a database table's)."""
    if is_number_type(kind):
        return quoted(name)
    if kind.startswith(("DATE", "TIMESTAMP")):
        return f"strftime({quoted(name)}, '%Y-%m-%d')"
    return f"{quoted(name)}::VARCHAR"


def _types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """A table's columns (``_line`` aside) and their DuckDB types."""
    return {name: kind for name, kind, *_ in con.execute(f"DESCRIBE {table}").fetchall() if name != LINE_COL}


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> tuple[list[str], int]:
    """A view ``table`` of a Parquet file's rows: numbers as they are, dates as ``YYYY-MM-DD``,
    other columns as text. The file is read where it is, a column at a time as each query needs it
    (Parquet is columnar), never copied; returns (column names as written, rows). Raises a
    duckdb.Error for a file whose data cannot be read (a corrupt page behind a good footer): every
    value is read once here, so that a damaged file is named now and not by a later query."""
    described = con.execute("DESCRIBE SELECT * FROM read_parquet($path)", {"path": str(path)}).fetchall()
    con.execute(f"""
        CREATE VIEW {table} AS
        SELECT {', '.join(f'{as_read(name, kind)} AS {quoted(name)}' for name, kind, *_ in described)},
               (file_row_number + 2)::BIGINT AS {LINE_COL}
        FROM read_parquet({literal(str(path))}, file_row_number = true)""")
    every_value = ", ".join(quoted(name) for name, *_ in described) or "0"
    (rows, _) = con.execute(f"SELECT count(*), bit_xor(hash({every_value})) FROM read_parquet($path)",
                            {"path": str(path)}).fetchone()
    return [name for name, *_ in described], rows


def read_dataset(folder: Path, name: str, con: duckdb.DuckDBPyConnection | None = None) -> RawDataset:
    """Stack every file of ``folder`` for dataset ``name`` into the DuckDB table ``raw_<name>`` of
    ``con`` (a new connection if none); file problems are collected, not raised."""
    from ..engine import connect

    con = con or connect()
    folder = Path(folder)
    result = RawDataset(name=name, frame=f"raw_{name}")
    parts, columns_seen = [], None     # parts: (table, path, columns as trimmed)
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.is_symlink()):   # a link is not read
        suffix = path.suffix.lower()
        if path.name.lower() in _IGNORED_NAMES:
            continue
        if suffix not in (".csv", ".parquet"):
            kind = "an Excel workbook" if suffix in (".xlsx", ".xls", ".xlsm") else f"a '{suffix or path.name}' file"
            result.problems.append(_problem(
                name, path, f"{path.name} is {kind}; a dataset folder may hold only .csv or .parquet files",
                "Export it as CSV UTF-8 into this folder, or move it out of the data folder."))
            continue
        table, bad_lines = f"part_{name}_{len(parts)}", []
        try:
            if suffix == ".csv":
                names, rows, bad_lines = _read_csv(con, path, table)
                for bad in bad_lines:
                    result.problems.append(_problem(name, path, bad.rule, bad.fix, line=bad.line))
                result.unread_lines += [(str(path), bad.line) for bad in bad_lines if bad.unread]
            else:
                names, rows = _read_parquet(con, path, table)
        except InputError as exc:
            result.problems.append(_problem(name, path, str(exc), "Fix or replace the file."))
            continue
        except (duckdb.Error, ValueError, OSError) as exc:
            con.execute(f"DROP {'VIEW' if suffix == '.parquet' else 'TABLE'} IF EXISTS {table}")
            result.problems.append(_problem(name, path, f"{path.name} could not be read: {mask_identifiers(str(exc))}",
                                            "Check the file is a complete CSV or Parquet export."))
            continue
        result.files.append(InputFile(str(path), rows))
        # names are read without regard to case or surrounding spaces ('UPN ' is upn): every
        # name of the contract is lower case
        columns = [str(c).strip().lower() for c in names]
        if len(columns) == 1 and any(sep in columns[0] for sep in (";", "\t", "|")):
            sep = next(s for s in (";", "\t", "|") if s in columns[0])
            result.problems.append(_problem(
                name, path, f"the header is one column separated by {sep!r}, not commas",
                "Save the file with comma separators (CSV UTF-8).", line=1, column=columns[0][:60]))
            con.execute(f"DROP {'VIEW' if suffix == '.parquet' else 'TABLE'} {table}")
            continue
        if rows == 0 and not bad_lines:      # a file whose rows were all unreadable has them reported
            result.problems.append(_problem(
                name, path, f"{path.name} has a header but no data rows",
                "The export stopped after the header: export it again with its rows, or remove the file.", line=1))
        if columns_seen is not None and set(columns) != set(columns_seen[1]):
            result.problems.append(_problem(
                name, path,
                f"{path.name} has different columns from {Path(columns_seen[0]).name} "
                f"(only here: {sorted(set(columns) - set(columns_seen[1])) or 'none'}; "
                f"missing here: {sorted(set(columns_seen[1]) - set(columns)) or 'none'})",
                "Every file of one dataset must have the same columns.", line=1))
        columns_seen = columns_seen or (str(path), columns)
        parts.append((table, path, dict(zip(names, columns))))
        if suffix == ".csv":
            result.copies.append(table)
    if parts:
        # the files one after another (UNION ALL BY NAME: a column some files lack is missing there).
        # A column the files give different types is promoted where they are all numbers, and is
        # text otherwise, each value as its file wrote it (4, not 4.0).
        types: dict[str, set] = {}
        for table, _, renames in parts:
            for written, kind in _types(con, table).items():
                types.setdefault(renames[written], set()).add(kind)
        as_text = {name for name, kinds in types.items() if len(kinds) > 1 and not all(map(is_number_type, kinds))}

        def column(written: str, trimmed: str) -> str:
            return f"{quoted(written)}{'::VARCHAR' if trimmed in as_text else ''} AS {quoted(trimmed)}"

        # a view of the files' tables, not a copy of them (the parts go with the connection)
        con.execute(f"CREATE VIEW {result.frame} AS " + " UNION ALL BY NAME ".join(
            f"SELECT {', '.join(column(w, t) for w, t in renames.items())}, {literal(str(path))} AS {FILE_COL}, "
            f"{LINE_COL}, ({place}::BIGINT << 40) + {LINE_COL} AS {ROW_COL} FROM {table}"
            for place, (table, path, renames) in enumerate(parts)))
    else:
        con.execute(f"CREATE VIEW {result.frame} AS SELECT NULL::VARCHAR AS {FILE_COL}, NULL::BIGINT AS {LINE_COL}, "
                    f"NULL::BIGINT AS {ROW_COL} WHERE false")
    return result
