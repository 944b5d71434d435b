"""Read a dataset folder: every CSV (UTF-8, BOM tolerated) or Parquet file, stacked, as text.

Values are kept as text so the checks can report the cell exactly as the analyst wrote it.
Each row keeps ``_file`` and ``_line`` (the line in the CSV, header = line 1; for Parquet the
row number counting the first row as 2, so the two read alike).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ..errors import InputError
from .identifiers import mask_identifiers

FILE_COL, LINE_COL = "_file", "_line"
_IGNORED_NAMES = {".gitkeep", ".ds_store", "thumbs.db"}


@dataclass
class InputFile:
    """One file read: its path and number of data rows (the pipeline hashes the files, once:
    :func:`edstats.pipeline.list_inputs`)."""

    path: str
    rows: int


@dataclass
class RawDataset:
    """A dataset's rows as text plus the files they came from and file-level problems."""

    name: str
    frame: pd.DataFrame
    files: list[InputFile] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    #: (file, line) of CSV rows that could not be split into the header's columns: reported as
    #: problems, counted as read and, when invalid rows are set aside, as rejected
    unread_lines: list[tuple[str, int]] = field(default_factory=list)


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
    unread: bool = True        # the row is not in the frame (a NUL byte's row is, with its problem)


def _read_csv(path: Path) -> tuple[pd.DataFrame, np.ndarray, list[_BadLine]]:
    """A CSV file's rows as text (blank cells missing; 'N/A' and 'NULL' stay text, for the checks
    to report), each row's line in the file, and the lines that could not be read."""
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
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    header = next(csv.reader(io.StringIO(raw.split(b"\n", 1)[0].decode("utf-8"))), [])
    bad_rows = []
    try:
        table = pa_csv.read_csv(io.BytesIO(raw), parse_options=pa_csv.ParseOptions(
            invalid_row_handler=lambda row: bad_rows.append(row) or "skip"), convert_options=pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in header}, strings_can_be_null=True, null_values=[""]))
    except (pa.ArrowInvalid, ValueError):
        table = None
    lines_in_file = raw.count(b"\n") + (not raw.endswith(b"\n"))
    if table is not None and not bad_rows and b"\x00" not in raw and table.num_rows == lines_in_file - 1:
        # one row a line, every line a row (the usual export): the lines need no counting
        return table.to_pandas(), np.arange(2, table.num_rows + 2), []
    return _read_csv_line_by_line(raw, header)


def _read_csv_line_by_line(raw: bytes, header: list[str]) -> tuple[pd.DataFrame, np.ndarray, list[_BadLine]]:
    """The same as :func:`_read_csv`, row by row with Python's csv module: for a file with blank
    lines, values over several lines, rows of the wrong length or NUL bytes, so that every row
    keeps its own line number and every bad line is named."""
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
    frame = pd.DataFrame(rows or None, columns=header, dtype=object).astype("str")
    return frame, np.array(lines, dtype=np.int64), sorted(bad, key=lambda b: b.line)


def _is_text(arrow_type) -> bool:
    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)


def _used_entries_only(chunk: pa.DictionaryArray) -> pa.DictionaryArray:
    """A row group's dictionary cut to the values its rows use, in the dictionary's order, when it
    holds more values than the row group has rows. A writer may store every value of a pandas
    categorical in each row group (hundreds of thousands of UPNs for a few thousand rows): unifying
    those across row groups would take minutes and gigabytes. (A few unused values in a short
    dictionary cost nothing: every check maps distinct values back to rows through the codes.)"""
    if len(chunk.dictionary) <= len(chunk):
        return chunk
    used = np.sort(pc.unique(chunk.indices).drop_null().to_numpy())
    renumber = np.full(len(chunk.dictionary), -1, dtype=np.int32)
    renumber[used] = np.arange(len(used), dtype=np.int32)
    indices = renumber[chunk.indices.fill_null(0).to_numpy()]
    missing = chunk.indices.is_null().to_numpy(zero_copy_only=False) if chunk.null_count else None
    return pa.DictionaryArray.from_arrays(pa.array(indices, mask=missing, type=chunk.indices.type),
                                          chunk.dictionary.take(used))


