"""From the Council's plan: % of pupils in good or outstanding schools.

Pupils on roll (January census headcount) in state-funded schools whose latest Ofsted grade is 1
(outstanding) or 2 (good), over pupils in state-funded schools with a grade (never-inspected
schools are left out). Independent schools are outside the measure. Reported for the academic year
of the data's as-at date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import engine

from ..stats import wilson_interval
from ..periods import time_period
from .result import empty_result

MEASURE_IDS = ("pupils_good_outstanding_pct",)


def school_measures(schools: pd.DataFrame | None, academic_year: str | None, by_la: bool = False) -> pd.DataFrame:
    """The measure (Total; and for each LA by ``la_code`` when ``by_la``)."""
    if schools is None or schools.empty or not academic_year:
        return empty_result()
    open_now = "close_date IS NULL" if "close_date" in schools else "TRUE"
    counted = engine.query(f"""
        SELECT {"la_code, grouping(la_code) AS every_la" if by_la else "'Total' AS la_code, 1 AS every_la"},
               CAST(sum(CASE WHEN ofsted_rating IN ('1', '2') THEN headcount ELSE 0 END) AS DOUBLE) AS good,
               CAST(sum(headcount) AS DOUBLE) AS pupils
        FROM schools
        WHERE school_type <> 'INDEPENDENT' AND ofsted_rating IS NOT NULL AND {open_now}
        {"GROUP BY GROUPING SETS ((), (la_code))" if by_la else ""}""", {"schools": schools})
    counted = counted[(counted["every_la"] == 1) | counted["la_code"].notna()].fillna({"good": 0, "pupils": 0})
    counted = counted.sort_values(["every_la", "la_code"], ascending=[False, True])
    k, n = counted["good"].to_numpy(float), counted["pupils"].to_numpy(float)
    lower, upper = wilson_interval(k, n)
    every = counted["every_la"].to_numpy() == 1
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(n > 0, 100 * k / n, np.nan)
    return pd.DataFrame({"measure_id": "pupils_good_outstanding_pct", "time_period": time_period(academic_year),
                         "breakdown_topic": np.where(every, "Total", "Local authority"),
                         "breakdown": np.where(every, "Total", counted["la_code"].astype(str)),
                         "numerator": k, "denominator": n, "value": value, "ci_lower": lower, "ci_upper": upper})
