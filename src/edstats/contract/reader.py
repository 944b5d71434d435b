"""Read a dataset folder: every CSV (UTF-8, BOM tolerated) or Parquet file, stacked, as text.

Values are kept as text so the checks can report the cell exactly as the analyst wrote it.
Each row keeps ``_file`` and ``_line`` (the line in the CSV, header = line 1; for Parquet the
row number counting the first row as 2, so the two read alike).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError

FILE_COL, LINE_COL = "_file", "_line"
_IGNORED_NAMES = {".gitkeep", ".ds_store", "thumbs.db"}


@dataclass
class InputFile:
    """One file read: its path, SHA-256 and number of data rows."""

    path: str
    sha256: str
    rows: int


@dataclass
class RawDataset:
    """A dataset's rows as text plus the files they came from and file-level problems."""

    name: str
    frame: pd.DataFrame
    files: list[InputFile] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _problem(dataset, path, rule, fix, line="", column="", value=""):
    return {"dataset": dataset, "file": str(path), "line": line, "column": column,
            "value": value, "rule": rule, "fix": fix, "severity": "error"}


def _read_csv(path: Path) -> pd.DataFrame:
    raw = path.read_bytes()
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
    # pyarrow's CSV reader is ~3x faster than pandas' own; blanks arrive as missing values
    return pd.read_csv(path, dtype=str, engine="pyarrow", encoding="utf-8-sig")


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
    if len(row_groups) == 1:       # a writer's dictionary, taken as it is only if it holds each value once
        only = row_groups[0]
        return only if len(pc.unique(only.dictionary)) == len(only.dictionary) else \
            pc.dictionary_encode(only.dictionary_decode())
    return pa.table({"c": pa.chunked_array(row_groups, type=column.type)}).unify_dictionaries().column("c").combine_chunks()


def _categorical(array: pa.DictionaryArray) -> pd.Categorical:
    """A dictionary array as a pandas categorical, its categories left in Arrow's memory.

    pandas would check that the categories are distinct by hashing them again: 8 s for the 7.8
    million UPNs of a national year's attendance. :func:`_one_dictionary` has made them distinct."""
    dictionary = array.dictionary
    n = len(dictionary)
    code_type = np.int8 if n < 2 ** 7 else np.int16 if n < 2 ** 15 else np.int32 if n < 2 ** 31 else np.int64
    codes = array.indices.fill_null(-1).to_numpy().astype(code_type)          # -1: a missing value
    categories = pd.Index(pd.array(dictionary, dtype=pd.StringDtype("pyarrow", na_value=np.nan)))
    dtype = pd.CategoricalDtype._from_fastpath(categories, ordered=False)       # distinct: checked above
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)


def _buffers(array: pa.Array) -> tuple:
    """Where an array's memory is: the same for the batches of one row group (one dictionary)."""
    return len(array), tuple(b.address if b is not None else 0 for b in array.buffers())