def _one_dictionary(column: pa.ChunkedArray) -> pa.Array:
    """A text column read as dictionaries turned into one array with one dictionary of the values
    used, each once (pandas then makes one categorical without re-checking each row group's dictionary).

    Parquet gives a dictionary per row group, shared by the batches it is read in: the batches are
    joined first, so that a row group is cut and unified once."""
    row_groups, start = [], 0
    chunks = column.chunks
    for i in range(1, len(chunks) + 1):
        if i == len(chunks) or _buffers(chunks[i].dictionary) != _buffers(chunks[start].dictionary):
            indices = pa.concat_arrays([c.indices for c in chunks[start:i]])
            row_groups.append(_used_entries_only(pa.DictionaryArray.from_arrays(indices, chunks[start].dictionary)))
            start = i
    first = row_groups[0].dictionary
    if all(group.dictionary.equals(first) for group in row_groups[1:]):
        # one dictionary for every row group (a writer's, as for a column of a few codes): taken as
        # it is if it holds each value once, the row groups' codes joined without renumbering
        only = pa.DictionaryArray.from_arrays(pa.concat_arrays([group.indices for group in row_groups]), first) \
            if len(row_groups) > 1 else row_groups[0]
        return only if len(pc.unique(first)) == len(first) else pc.dictionary_encode(only.dictionary_decode())
    return pa.table({"c": pa.chunked_array(row_groups, type=column.type)}).unify_dictionaries().column("c").combine_chunks()


#: A text column whose stored size is more than this many bytes a row is read as plain text and then
#: given one dictionary, not read as Parquet's dictionaries: its row groups' dictionaries hold far more
#: values than their rows use (a writer that stored a pandas categorical of every pupil's UPN in each
#: row group), and Arrow's cost is then the dictionaries' size, not the rows' (national EYFSP: 1.9 s
#: a file against 0.6 s).
DICTIONARY_BYTES_PER_ROW = 64


def _read_as_dictionaries(metadata) -> list[str]:
    """The file's text columns to read as Parquet's dictionaries (see :data:`DICTIONARY_BYTES_PER_ROW`)."""
    stored: dict[str, int] = {}
    for r in range(metadata.num_row_groups):
        group = metadata.row_group(r)
        for i in range(group.num_columns):
            chunk = group.column(i)
            stored[chunk.path_in_schema] = stored.get(chunk.path_in_schema, 0) + chunk.total_uncompressed_size
    return [f.name for f in metadata.schema.to_arrow_schema()
            if (_is_text(f.type) or (pa.types.is_dictionary(f.type) and _is_text(f.type.value_type)))
            and stored.get(f.name, 0) <= DICTIONARY_BYTES_PER_ROW * max(metadata.num_rows, 1)]


#: A text column whose every row group's dictionary holds at most this many values (a code, a
#: characteristic, a month, a school) is turned into codes by :func:`_few_values`.
FEW_VALUES = 1 << 15


def _code_type(values: int) -> type:
    """The narrowest integer type for codes of ``values`` categories and -1."""
    return np.int8 if values < 2 ** 7 else np.int16 if values < 2 ** 15 else np.int32 if values < 2 ** 31 else np.int64


def _few_values(column: pa.ChunkedArray) -> pd.Categorical | None:
    """A text column read as dictionaries, as a categorical, when each row group's dictionary is
    short (:data:`FEW_VALUES`); None otherwise (UPNs: Arrow unifies those, :func:`_one_dictionary`).

    Each dictionary's values are numbered once, in order of first appearance (as Arrow's
    unification numbers them), and every row's code is written by numpy straight into one array of
    the fewest bits: one pass over the rows where unifying, joining and narrowing took three (a
    national attendance column of 55 million rows: about 0.28 s to 0.08 s)."""
    dictionaries, which = [], {}          # each distinct dictionary once, and its position
    for chunk in column.chunks:
        dictionary = chunk.dictionary
        if len(dictionary) > FEW_VALUES or dictionary.null_count:
            return None
        which.setdefault((_buffers(dictionary), dictionary.offset), len(dictionaries))
        if len(which) > len(dictionaries):
            dictionaries.append(dictionary)
    every = pc.dictionary_encode(pa.concat_arrays(dictionaries) if dictionaries else pa.array([], column.type.value_type))
    code_type = _code_type(len(every.dictionary))
    number = every.indices.to_numpy().astype(code_type)
    bounds = np.cumsum([0] + [len(d) for d in dictionaries])
    mappings = [np.append(number[a:b], code_type(-1)) for a, b in zip(bounds[:-1], bounds[1:])]    # -1: missing
    codes = np.empty(len(column), dtype=code_type)
    start = 0
    for chunk in column.chunks:
        mapping = mappings[which[(_buffers(chunk.dictionary), chunk.dictionary.offset)]]
        indices = chunk.indices.fill_null(len(mapping) - 1) if chunk.null_count else chunk.indices
        np.take(mapping, indices.to_numpy(), out=codes[start:start + len(chunk)])
        start += len(chunk)
    categories = pd.Index(pd.array(every.dictionary, dtype=pd.StringDtype("pyarrow", na_value=np.nan)))
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype._from_fastpath(categories, ordered=False),
                                     validate=False)


