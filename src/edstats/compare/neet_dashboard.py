"""Importer for DfE's NEET and participation LA dashboard data (``UD_NEETNK_LA_dashboard_<year>_final.csv``).

One row per area (England, regions, LAs) and age group in the EES open-data layout. edstats takes
the 16-17 rows' three headline percentages, which DfE publishes to 1 decimal place:

- ``NEET_not_known_percent`` -> ``neet_nk_pct``, ``NEET_percent`` -> ``neet_pct``,
  ``Notknown_percent`` -> ``nk_pct``;
- ``Cohort_DJFavg`` (the December-February average number of young people) is the denominator;
  the numerator is left blank: DfE publishes no counts, and one derived from a rounded
  percentage would not be the count;
- ``time_period`` "2025" is the December 2024 - February 2025 average, the end of 2024/25: it
  becomes "202425", as LAIT's NEET year labels do (:func:`edstats.compare.lait.lait_time_period`),
  so the two sources' rows for the same year line up;
- suppressed or unavailable cells (``z``, ``c``, ``x``, ``low``, blank ...) are missing values,
  never zeros.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError
from .lait import lait_time_period
from .table import COMPARATOR_COLUMNS

#: Dashboard column -> edstats measure id (measures/dictionary.csv).
DASHBOARD_MEASURES = {
    "NEET_not_known_percent": "neet_nk_pct",
    "NEET_percent": "neet_pct",
    "Notknown_percent": "nk_pct",
}
COHORT = "Cohort_DJFavg"
AGE = "16-17"
LEVELS = ["National", "Regional", "Local authority"]
SOURCE = "DfE NEET and participation LA dashboard"
#: The columns that make a file the dashboard.
HEADER = {"time_period", "geographic_level", "Age", COHORT, *DASHBOARD_MEASURES}
_AREA_COLUMNS = ["country_code", "country_name", "region_code", "region_name", "old_la_code", "new_la_code", "la_name"]


def is_neet_dashboard(header) -> bool:
    return HEADER <= set(header)


def _time_period(labels: pd.Series) -> pd.Series:
    """'2025' -> '202425' (LAIT's convention); a six-digit EES label is kept."""
    labels = labels.astype(str).str.strip()
    six = labels.str.fullmatch(r"\d{6}")
    return labels.where(six, lait_time_period(labels.where(~six, "0")))


def read_neet_dashboard(path: str | Path, release: str | None = None) -> pd.DataFrame:
    """The dashboard's 16-17 headline rows as comparator-table rows."""
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    raw.columns = [c.strip() for c in raw.columns]
    missing = (HEADER | set(_AREA_COLUMNS)) - set(raw.columns)
    if missing:
        raise InputError(f"{path} is not DfE's NEET and participation LA dashboard file: it lacks "
                         f"{', '.join(sorted(missing))}.")
    raw = raw.apply(lambda column: column.str.strip())
    rows = raw[(raw["Age"] == AGE) & raw["geographic_level"].isin(LEVELS)]
    if rows.empty:
        raise InputError(f"{path} holds no {AGE} rows at national, regional or local authority level.")
    level = rows["geographic_level"]
    is_la, is_region = level == "Local authority", level == "Regional"
    area_code = rows["new_la_code"].where(is_la, rows["region_code"].where(is_region, rows["country_code"]))
    area_name = rows["la_name"].where(is_la, rows["region_name"].where(is_region, rows["country_name"]))
    tp = _time_period(rows["time_period"])
    bad = rows.loc[~tp.str.fullmatch(r"\d{6}"), "time_period"]
    if len(bad):
        raise InputError(f"{path}: the time_period '{bad.iloc[0]}' is not a year (e.g. 2025, the December 2024 to "
                         "February 2025 average).")
    cohort = pd.to_numeric(rows[COHORT], errors="coerce")           # z, c, x ... -> missing
    parts = [pd.DataFrame({
        "measure_id": measure_id, "time_period": tp, "geographic_level": level, "area_code": area_code,
        "old_la_code": rows["old_la_code"].where(is_la, ""), "area_name": area_name,
        "breakdown_topic": "Total", "breakdown": "Total",
        "value": pd.to_numeric(rows[column], errors="coerce"), "numerator": float("nan"), "denominator": cohort,
        "source": SOURCE, "release": release or path.name,
    }) for column, measure_id in DASHBOARD_MEASURES.items()]
    return pd.concat(parts, ignore_index=True)[COMPARATOR_COLUMNS]
