"""NEET and activity not known, academic age 16-17, December to February (methodology section 5).

The cohort of a month is every young person of academic age 16 or 17 resident in the LA
(``residence_la`` equal to the LA's old code; a blank one is unknown, not the LA's), except those
whose activity is outside the cohort (``EXCLUDED``: custody, moved away, ...). The headline for
the window December Y to February Y+1 is reported as academic year Y/Y+1: the three months'
counts averaged, as DfE publishes them (``neet_average: counts``, the default: NEET over the
cohort summed over the three months), or the mean of the three monthly rates
(``neet_average: rates``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..settings import Settings
from ..stats import wilson_interval
from .result import CHARACTERISTIC_BREAKDOWNS, _groups, empty_result

MEASURE_IDS = ("neet_pct", "nk_pct", "neet_nk_pct")
WINDOW_MONTHS = ("12", "01", "02")
_FLAGS = {"neet_pct": ("NEET",), "nk_pct": ("NOT_KNOWN",), "neet_nk_pct": ("NEET", "NOT_KNOWN")}
CCIS_BREAKDOWNS = {k: v for k, v in CHARACTERISTIC_BREAKDOWNS.items() if k not in ("School", "School district")}


def _in_cohort(ccis: pd.DataFrame, settings: Settings) -> np.ndarray:
    """Rows of residents of academic age 16-17 in scope (EXCLUDED activities removed)."""
    keep = (ccis["academic_age"].isin(["16", "17"]) & (ccis["activity_group"] != "EXCLUDED")).to_numpy(dtype=bool)
    if "residence_la" in ccis and settings.la.old_la_code:      # no LA code: every LA's residents (compute_by_la)
        # a blank residence is unknown, not the LA's (the contract makes it an error; a caller
        # that passes one anyway does not add an unknown young person to the LA's cohort)
        resident = (ccis["residence_la"] == settings.la.old_la_code).fillna(False)
        keep = keep & resident.to_numpy(dtype=bool)
    return keep


def cohort(ccis: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Residents of academic age 16-17 in scope (EXCLUDED activities removed)."""
    return ccis[_in_cohort(ccis, settings)]


def _window_years(months: pd.Series) -> pd.Series:
    """The Dec-Feb window a month falls in, as its academic year ('2024-12' and '2025-02' ->
    '2024/25'); missing for months outside a window. Worked out once per distinct month."""
    codes, distinct = pd.factorize(months)
    years = []
    for month in pd.Index(distinct).astype(object).astype(str):
        start = int(month[:4]) - (month[5:7] != "12") if month[:4].isdigit() else None
        years.append(f"{start}/{(start + 1) % 100:02d}" if start is not None and month[5:7] in WINDOW_MONTHS else None)
    per_month = pd.Categorical(years + [None])          # the last: a missing month
    return pd.Series(pd.Categorical.from_codes(per_month.codes[np.where(codes >= 0, codes, len(distinct))],
                                               categories=per_month.categories), index=months.index)


def by_month(ccis: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Monthly NEET, not known and cohort counts and rates (all months, for the by-month chart)."""
    c = cohort(ccis, settings)
    counts = c.groupby(["month", "activity_group"], observed=True).size().unstack(fill_value=0)
    for g in ("NEET", "NOT_KNOWN", "EET"):
        if g not in counts:
            counts[g] = 0
    counts["cohort"] = counts.sum(axis=1)
    counts["neet_pct"] = 100 * counts["NEET"] / counts["cohort"]
    counts["nk_pct"] = 100 * counts["NOT_KNOWN"] / counts["cohort"]
    return counts.reset_index()


def neet_measures(ccis: pd.DataFrame | None, settings: Settings, topics=CCIS_BREAKDOWNS) -> pd.DataFrame:
    """The three Dec-Feb measures by window and breakdown."""
    if ccis is None or ccis.empty:
        return empty_result()
    window_year = _window_years(ccis["month"])
    keep = _in_cohort(ccis, settings) & window_year.notna().to_numpy()
    columns = ["month", "activity_group"] + [column for column, _ in topics.values() if column in ccis]
    c = ccis.loc[keep, list(dict.fromkeys(columns))].assign(academic_year=window_year[keep])   # rows taken once
    parts = []
    flags = {measure_id: c["activity_group"].isin(groups).astype(int) for measure_id, groups in _FLAGS.items()}
    for topic, labels in _groups(c, topics):
        # the three measures' monthly counts from one grouping of the rows
        grouped = pd.DataFrame({"academic_year": c["academic_year"], "month": c["month"], "breakdown": labels,
                                **flags}).groupby(["academic_year", "breakdown", "month"], observed=True)
        sums, rows = grouped[list(_FLAGS)].sum(), grouped.size()
        for measure_id in _FLAGS:
            monthly = pd.DataFrame({"sum": sums[measure_id], "count": rows})
            monthly["rate"] = 100 * monthly["sum"] / monthly["count"]
            window = monthly.groupby(level=["academic_year", "breakdown"]).agg(
                num=("sum", "mean"), den=("count", "mean"), rate=("rate", "mean"), months=("rate", "size"))
            window = window[window["months"] == 3].reset_index()   # a window needs all three months
            value = window["rate"] if settings.methodology.neet_average == "rates" else 100 * window["num"] / window["den"]
            lower, upper = wilson_interval(window["num"].round().to_numpy(), window["den"].round().to_numpy())
            parts.append(pd.DataFrame({
                "measure_id": measure_id, "time_period": window["academic_year"].astype(str).str[:4] + window["academic_year"].astype(str).str[5:7],
                "breakdown_topic": topic, "breakdown": window["breakdown"].astype(str), "numerator": window["num"],
                "denominator": window["den"], "value": value, "ci_lower": lower, "ci_upper": upper}))
    return pd.concat(parts, ignore_index=True) if parts else empty_result()
