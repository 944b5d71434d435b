"""Public, machine-readable outputs: measures.csv and measures.meta.csv (EES open-data layout).

Values are unrounded (presentation rounds; data files do not). Suppressed cells carry GSS
symbols. Nothing pupil-level is ever written here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .csv_output import write_csv
from .measures import measure_dictionary
from .settings import Settings

OPEN_DATA_COLUMNS = [
    "time_period", "time_identifier", "geographic_level", "country_code", "country_name",
    "region_code", "region_name", "new_la_code", "old_la_code", "la_name",
    "breakdown_topic", "breakdown", "measure_id", "numerator", "denominator", "value", "ci_lower", "ci_upper",
]
_VALUE_COLUMNS = ["numerator", "denominator", "value", "ci_lower", "ci_upper"]


def public_results(marked: pd.DataFrame) -> pd.DataFrame:
    """Results marked by disclosure control (:func:`edstats.disclosure.suppress`) as published:
    numbers become text, suppressed cells ``c``."""
    out = marked.drop(columns="suppressed").astype({c: object for c in _VALUE_COLUMNS})
    for col in _VALUE_COLUMNS:
        out[col] = marked[col].map(lambda v: "x" if pd.isna(v) else repr(float(v)).removesuffix(".0")
                                   if float(v).is_integer() else repr(float(v)))
        out.loc[marked["suppressed"], col] = "c"
    return out


def to_open_data(marked: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The EES open-data layout for the LA's own results, marked by disclosure control.

    School rows (breakdown topic ``School``, breakdown = the school's URN) have geographic level
    ``School``; every other row is the local authority's.
    """
    la = settings.la
    pub = public_results(marked)
    frame = pd.DataFrame({
        "time_period": pub["time_period"],
        "time_identifier": "Academic year",
        "geographic_level": pub["breakdown_topic"].map(lambda t: "School" if t == "School" else "Local authority"),
        "country_code": "E92000001",
        "country_name": "England",
        "region_code": la.region_code,
        "region_name": la.region_name,
        "new_la_code": la.new_la_code,
        "old_la_code": la.old_la_code,
        "la_name": la.name,
    })
    for col in ["breakdown_topic", "breakdown", "measure_id", *_VALUE_COLUMNS]:
        frame[col] = pub[col]
    return frame[OPEN_DATA_COLUMNS]


def open_data_meta(measure_ids) -> pd.DataFrame:
    """measures.meta.csv: EES metadata rows for the filters and indicators of measures.csv."""
    rows = [
        {"col_name": "breakdown_topic", "col_type": "Filter", "label": "Breakdown topic",
         "indicator_grouping": "", "indicator_unit": "", "indicator_dp": "", "filter_hint": "",
         "filter_grouping_column": ""},
        {"col_name": "breakdown", "col_type": "Filter", "label": "Breakdown",
         "indicator_grouping": "", "indicator_unit": "", "indicator_dp": "", "filter_hint": "Pupil group",
         "filter_grouping_column": "breakdown_topic"},
        {"col_name": "measure_id", "col_type": "Filter", "label": "Measure",
         "indicator_grouping": "", "indicator_unit": "", "indicator_dp": "",
         "filter_hint": "See the measure dictionary: " + "; ".join(
             f"{m} = {measure_dictionary().loc[m, 'label']}" for m in sorted(set(measure_ids))),
         "filter_grouping_column": ""},
    ]
    for col, label in [("numerator", "Numerator"), ("denominator", "Denominator"), ("value", "Value"),
                       ("ci_lower", "Lower 95% confidence limit"), ("ci_upper", "Upper 95% confidence limit")]:
        rows.append({"col_name": col, "col_type": "Indicator", "label": label, "indicator_grouping": "",
                     "indicator_unit": "", "indicator_dp": "", "filter_hint": "", "filter_grouping_column": ""})
    return pd.DataFrame(rows)


def write_open_data(marked: pd.DataFrame, settings: Settings, folder: Path) -> list[Path]:
    """Write measures.csv and measures.meta.csv into ``folder`` from results marked by disclosure control."""
    data = to_open_data(marked, settings)
    paths = [folder / "measures.csv", folder / "measures.meta.csv"]
    write_csv(data, paths[0], lineterminator="\n")
    write_csv(open_data_meta(marked["measure_id"]), paths[1], lineterminator="\n")
    return paths
