"""Series behind the scrutiny paper's monthly and distribution charts (not in measures.csv).

* ``neet_by_month``: NEET and not-known rates for every month of the CCIS data;
* ``pa_by_month``: persistent absence year to date at the end of each month, from the daily feed;
* ``provision_bands``: permanent exclusions of the current academic year by how many school days
  full-time provision took (by day 6, 7-10, 11-15, 16-30, over 30, still waiting), as at the
  data's last date. Counts below the suppression threshold are hidden when shown.
"""

from __future__ import annotations

import pandas as pd

from ..settings import Settings
from .attendance import academic_year_of, session_enrolments
from .exclusions import sixth_day_cases
from .neet import by_month

BANDS = [("By day 6", 0, 6), ("Days 7-10", 7, 10), ("Days 11-15", 11, 15), ("Days 16-30", 16, 30),
         ("Over 30 days", 31, 10_000)]


def pa_by_month(sessions, attendance, schools, settings: Settings) -> pd.DataFrame:
    """Year-to-date persistent absence at the end of each month of the latest academic year in the feed
    (the last month as at the feed's last date)."""
    last = sessions.last_date
    year = academic_year_of(pd.Series([last])).iloc[0]
    start = f"{year[:4]}-09-01"
    rows = []
    for month_end in pd.date_range(start, last, freq="ME").strftime("%Y-%m-%d").tolist() + [last]:
        enrol = session_enrolments(sessions, attendance, schools, settings, until_month=month_end[:7])
        enrol = enrol[enrol["academic_year"] == year]
        if enrol.empty:
            continue
        pa = (10 * enrol["absent"] >= enrol["possible"]).mean() * 100
        rows.append({"as_at": month_end, "academic_year": year, "pa_pct": pa, "enrolments": len(enrol)})
    return pd.DataFrame(rows).drop_duplicates("as_at")


def provision_bands(exclusions, provision, calendar, as_at: str) -> pd.DataFrame:
    cases = sixth_day_cases(exclusions, provision, calendar, as_at)
    year = academic_year_of(pd.Series([as_at])).iloc[0]
    cases = cases[cases["academic_year"] == year]
    rows = [{"band": name, "exclusions": int(((cases["provision_day"] >= lo) & (cases["provision_day"] <= hi)).sum())}
            for name, lo, hi in BANDS]
    rows.append({"band": "Still waiting", "exclusions": int(cases["provision_day"].isna().sum())})
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
    if frames.get("exclusions") is not None and frames.get("calendar") is not None and as_at:
        out["provision_bands"] = provision_bands(frames["exclusions"], frames.get("provision"), frames["calendar"], as_at)
    return out
