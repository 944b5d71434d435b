"""Importer for Explore Education Statistics open-data CSVs (the EYFSP headline measures file).

Only the headline rows are taken (characteristic and gender ``Total``), at national, regional and
LA level; numbers of children come with the percentages, so comparisons can test significance.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError
from .table import COMPARATOR_COLUMNS

#: EES indicator -> (edstats measure id, numerator column, denominator column).
EES_INDICATORS = {
    "gld_percentage": ("eyfs_gld_pct", "gld_number", "children_number"),
    "elg_percentage": ("eyfs_all_elg_expected_pct", "elg_number", "children_number"),
    "average_elgs": ("eyfs_avg_elg_expected", None, "children_number"),
}


def read_ees(path: str | Path, release: str | None = None) -> pd.DataFrame:
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    needed = {"time_period", "geographic_level", "characteristic", "gender"}
    if needed - set(raw.columns):
        raise InputError(f"{path} is not an EES open-data file with {', '.join(sorted(needed))}.")
    rows = raw[(raw["characteristic"] == "Total") & (raw["gender"] == "Total")
               & raw["geographic_level"].isin(["National", "Regional", "Local authority"])]
    parts = []
    for indicator, (measure_id, num_col, den_col) in EES_INDICATORS.items():
        if indicator not in rows:
            continue
        level = rows["geographic_level"]
        parts.append(pd.DataFrame({
            "measure_id": measure_id, "time_period": rows["time_period"], "geographic_level": level,
            "area_code": rows["new_la_code"].where(level == "Local authority",
                                                   rows["region_code"].where(level == "Regional", rows["country_code"])),
            "old_la_code": rows["old_la_code"].where(level == "Local authority", "").fillna(""),
            "area_name": rows["la_name"].where(level == "Local authority",
                                               rows["region_name"].where(level == "Regional", rows["country_name"])),
            "breakdown_topic": "Total", "breakdown": "Total",
            "value": pd.to_numeric(rows[indicator], errors="coerce"),
            "numerator": pd.to_numeric(rows[num_col], errors="coerce") if num_col else float("nan"),
            "denominator": pd.to_numeric(rows[den_col], errors="coerce"),
            "source": "DfE Explore Education Statistics", "release": release or path.name}))
    return pd.concat(parts, ignore_index=True)[COMPARATOR_COLUMNS]