def _categorical(array: pa.DictionaryArray) -> pd.Categorical:
    """A dictionary array as a pandas categorical, its categories left in Arrow's memory.

    pandas would check that the categories are distinct by hashing them again: 8 s for the 7.8
    million UPNs of a national year's attendance. :func:`_one_dictionary` has made them distinct."""
    dictionary = array.dictionary
    n = len(dictionary)
    code_type = _code_type(n)
    indices = array.indices.fill_null(0) if array.null_count else array.indices   # filling copies: only if needed
    codes = indices.to_numpy().astype(code_type)
    if array.null_count:
        codes[array.is_null().to_numpy(zero_copy_only=False)] = -1                # -1: a missing value
    categories = pd.Index(pd.array(dictionary, dtype=pd.StringDtype("pyarrow", na_value=np.nan)))
    dtype = pd.CategoricalDtype._from_fastpath(categories, ordered=False)       # distinct: checked above
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)


def _buffers(array: pa.Array) -> tuple:
    """Where an array's memory is: the same for the batches of one row group (one dictionary)."""
    return len(array), tuple(b.address if b is not None else 0 for b in array.buffers())


class _UnreadableFile(Exception):
    """A Parquet file whose metadata could be read but not its data."""

    def __init__(self, part: "_ParquetFile", cause: Exception):
        super().__init__(str(cause))
        self.part = part


class _TypesDiffer(Exception):
    """The files give a column different types."""


@dataclass
class _ParquetFile:
    """A Parquet file known by its metadata; its data are read one column at a time when the
    dataset's files are stacked (:func:`_stack_columns`), so that no whole table is held in Arrow
    beside the frame being built (national attendance: a peak of 4.7 GB instead of 7.3 GB).
    Text is read as dictionaries: a column of 4 million UPNs holds each UPN once, and every check
    works on the distinct values."""

    path: Path
    names: list[str]            # as written in the file
    rows: int
    metadata: object = field(default=None, repr=False)    # the footer, parsed once
    number: int = 0             # the file's position among the dataset's files (its ``_file`` code)
    columns: list[str] = field(default_factory=list)      # the names trimmed
    _file: object = field(default=None, repr=False)       # the open pyarrow.parquet.ParquetFile

    @classmethod
    def open(cls, path: Path) -> "_ParquetFile":
        import pyarrow.parquet as pq

        metadata = pq.read_metadata(path)
        return cls(path, metadata.schema.to_arrow_schema().names, metadata.num_rows, metadata)

    def _read(self, names: list[str] | None) -> pa.Table:
        import pyarrow.parquet as pq

        try:
            if self._file is None:
                self._file = pq.ParquetFile(self.path, metadata=self.metadata,
                                            read_dictionary=_read_as_dictionaries(self.metadata))
            table = self._file.read(columns=names, use_threads=False)   # the datasets are read in threads already
        except (ValueError, OSError) as exc:       # Arrow's errors are ValueErrors or OSErrors
            raise _UnreadableFile(self, exc) from exc
        for i, column in enumerate(table.columns):       # text read plainly: one dictionary, like the rest
            if _is_text(column.type):
                table = table.set_column(i, table.field(i).name, pc.dictionary_encode(column))
        return table

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def column(self, name: str) -> pa.ChunkedArray:
        """One column, by its trimmed name."""
        return self._read([self.names[self.columns.index(name)]]).column(0)

    def table(self) -> pa.Table:
        """Every column, with ``_file`` and ``_line``."""
        table = self._read(None)
        where = _where(self.number, self.rows)
        return pa.Table.from_arrays(table.columns + [pa.array(v) for v in where.values()],
                                    names=self.columns + list(where))


