"""Series behind the scrutiny paper's monthly and distribution charts (not in measures.csv).

* ``neet_by_month``: NEET and not-known rates for every month of the CCIS data;
* ``pa_by_month``: persistent absence year to date at the end of each month, from the daily feed;
* ``provision_bands``: permanent exclusions of the current academic year by how many school days
  full-time provision took (by day 6, 7-10, 11-15, 16-30, over 30, still waiting after the sixth
  day), as at the data's last date, from the same cases as the sixth-day measures: the bands of
  exclusions whose sixth day has passed add up to ``sixth_day_within_pct``'s denominator, "By day
  6" is its numerator and "Still waiting" is ``sixth_day_without_provision_count``. Exclusions
  whose sixth day is still to come are a band of their own. Counts below the suppression
  threshold are hidden when shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import engine
from ..periods import academic_year_of
from ..settings import Settings
from .attendance import session_enrolments
from .exclusions import sixth_day_cases
from .neet import by_month

BANDS = [("By day 6", -np.inf, 6), ("Days 7-10", 7, 10), ("Days 11-15", 11, 15), ("Days 16-30", 16, 30),
         ("Over 30 days", 31, 10_000)]


def pa_by_month(sessions, attendance, schools, settings: Settings) -> pd.DataFrame:
    """Year-to-date persistent absence at the end of each month of the latest academic year in the feed
    (the last month as at the feed's last date)."""
    last = sessions.last_date
    year = academic_year_of(last)
    ends = list(dict.fromkeys(pd.date_range(f"{year[:4]}-09-01", last, freq="ME").strftime("%Y-%m-%d").tolist()
                              + [last]))
    e = session_enrolments(sessions, attendance, schools, settings, by_month=True)
    e = e[e["academic_year"] == year]
    if e.empty:
        return pd.DataFrame(columns=["as_at", "academic_year", "pa_pct", "enrolments"])
    # each enrolment's sessions so far at each month end (its months up to that one), then the share
    # of enrolments with a possible session so far that have missed 10% or more of them
    return engine.query("""
        WITH so_far AS (
            SELECT as_at, upn, school_urn, sum(possible) AS possible, sum(absent) AS absent
            FROM enrolment_months JOIN month_ends ON month <= substr(as_at, 1, 7)
            GROUP BY as_at, upn, school_urn)
        SELECT as_at, $year AS academic_year,
               100 * avg(CASE WHEN 10 * absent >= possible THEN 1 ELSE 0 END) AS pa_pct, count(*) AS enrolments
        FROM so_far WHERE possible > 0
        GROUP BY as_at ORDER BY as_at""", {"enrolment_months": e, "month_ends": pd.DataFrame({"as_at": ends})},
        {"year": year})


def provision_bands(exclusions, provision, calendar, as_at: str) -> pd.DataFrame:
    cases = sixth_day_cases(exclusions, provision, calendar, as_at)
    year = academic_year_of(as_at)
    cases = cases[cases["academic_year"] == year]
    decided = cases[cases["sixth_day_passed"].astype(bool)]
    rows = [{"band": name, "exclusions": int(decided["provision_day"].between(lo, hi).sum())} for name, lo, hi in BANDS]
    rows.append({"band": "Still waiting", "exclusions": int(decided["provision_day"].isna().sum())})
    rows.append({"band": "Sixth day still to come", "exclusions": int((~cases["sixth_day_passed"].astype(bool)).sum())})
    out = pd.DataFrame(rows)
    out["academic_year"] = year
    out["as_at"] = as_at
    return out


def compute_series(frames: dict, sessions, settings: Settings, as_at: str | None) -> dict[str, pd.DataFrame]:
    out = {}
    if frames.get("ccis") is not None and not frames["ccis"].empty:
        out["neet_by_month"] = by_month(frames["ccis"], settings)
    if sessions is not None and sessions.last_date:
        out["pa_by_month"] = pa_by_month(sessions, frames.get("attendance"), frames.get("schools"), settings)
    if all(frames.get(name) is not None and not frames[name].empty for name in ("exclusions", "provision", "calendar")) \
            and as_at:    # with no provision records every exclusion would be drawn as still waiting
        out["provision_bands"] = provision_bands(frames["exclusions"], frames.get("provision"), frames["calendar"], as_at)
    return out
