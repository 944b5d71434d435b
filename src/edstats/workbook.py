"""The Excel workbook for officers: the papers' tables, one sheet each, and a notes sheet.

Only public figures go in: the same suppressed values as measures.csv and kpm.csv.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .disclosure import SYMBOLS
from .xlsx import write_xlsx


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