def _where(number: int, rows: int) -> dict[str, np.ndarray]:
    """``_file`` (the file's position among the dataset's files) and ``_line`` of a file's rows (32
    bits unless a file has more than two billion rows: half the memory, 55 million rows at
    national scale)."""
    return {FILE_COL: np.full(rows, number, dtype=np.int32),
            LINE_COL: np.arange(2, rows + 2, dtype=np.int32 if rows + 2 < 2 ** 31 else np.int64)}


#: A column of whole numbers is held in 16 or 32 bits when this many times its largest magnitude
#: still fits: a sum of a row's counts (absences against possible sessions, two scaled scores)
#: cannot then overflow. National attendance's five counts take 0.8 GB instead of 2.5 GB.
INTEGER_HEADROOM = 100


def integer_bits(smallest, largest) -> int:
    """16, 32 or 64: the integer width that holds every whole number from ``smallest`` to
    ``largest`` times :data:`INTEGER_HEADROOM` (a column with no numbers: 16)."""
    if smallest is None or largest is None or pd.isna(smallest) or pd.isna(largest):
        return 16
    magnitude = max(abs(int(smallest)), abs(int(largest))) * INTEGER_HEADROOM
    return 16 if magnitude < 2 ** 15 else 32 if magnitude < 2 ** 31 else 64


def _column_to_pandas(column: pa.ChunkedArray) -> pd.Series:
    """One Arrow column as a pandas Series (index 0, 1, 2, ...): text as a categorical of the values
    used, dates as ISO text (so that they are checked like a CSV's), numbers as they are, whole
    numbers without gaps in as few bits as :func:`integer_bits` allows."""
    if pa.types.is_dictionary(column.type):
        few = _few_values(column)
        return pd.Series(few if few is not None else _categorical(_one_dictionary(column)), copy=False)
    if pa.types.is_integer(column.type) and column.null_count == 0 and column.type.bit_width > 16:
        span = pc.min_max(column)
        bits = integer_bits(span["min"].as_py(), span["max"].as_py())
        if bits < column.type.bit_width:
            column = column.cast(pa.int16() if bits == 16 else pa.int32())
    values = column.to_pandas()
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d").astype("string")
    if pd.api.types.is_object_dtype(values):
        return values.astype("string")
    return values


def _stack_columns(parts: list[_ParquetFile]) -> pd.DataFrame:
    """Parquet files stacked one column at a time: each column is read from every file, turned into
    pandas and let go before the next is read. Columns some files lack are missing there (the
    reader reports the difference); a column the files give different types raises
    :class:`_TypesDiffer`."""
    names = list(dict.fromkeys(c for part in parts for c in part.columns))
    rows = sum(part.rows for part in parts)
    out = {}
    for name in names:
        read = [part.column(name) if name in part.columns else None for part in parts]
        types = {c.type for c in read if c is not None}
        if len(types) > 1:
            raise _TypesDiffer(name)
        (kind,) = types
        column = pa.chunked_array([chunk for c, part in zip(read, parts)
                                   for chunk in (c.chunks if c is not None else [pa.nulls(part.rows, kind)])], type=kind)
        del read
        out[name] = _column_to_pandas(column)
        del column
    where = [_where(p.number, p.rows) for p in parts]
    for key in (FILE_COL, LINE_COL):
        out[key] = pd.Series(np.concatenate([w[key] for w in where]), copy=False)
    return pd.DataFrame(out, index=pd.RangeIndex(rows), copy=False)


def _to_frame(table: pa.Table) -> pd.DataFrame:
    """One Arrow table as a pandas frame, converted column by column (:func:`_column_to_pandas`)."""
    rows, names, columns = table.num_rows, table.column_names, table.columns
    del table
    out = {}
    for i, name in enumerate(names):         # by position: each Arrow column goes once converted
        out[name] = _column_to_pandas(columns[i])
        columns[i] = None
    return pd.DataFrame(out, index=pd.RangeIndex(rows), copy=False)