def _read_parquet(path: Path) -> pa.Table:
    """A Parquet file as an Arrow table, text read as dictionaries: a column of 4 million UPNs holds
    each UPN once, and every check works on the distinct values. Tables are stacked in Arrow and
    turned into one pandas frame at the end (:func:`_to_frame`)."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    text_columns = [f.name for f in schema if _is_text(f.type)
                    or (pa.types.is_dictionary(f.type) and _is_text(f.type.value_type))]
    return pq.read_table(path, read_dictionary=text_columns)


def _to_frame(tables: list[pa.Table]) -> pd.DataFrame:
    """Parquet's rows (one table, in a list) as a pandas frame: numeric columns stay typed (the checks
    accept them as they are); text becomes one categorical of the values used per column, and
    dates text, so that they are checked like a CSV's. ``tables`` is emptied, so that the table's
    memory goes as its columns are converted (the peak stays near the size of the result)."""
    (table,) = tables
    tables.clear()
    names, columns, rows = table.column_names, table.columns, table.num_rows
    del table
    text = {}
    for i in range(len(columns)):        # by position: no name keeps an original column alive
        if pa.types.is_dictionary(columns[i].type):
            text[names[i]] = _categorical(_one_dictionary(columns[i]))
            columns[i] = None
    rest = [i for i in range(len(columns)) if columns[i] is not None]
    other = pa.Table.from_arrays([columns[i] for i in rest], names=[names[i] for i in rest])
    del columns
    numbers = other.to_pandas(split_blocks=True, self_destruct=True).set_axis(pd.RangeIndex(rows))
    del other
    frame = pd.DataFrame({name: text[name] if name in text else numbers[name] for name in names},
                         index=numbers.index, copy=False)       # the columns as they are: no copy
    del numbers
    for name, col in frame.items():
        if pd.api.types.is_datetime64_any_dtype(col):
            frame[name] = col.dt.strftime("%Y-%m-%d").astype("string")
        elif pd.api.types.is_object_dtype(col):
            frame[name] = col.astype("string")
    return frame


def _stack(parts: list) -> pd.DataFrame:
    """Stack files' rows (Arrow tables from Parquet, frames from CSV), keeping text read from
    Parquet categorical across files.

    Parquet files alone are stacked in Arrow and converted once. Otherwise pandas stacks them; it
    turns categoricals with different categories into plain strings (tens of millions of UPN
    strings at national scale), so Arrow unifies the dictionaries instead.
    """
    if all(isinstance(p, pa.Table) for p in parts):
        try:
            stacked = pa.concat_tables(parts, promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            pass         # the files give a column different types: stacked by pandas below
        else:
            parts[:] = [stacked]      # the files' own tables go: only the stacked one is converted
            del stacked
            return _to_frame(parts)
    frames = [_to_frame([p]) if isinstance(p, pa.Table) else p for p in parts]
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
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        suffix = path.suffix.lower()
        if path.name.lower() in _IGNORED_NAMES:
            continue
        if suffix not in (".csv", ".parquet"):
            kind = "an Excel workbook" if suffix in (".xlsx", ".xls", ".xlsm") else f"a '{suffix or path.name}' file"
            result.problems.append(_problem(
                name, path, f"{path.name} is {kind}; a dataset folder may hold only .csv or .parquet files",
                "Export it as CSV UTF-8 into this folder, or move it out of the data folder."))
            continue
        try:
            part = _read_csv(path) if suffix == ".csv" else _read_parquet(path)
        except InputError as exc:
            result.problems.append(_problem(name, path, str(exc), "Fix or replace the file."))
            continue
        except (pd.errors.ParserError, ValueError, OSError) as exc:
            result.problems.append(_problem(name, path, f"{path.name} could not be read: {exc}",
                                            "Check the file is a complete CSV or Parquet export."))
            continue
        arrow = isinstance(part, pa.Table)
        rows = part.num_rows if arrow else len(part)
        result.files.append(InputFile(str(path), file_sha256(path), rows))
        columns = [str(c).strip() for c in (part.column_names if arrow else part.columns)]
        if len(columns) == 1 and any(sep in columns[0] for sep in (";", "\t", "|")):
            sep = next(s for s in (";", "\t", "|") if s in columns[0])
            result.problems.append(_problem(
                name, path, f"the header is one column separated by {sep!r}, not commas",
                "Save the file with comma separators (CSV UTF-8).", line=1, column=columns[0][:60]))
            continue
        if rows == 0:
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
        where = {FILE_COL: np.full(rows, len(paths), dtype=np.int32), LINE_COL: np.arange(2, rows + 2, dtype=np.int64)}
        if arrow:
            part = pa.Table.from_arrays(part.columns + [pa.array(v) for v in where.values()],
                                        names=columns + list(where))
        else:
            part.columns = columns
            part = part.assign(**where)
        paths.append(str(path))
        parts.append(part)
    if parts:
        stacked = _stack(parts)
        stacked[FILE_COL] = pd.Categorical.from_codes(stacked[FILE_COL].to_numpy(), categories=paths)
        result.frame = stacked
    return result
