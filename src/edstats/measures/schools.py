"""From the Council's plan: % of pupils in good or outstanding schools.

Pupils on roll (January census headcount) in state-funded schools whose latest Ofsted grade is 1
(outstanding) or 2 (good), over pupils in state-funded schools with a grade (never-inspected
schools are left out). Independent schools are outside the measure. Reported for the academic year
of the data's as-at date.
"""

from __future__ import annotations

import pandas as pd

from ..stats import wilson_interval
from .result import empty_result, time_period

MEASURE_IDS = ("pupils_good_outstanding_pct",)


def school_measures(schools: pd.DataFrame | None, academic_year: str | None, by_la: bool = False) -> pd.DataFrame:
    """The measure (Total; and for each LA by ``la_code`` when ``by_la``)."""
    if schools is None or schools.empty or not academic_year:
        return empty_result()
    s = schools[(schools["school_type"] != "INDEPENDENT") & schools["ofsted_rating"].notna()]
    s = s[s["close_date"].isna()] if "close_date" in s else s
    groups = [("Total", "Total", s)]
    if by_la:
        groups += [("Local authority", str(code), one) for code, one in s.groupby("la_code")]
    rows = []
    for topic, label, one in groups:
        good = one["ofsted_rating"].isin(["1", "2"])
        k, n = int(one.loc[good, "headcount"].sum()), int(one["headcount"].sum())
        lower, upper = wilson_interval(k, n)
        rows.append({"measure_id": "pupils_good_outstanding_pct", "time_period": time_period(academic_year),
                     "breakdown_topic": topic, "breakdown": label, "numerator": float(k),
                     "denominator": float(n), "value": 100 * k / n if n else float("nan"),
                     "ci_lower": lower, "ci_upper": upper})
    return pd.DataFrame(rows)