def _stack(parts: list) -> pd.DataFrame:
    """Stack files' rows (Parquet files, frames from CSV), keeping text read from Parquet
    categorical across files.

    Parquet files alone are stacked one column at a time (:func:`_stack_columns`). Otherwise each
    is read whole and pandas stacks them; it turns categoricals with different categories into
    plain strings (tens of millions of UPN strings at national scale), so Arrow unifies the
    dictionaries instead.
    """
    if all(isinstance(p, _ParquetFile) for p in parts):
        try:
            return _stack_columns(parts)
        except _TypesDiffer:
            pass         # the files give a column different types: stacked by pandas below
    frames = [_to_frame(p.table()) if isinstance(p, _ParquetFile) else p for p in parts]
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    shared = [c for c in frames[0].columns
              if all(c in f and isinstance(f[c].dtype, pd.CategoricalDtype) for f in frames)]
    stacked = pd.concat([f.drop(columns=shared) for f in frames], ignore_index=True)
    if shared:
        def chunk(series: pd.Series):
            codes = series.cat.codes.to_numpy()
            return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0, type=pa.int32()),
                                                  pa.array(series.cat.categories.astype(str), pa.string()))

        table = pa.table({c: pa.chunked_array([chunk(f[c]) for f in frames]) for c in shared}).unify_dictionaries()
        unified = table.to_pandas()
        for c in shared:
            stacked[c] = unified[c]
    return stacked[list(frames[0].columns) + [c for c in stacked.columns if c not in frames[0].columns]]


def read_dataset(folder: Path, name: str) -> RawDataset:
    """Stack every file of ``folder`` for dataset ``name``; file problems are collected, not raised."""
    folder = Path(folder)
    result = RawDataset(name=name, frame=pd.DataFrame())
    parts, paths, columns_seen = [], [], None     # parts: each file's rows, an Arrow table or a frame
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
        bad_lines = []
        try:
            if suffix == ".csv":
                part, lines, bad_lines = _read_csv(path)
                for bad in bad_lines:
                    result.problems.append(_problem(name, path, bad.rule, bad.fix, line=bad.line))
                result.unread_lines += [(str(path), bad.line) for bad in bad_lines if bad.unread]
            else:
                part = _ParquetFile.open(path)
        except InputError as exc:
            result.problems.append(_problem(name, path, str(exc), "Fix or replace the file."))
            continue
        except (ValueError, OSError) as exc:
            result.problems.append(_problem(name, path, f"{path.name} could not be read: {mask_identifiers(str(exc))}",
                                            "Check the file is a complete CSV or Parquet export."))
            continue
        arrow = isinstance(part, _ParquetFile)
        rows = part.rows if arrow else len(part)
        result.files.append(InputFile(str(path), rows))
        # names are read without regard to case or surrounding spaces ('UPN ' is upn): every
        # name of the contract is lower case
        columns = [str(c).strip().lower() for c in (part.names if arrow else part.columns)]
        if len(columns) == 1 and any(sep in columns[0] for sep in (";", "\t", "|")):
            sep = next(s for s in (";", "\t", "|") if s in columns[0])
            result.problems.append(_problem(
                name, path, f"the header is one column separated by {sep!r}, not commas",
                "Save the file with comma separators (CSV UTF-8).", line=1, column=columns[0][:60]))
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
        if arrow:
            part.columns, part.number = columns, len(paths)
        else:
            part.columns = columns
            part = part.assign(**{FILE_COL: np.full(rows, len(paths), dtype=np.int32), LINE_COL: lines})
        paths.append(str(path))
        parts.append(part)
    while parts:
        try:
            stacked = _stack(parts)
        except _UnreadableFile as exc:       # its data, not its metadata: reported, and the others read
            exc.part.close()
            path = exc.part.path
            result.problems.append(_problem(name, path, f"{path.name} could not be read: {mask_identifiers(str(exc))}",
                                            "Check the file is a complete CSV or Parquet export."))
            result.files = [f for f in result.files if f.path != str(path)]
            keep = [i for i, p in enumerate(parts) if p is not exc.part]
            parts, paths = [parts[i] for i in keep], [paths[i] for i in keep]
            for number, part in enumerate(parts):          # the files after it move up one
                if isinstance(part, _ParquetFile):
                    part.number = number
                else:
                    parts[number] = part.assign(**{FILE_COL: np.full(len(part), number, dtype=np.int32)})
            continue
        stacked[FILE_COL] = pd.Categorical.from_codes(stacked[FILE_COL].to_numpy(), categories=paths)
        result.frame = stacked
        break
    for part in parts:
        if isinstance(part, _ParquetFile):
            part.close()
    return result
