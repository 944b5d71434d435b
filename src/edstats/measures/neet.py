"""NEET and activity not known, academic age 16-17, December to February (methodology section 5).

The cohort of a month is every young person of academic age 16 or 17 resident in the LA
(``residence_la`` equal to the LA's old code when the column is filled), except those whose
activity is outside the cohort (``EXCLUDED``: custody, moved away, ...). The headline for the
window December Y to February Y+1 is reported as academic year Y/Y+1 and is the average of the
three monthly rates (``neet_average: rates``) or the three months' counts summed
(``neet_average: counts``).
"""

from __future__ import annotations

import pandas as pd

from ..settings import Settings
from ..stats import wilson_interval
from .result import CHARACTERISTIC_BREAKDOWNS, _groups, empty_result

MEASURE_IDS = ("neet_pct", "nk_pct", "neet_nk_pct")
WINDOW_MONTHS = ("12", "01", "02")
_FLAGS = {"neet_pct": ("NEET",), "nk_pct": ("NOT_KNOWN",), "neet_nk_pct": ("NEET", "NOT_KNOWN")}
CCIS_BREAKDOWNS = {k: v for k, v in CHARACTERISTIC_BREAKDOWNS.items() if k not in ("School", "School district")}


def cohort(ccis: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Residents of academic age 16-17 in scope (EXCLUDED activities removed), with ``window`` year."""
    c = ccis[ccis["academic_age"].isin(["16", "17"]) & (ccis["activity_group"] != "EXCLUDED")]
    if "residence_la" in c and settings.la.old_la_code:      # no LA code: every LA's residents (compute_by_la)
        c = c[c["residence_la"].isna() | (c["residence_la"] == settings.la.old_la_code)]
    return c


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
    c = cohort(ccis, settings)
    c = c[c["month"].str[5:7].isin(WINDOW_MONTHS)].copy()
    start = c["month"].str[:4].astype(int) - (c["month"].str[5:7] != "12").astype(int)
    c["academic_year"] = start.astype(str) + "/" + ((start + 1) % 100).astype(str).str.zfill(2)
    parts = []
    for topic, labels in _groups(c, topics):
        for measure_id, groups in _FLAGS.items():
            g = pd.DataFrame({"academic_year": c["academic_year"], "month": c["month"], "breakdown": labels,
                              "flag": c["activity_group"].isin(groups).astype(int)})
            monthly = g.groupby(["academic_year", "breakdown", "month"], observed=True)["flag"].agg(["sum", "count"])
            monthly["rate"] = 100 * monthly["sum"] / monthly["count"]
            window = monthly.groupby(level=["academic_year", "breakdown"]).agg(
                num=("sum", "mean"), den=("count", "mean"), rate=("rate", "mean"), months=("rate", "size"))
            window = window[window["months"] == 3].reset_index()   # a window needs all three months
            value = window["rate"] if settings.methodology.neet_average == "rates" else 100 * window["num"] / window["den"]
            lower, upper = wilson_interval(window["num"].round().to_numpy(), window["den"].round().to_numpy())
            parts.append(pd.DataFrame({
                "measure_id": measure_id, "time_period": window["academic_year"].str[:4] + window["academic_year"].str[5:7],
                "breakdown_topic": topic, "breakdown": window["breakdown"].astype(str), "numerator": window["num"],
                "denominator": window["den"], "value": value, "ci_lower": lower, "ci_upper": upper}))
    return pd.concat(parts, ignore_index=True) if parts else empty_result()
