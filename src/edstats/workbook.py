"""The Excel workbook for officers: the papers' tables, one sheet each, and a notes sheet.

Only public figures go in: the same suppressed values as measures.csv and kpm.csv. Written by
XlsxWriter in its constant-memory mode (a row at a time): about 4.5 s for the city's 64,000 open-data
rows, while the papers' kernels run.
"""

from __future__ import annotations

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


def _cells(sheet, values: pd.Series) -> tuple:
    """(the sheet's method that writes a column's cells, the column's values as written, None for
    a blank cell): booleans as booleans, numbers as numbers (infinity and missing values blank),
    everything else as text (so ``0123`` keeps its 0; an empty text is blank, and characters XML
    cannot hold are dropped). Worked out once per column, not per cell."""
    present = values.dropna()
    if pd.api.types.is_bool_dtype(values.dtype) or (
            values.dtype == object and len(present) and all(isinstance(v, (bool, np.bool_)) for v in present)):
        return sheet.write_boolean, [None if pd.isna(v) else bool(v) for v in values.tolist()]
    if pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.to_numpy(float, na_value=np.nan)
        return sheet.write_number, [float(v) if np.isfinite(v) else None for v in numbers]
    return sheet.write_string, [_NOT_XML.sub("", str(v)) or None if not pd.isna(v) else None for v in values.tolist()]


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
        columns = [_cells(sheet, frame[column]) for column in frame.columns]
        for row in range(len(frame)):          # constant-memory mode: a row at a time, in order
            for col, (write, values) in enumerate(columns):
                if values[row] is not None:
                    write(row + 1, col, values[row])
    book.close()
    return path


def write_workbook(path: Path, kpm: pd.DataFrame, measures: pd.DataFrame, council: str, period: str,
                   sources: list[str]) -> Path:
    """Write ``measures.xlsx`` with sheets KPM, Measures and Notes. The Measures sheet is
    ``measures.csv`` without the columns that hold one value in every row (the LA's and region's
    codes and names, ...): the Notes sheet gives each of them once."""
    same = [c for c in measures.columns if len(measures) and measures[c].nunique(dropna=False) == 1]
    notes = pd.DataFrame({"Item": [
        "Council", "Meeting", "Figures", "Rounding", "Suppression",
        *[f"Symbol {k}" for k in SYMBOLS], "Sources", *[f"Every row: {c}" for c in same]],
        "Note": [council, period,
                 "Computed by edstats from pupil-level records with DfE's methodology (docs/methodology.md).",
                 "Values are unrounded here; the papers round half-up to each measure's decimal places.",
                 "Counts of 1-4 pupils, and figures that would let one be worked out, are shown as c.",
                 *SYMBOLS.values(), "; ".join(sources) or "none", *[str(measures[c].iloc[0]) for c in same]]})
    write_xlsx(path, {"KPM": kpm, "Measures": measures.drop(columns=same), "Notes": notes})
    return path
