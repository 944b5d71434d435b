"""The Excel workbook for officers: the papers' tables, one sheet each, and a notes sheet.

Only public figures go in: the same suppressed values as measures.csv and kpm.csv.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .disclosure import SYMBOLS


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
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        kpm.to_excel(writer, sheet_name="KPM", index=False)
        measures.to_excel(writer, sheet_name="Measures", index=False)
        notes.to_excel(writer, sheet_name="Notes", index=False)
        for sheet in writer.sheets.values():
            sheet.freeze_panes = "A2"
            for column in sheet.columns:
                width = max(len(str(c.value or "")) for c in column[:200])
                sheet.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 60)
    return path
