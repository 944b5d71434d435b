"""CSV files that people open in a spreadsheet: no cell is run as a formula.

Excel, LibreOffice and Google Sheets treat a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a
tab or carriage return before one) as a formula, so a ward or subject name typed as
``=HYPERLINK(...)`` in an extract would run when measures.csv or problems.csv is opened. Such a text
cell is written with a leading apostrophe, the spreadsheets' own mark for "this is text" (OWASP's
advice on CSV injection); numbers, negative ones included, are written as they are.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(values: pd.Series) -> pd.Series:
    """Text ``values`` with an apostrophe before each that a spreadsheet would take for a formula."""
    text = values.astype("string")
    formula = text.str.startswith(_FORMULA_START).fillna(False) & pd.to_numeric(text, errors="coerce").isna()
    return values.where(~formula.to_numpy(), "'" + text) if formula.any() else values


def write_csv(frame: pd.DataFrame, path: str | Path, **options) -> None:
    """``frame.to_csv(path, index=False)`` with every text column made safe by :func:`spreadsheet_safe`."""
    safe = frame.assign(**{column: spreadsheet_safe(frame[column]) for column in frame.columns
                           if not pd.api.types.is_numeric_dtype(frame[column].dtype)
                           and not pd.api.types.is_bool_dtype(frame[column].dtype)})
    safe.to_csv(path, index=False, **options)
