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
    used (pandas then makes one categorical without re-checking each row group's dictionary).

    Parquet gives a dictionary per row group, shared by the batches it is read in: the batches are
    joined first, so that a row group is cut and unified once."""
    row_groups, start = [], 0
    chunks = column.chunks
    for i in range(1, len(chunks) + 1):
        if i == len(chunks) or _buffers(chunks[i].dictionary) != _buffers(chunks[start].dictionary):
            indices = pa.concat_arrays([c.indices for c in chunks[start:i]])
            row_groups.append(_used_entries_only(pa.DictionaryArray.from_arrays(indices, chunks[start].dictionary)))
            start = i
    if len(row_groups) == 1:
        return row_groups[0]
    return pa.table({"c": pa.chunked_array(row_groups, type=column.type)}).unify_dictionaries().column("c").combine_chunks()


def _buffers(array: pa.Array) -> tuple:
    """Where an array's memory is: the same for the batches of one row group (one dictionary)."""
    return len(array), tuple(b.address if b is not None else 0 for b in array.buffers())


def _read_parquet(path: Path) -> pd.DataFrame:
    """Parquet keeps its numeric columns typed (the checks accept them as they are); text and
    dates become text so that they are checked like a CSV's."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    text_columns = [f.name for f in schema if _is_text(f.type)
                    or (pa.types.is_dictionary(f.type) and _is_text(f.type.value_type))]
    # Text read as dictionaries (pandas categoricals): a column of 4 million UPNs holds each UPN
    # once, and every check works on the distinct values.
    table = pq.read_table(path, read_dictionary=text_columns)
    frame = pa.table({name: (_one_dictionary(column) if name in text_columns else column)
                      for name, column in zip(table.column_names, table.columns)}).to_pandas()
    for name, col in frame.items():
        if pd.api.types.is_datetime64_any_dtype(col):
            frame[name] = col.dt.strftime("%Y-%m-%d").astype("string")
        elif pd.api.types.is_object_dtype(col):
            frame[name] = col.astype("string")
    return frame


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack files' frames, keeping text read from Parquet categorical across files.

    pandas turns categoricals with different categories into plain strings when it stacks them
    (tens of millions of UPN strings at national scale); Arrow unifies the dictionaries instead.
    """
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
    frames, paths, columns_seen = [], [], None
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
            frame = _read_csv(path) if suffix == ".csv" else _read_parquet(path)
        except InputError as exc:
            result.problems.append(_problem(name, path, str(exc), "Fix or replace the file."))
            continue
        except (pd.errors.ParserError, ValueError, OSError) as exc:
            result.problems.append(_problem(name, path, f"{path.name} could not be read: {exc}",
                                            "Check the file is a complete CSV or Parquet export."))
            continue
        result.files.append(InputFile(str(path), file_sha256(path), len(frame)))
        frame.columns = [str(c).strip() for c in frame.columns]
        if len(frame.columns) == 1 and any(sep in frame.columns[0] for sep in (";", "\t", "|")):
            sep = next(s for s in (";", "\t", "|") if s in frame.columns[0])
            result.problems.append(_problem(
                name, path, f"the header is one column separated by {sep!r}, not commas",
                "Save the file with comma separators (CSV UTF-8).", line=1, column=frame.columns[0][:60]))
            continue
        if frame.empty:
            result.problems.append(_problem(
                name, path, f"{path.name} has a header but no data rows",
                "The export stopped after the header: export it again with its rows, or remove the file.", line=1))
        if columns_seen is not None and set(frame.columns) != set(columns_seen[1]):
            result.problems.append(_problem(
                name, path,
                f"{path.name} has different columns from {Path(columns_seen[0]).name} "
                f"(only here: {sorted(set(frame.columns) - set(columns_seen[1])) or 'none'}; "
                f"missing here: {sorted(set(columns_seen[1]) - set(frame.columns)) or 'none'})",
                "Every file of one dataset must have the same columns.", line=1))
        columns_seen = columns_seen or (str(path), list(frame.columns))
        frame[FILE_COL] = np.int32(len(paths))
        paths.append(str(path))
        frame[LINE_COL] = np.arange(2, len(frame) + 2, dtype=np.int64)
        frames.append(frame)
    if frames:
        stacked = _stack(frames)
        stacked[FILE_COL] = pd.Categorical.from_codes(stacked[FILE_COL].to_numpy(), categories=paths)
        result.frame = stacked
    return result
