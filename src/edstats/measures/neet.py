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

import pandas as pd

from .. import engine
from ..periods import time_period
from ..settings import Settings
from ..stats import wilson_interval
from .result import CHARACTERISTIC_BREAKDOWNS, empty_result, totals

MEASURE_IDS = ("neet_pct", "nk_pct", "neet_nk_pct")
_FLAGS = {"neet_pct": "activity_group = 'NEET'", "nk_pct": "activity_group = 'NOT_KNOWN'",
          "neet_nk_pct": "activity_group IN ('NEET', 'NOT_KNOWN')"}
CCIS_BREAKDOWNS = {k: v for k, v in CHARACTERISTIC_BREAKDOWNS.items() if k not in ("School", "School district")}

#: Each month's cohort, with the Dec-Feb window the month falls in as its academic year
#: ('2024-12' and '2025-02': '2024/25'; NULL outside a window). With no LA code (``compute_by_la``)
#: every LA's residents are in; a blank residence is unknown, never the LA's.
_COHORT = """
    SELECT *, CASE WHEN substr(month, 6, 2) IN ('12', '01', '02') THEN academic_year(CAST(concat(month, '-01') AS DATE))
              END AS academic_year
    FROM ccis
    WHERE academic_age IN ('16', '17') AND activity_group <> 'EXCLUDED' AND {residents}"""


def cohort(ccis: pd.DataFrame, settings: Settings) -> str:
    """The query of the cohort (:data:`_COHORT`) of the LA's residents, or every LA's."""
    every_la = "residence_la" not in ccis or not settings.la.old_la_code
    return _COHORT.format(residents="TRUE" if every_la else "residence_la = $la")


def by_month(ccis: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Monthly NEET, not known and cohort counts and rates (all months, for the by-month chart)."""
    return engine.query(f"""
        SELECT month, CAST(sum(eet) AS BIGINT) AS "EET", CAST(sum(neet) AS BIGINT) AS "NEET",
               CAST(sum(not_known) AS BIGINT) AS "NOT_KNOWN", count(*) AS cohort,
               100 * sum(neet) / count(*) AS neet_pct, 100 * sum(not_known) / count(*) AS nk_pct
        FROM (SELECT month, CASE WHEN activity_group = 'EET' THEN 1 ELSE 0 END AS eet,
                     CASE WHEN activity_group = 'NEET' THEN 1 ELSE 0 END AS neet,
                     CASE WHEN activity_group = 'NOT_KNOWN' THEN 1 ELSE 0 END AS not_known
              FROM ({cohort(ccis, settings)}) AS cohort) AS flagged
        GROUP BY month ORDER BY month""", {"ccis": ccis},
        {"la": settings.la.old_la_code})


def neet_measures(ccis: pd.DataFrame | None, settings: Settings, topics=CCIS_BREAKDOWNS) -> pd.DataFrame:
    """The three Dec-Feb measures by window and breakdown: a window needs all three months."""
    if ccis is None or ccis.empty:
        return empty_result()
    monthly = totals(f"SELECT * FROM ({cohort(ccis, settings)}) AS cohort WHERE academic_year IS NOT NULL",
                     {"ccis": ccis}, {m: f"CASE WHEN {flag} THEN 1 ELSE 0 END" for m, flag in _FLAGS.items()}, topics, ccis.columns, keys=("academic_year", "month"),
                     parameters={"la": settings.la.old_la_code})
    parts = []
    for measure_id in _FLAGS:
        months = monthly.assign(k=monthly[measure_id], rate=100 * monthly[measure_id] / monthly["rows"])
        window = months.groupby(["academic_year", "breakdown_topic", "breakdown"], sort=False).agg(
            num=("k", "mean"), den=("rows", "mean"), rate=("rate", "mean"), months=("month", "size")).reset_index()
        window = window[window["months"] == 3]
        value = window["rate"] if settings.methodology.neet_average == "rates" else 100 * window["num"] / window["den"]
        lower, upper = wilson_interval(window["num"].round().to_numpy(), window["den"].round().to_numpy())
        parts.append(pd.DataFrame({
            "measure_id": measure_id, "time_period": window["academic_year"].map(time_period),
            "breakdown_topic": window["breakdown_topic"], "breakdown": window["breakdown"], "numerator": window["num"],
            "denominator": window["den"], "value": value, "ci_lower": lower, "ci_upper": upper}))
    return pd.concat(parts, ignore_index=True)
