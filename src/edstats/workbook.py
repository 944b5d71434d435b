"""The Excel workbook for officers: the papers' tables, one sheet each, and a notes sheet.

Only public figures go in: the same suppressed values as measures.csv and kpm.csv. Written by
XlsxWriter in its constant-memory mode (a row at a time): about 7 s for the city's 65,000 open-data
rows, while the papers' kernels run.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from .disclosure import SYMBOLS

#: Characters XML 1.0 cannot hold: dropped from text (XlsxWriter would write them as escapes).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _width(values: pd.Series, name) -> int:
    """Wide enough for the header and the first 200 values, between 10 and 60 characters."""
    longest = max([len(str(name)), *(len(str(v)) for v in values.head(200).tolist() if not pd.isna(v))])
    return min(max(10, longest + 2), 60)


def _writer(values: pd.Series):
    """How a column's cells are written: booleans as booleans, numbers as numbers (infinity and
    missing values as blank cells), everything else as text (so ``0123`` keeps its 0; an empty
    text is a blank cell)."""
    present = values.dropna()
    if pd.api.types.is_bool_dtype(values.dtype) or (
            values.dtype == object and len(present) and all(isinstance(v, (bool, np.bool_)) for v in present)):
        return lambda sheet, row, col, v: sheet.write_boolean(row, col, bool(v))
    if pd.api.types.is_numeric_dtype(values.dtype):
        return lambda sheet, row, col, v: math.isfinite(v) and sheet.write_number(row, col, float(v))
    return lambda sheet, row, col, v: (text := _NOT_XML.sub("", str(v))) and sheet.write_string(row, col, text)


def write_xlsx(path: str | Path, sheets: dict[str, pd.DataFrame]) -> Path:
    """Write ``sheets`` (name -> frame, in order) to ``path`` as an .xlsx workbook: a bold, frozen
    header row and columns as wide as their values."""
    path = Path(path)
    for name in sheets:
        if not name or len(name) > 31 or re.search(r"[\[\]:*?/\\]", name):
            raise ValueError(f"'{name}' cannot be an Excel sheet name (1-31 characters, none of []:*?/\\)")
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    for name, frame in sheets.items():
        sheet = book.add_worksheet(name)
        sheet.freeze_panes(1, 0)
        for col, column in enumerate(frame.columns):
            sheet.set_column(col, col, _width(frame[column], column))
        sheet.write_row(0, 0, [str(c) for c in frame.columns], bold)
        writers = [_writer(frame[column]) for column in frame.columns]
        for row, values in enumerate(frame.itertuples(index=False, name=None), start=1):
            for col, value in enumerate(values):
                if not pd.isna(value):
                    writers[col](sheet, row, col, value)
    book.close()
    return path


def write_workbook(path: Path, kpm: pd.DataFrame, measures: pd.DataFrame, council: str, period: str,
                   sources: list[str]) -> Path:
    """Write ``measures.xlsx`` with sheets KPM, Measures and Notes."""
    notes = pd.DataFrame({"Item": [
        "Council", "Meeting", "Figures", "Rounding", "Suppression",
        *[f"Symbol {k}" for k in SYMBOLS], "Sources"],
        "Note": [council, period,
                 "Computed by edstats from pupil-level records with DfE's methodology (docs/methodology.md).",
                 "Values are unrounded here; the papers round half-up to each measure's decimal places.",
                 "Counts of 1-4 pupils, and figures that would let one be worked out, are shown as c.",
                 *SYMBOLS.values(), "; ".join(sources) or "none"]})
    write_xlsx(path, {"KPM": kpm, "Measures": measures, "Notes": notes})
    return path
