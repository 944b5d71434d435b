"""Exclusions: rates per 100 pupils, and the sixth-day duty (methodology section 6).

Rates: permanent exclusions and suspensions in the academic year per 100 pupils on roll at that
year's January census (``school_census``: each school's headcount by year, sole and dual main
registrations) of state-funded primary, secondary, all-through and special schools, each school
in the years it was open (has a census headcount).

Sixth-day duty (a local measure; DfE publishes none): for a permanent exclusion, day 1 is the
first school day of the exclusion (on the school calendar) and the LA must arrange full-time
education from day 6. The day provision started is the number of school days from day 1 to the
first full-time provision (``FULL_TIME_SCHOOL`` or ``FULL_TIME_AP``) inclusive.

* ``sixth_day_within_pct``: exclusions with full-time provision by day 6, of those whose sixth
  school day has passed by the as-at date, by academic year of exclusion.
* ``days_to_provision_median``: median school days to full-time provision; exclusions still
  waiting at the as-at date count the school days so far (censored), as the methodology proposes.
* ``sixth_day_without_provision_count``: pupils permanently excluded this academic year whose
  sixth school day has passed and who had no full-time provision at the as-at date.
* ``part_time_placement_count``: of those, pupils in a part-time or tuition placement.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import engine
from ..engine import sql
from ..periods import academic_year_of, time_period
from ..settings import Settings
from ..stats import wilson_interval
from .result import LA_BREAKDOWN, SCHOOL_BREAKDOWNS, empty_result, la_topics, rate_result, totals

MEASURE_IDS = ("excl_perm_rate", "excl_susp_rate", "sixth_day_without_provision_count", "sixth_day_within_pct",
               "days_to_provision_median", "part_time_placement_count")
RATE_PHASES = ("PRI", "SEC", "ALL", "SPE")
FULL_TIME = ("FULL_TIME_SCHOOL", "FULL_TIME_AP")
DEADLINE_DAY = 6


#: Pupils on roll at each in-scope school's January census, in the years it was open; each
#: exclusion at such a school in a year it has a headcount, in the academic year of its start date
#: (September starts one).
ROLL_AND_EXCLUSIONS = """
    WITH roll AS (
        SELECT c.school_urn, c.academic_year, c.headcount, s.district AS school_district{la_code}
        FROM school_census AS c JOIN schools AS s ON s.school_urn = c.school_urn
        WHERE s.phase IN $phases),
    dated AS (
        SELECT category, school_urn, academic_year(CAST(start_date AS DATE)) AS academic_year FROM exclusions),
    excluded AS (
        SELECT roll.*, dated.category
        FROM dated JOIN roll ON roll.school_urn = dated.school_urn AND roll.academic_year = dated.academic_year)
"""


def exclusion_rates(exclusions: pd.DataFrame, schools: pd.DataFrame, census: pd.DataFrame,
                    topics=SCHOOL_BREAKDOWNS) -> pd.DataFrame:
    """Permanent exclusion and suspension rates per 100 pupils, Total and by school / school
    district: each year's exclusions at state-funded primary, secondary, all-through and special
    schools over the pupils on roll at those schools at that year's January census
    (``school_census``), a school counting in the years it has a census headcount (open)."""
    tables = {"exclusions": exclusions, "schools": schools,
              "school_census": census}
    with_la = "la_code" in schools
    query = ROLL_AND_EXCLUSIONS.format(la_code=", s.la_code" if with_la else "")
    columns = ["school_urn", "school_district", *(["la_code"] if with_la else [])]
    parameters = {"phases": list(RATE_PHASES)}
    excluded = totals(query + "SELECT * FROM excluded", tables, {
        "PERM": "CASE WHEN category = 'PERM' THEN 1 ELSE 0 END",
        "SUSP": "CASE WHEN category = 'SUSP' THEN 1 ELSE 0 END"}, topics, columns, parameters=parameters)
    on_roll = totals(query + "SELECT * FROM roll WHERE academic_year IN (SELECT academic_year FROM excluded)",
                     tables, {"n": "headcount"}, topics, columns, parameters=parameters)
    return pd.concat([
        rate_result(excluded[excluded[category] > 0].rename(columns={category: "n"}), on_roll, measure_id,
                    events=category == "SUSP")          # a pupil can be suspended many times
        for measure_id, category in (("excl_perm_rate", "PERM"), ("excl_susp_rate", "SUSP"))], ignore_index=True)


def sixth_day_cases(exclusions: pd.DataFrame, provision: pd.DataFrame | None, calendar: pd.DataFrame,
                    as_at: str) -> pd.DataFrame:
    """One row per permanent exclusion up to ``as_at``, in the exclusions' order: the day of
    full-time provision or the days waiting (``sql/sixth_day.sql``)."""
    if provision is None or provision.empty:
        provision = pd.DataFrame({"exclusion_id": pd.Series(dtype="string"), "provision_type": pd.Series(dtype="string"),
                                  "start_date": pd.Series(dtype="datetime64[us]")})
    cases = engine.query(sql("sixth_day"), {"exclusions": exclusions, "provision": provision, "calendar": calendar},
                         {"as_at": as_at})
    return cases.drop(columns=[engine.ROW_COL, "excluded_on", "day1_place", "full_time_place", "as_at_place",
                               "full_time_from", "part_time_from"]).astype(
        {"sixth_day_passed": bool, "within_sixth_day": bool, "in_part_time": bool,
         "provision_day": float, "days_waiting": float})


def last_start_date(exclusions, provision=None) -> str | None:
    """The last start date in the exclusions and provision (ISO), the snapshot date when none is
    given; None when neither has a row."""
    tables = {name: table for name, table in (("exclusions", exclusions), ("provision", provision))
              if table is not None and not table.empty}
    if not tables:
        return None
    last = engine.query("SELECT strftime(max(CAST(start_date AS DATE)), '%Y-%m-%d') AS day FROM (" + " UNION ALL ".join(
        f"SELECT start_date FROM {name}" for name in tables) + ")", tables)["day"].iloc[0]
    return None if pd.isna(last) else str(last)


def sixth_day_measures(exclusions: pd.DataFrame, provision: pd.DataFrame | None, calendar: pd.DataFrame | None,
                       as_at: str | None) -> pd.DataFrame:
    """The four sixth-day measures (Total rows)."""
    if calendar is None or calendar.empty:
        return empty_result()
    as_at = as_at or last_start_date(exclusions, provision)
    return _sixth_day_rows(sixth_day_cases(exclusions, provision, calendar, as_at), academic_year_of(as_at))


def _sixth_day_rows(cases: pd.DataFrame, current: str, area: pd.Series | None = None,
                    areas: list | None = None) -> pd.DataFrame:
    """The four sixth-day measures from the cases of :func:`sixth_day_cases`; ``current`` is the
    academic year of the snapshot (:func:`~edstats.periods.academic_year_of`).

    Total rows; or, given each case's ``area`` (an LA) and the ``areas`` to report, each area's rows
    (breakdown: the area), all found in one pass over the cases, and the two counts 0 for an area
    without any."""
    topic = "Total" if area is None else "Local authority"
    if area is None:
        area, areas = pd.Series("Total", index=cases.index), ["Total"]
    year = cases["academic_year"]
    decided = cases["sixth_day_passed"].to_numpy(dtype=bool)
    within = cases["within_sixth_day"].astype(int)[decided].groupby(
        [area[decided], year[decided]], observed=True).agg(["sum", "count"])
    k, n = within["sum"].to_numpy(), within["count"].to_numpy()
    lower, upper = wilson_interval(k, n)
    days = cases["provision_day"].fillna(cases["days_waiting"]).groupby([area, year], observed=True).agg(["median", "size"])
    waiting = decided & (year == current).to_numpy(dtype=bool) & cases["provision_day"].isna().to_numpy()
    counts = pd.DataFrame({"waiting": waiting, "part_time": waiting & cases["in_part_time"].to_numpy(dtype=bool)}
                          ).groupby(area.to_numpy()).sum().reindex(areas, fill_value=0)
    parts = [
        pd.DataFrame({"measure_id": "sixth_day_within_pct", "area": within.index.get_level_values(0),
                      "academic_year": within.index.get_level_values(1), "numerator": k, "denominator": n,
                      "value": 100 * k / n, "ci_lower": lower, "ci_upper": upper}),
        pd.DataFrame({"measure_id": "days_to_provision_median", "area": days.index.get_level_values(0),
                      "academic_year": days.index.get_level_values(1), "numerator": np.nan,
                      "denominator": days["size"].to_numpy(), "value": days["median"].to_numpy(dtype=float),
                      "ci_lower": np.nan, "ci_upper": np.nan}),
        *[pd.DataFrame({"measure_id": measure, "area": counts.index, "academic_year": current,
                        "numerator": counts[column].to_numpy(), "denominator": np.nan,
                        "value": counts[column].to_numpy(dtype=float), "ci_lower": np.nan, "ci_upper": np.nan})
          for measure, column in (("sixth_day_without_provision_count", "waiting"),
                                  ("part_time_placement_count", "part_time"))],
    ]
    out = pd.concat(parts, ignore_index=True)
    out["time_period"] = out["academic_year"].astype(str).map(time_period)
    out["breakdown_topic"] = topic
    out["breakdown"] = out["area"].astype(str)
    return out.drop(columns=["academic_year", "area"])


def exclusion_measures(exclusions: pd.DataFrame | None, provision: pd.DataFrame | None, schools: pd.DataFrame | None,
                       calendar: pd.DataFrame | None, settings: Settings, as_at: str | None = None,
                       topics=SCHOOL_BREAKDOWNS, census: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rates (need schools and their census headcounts) and sixth-day measures (need the calendar)."""
    if exclusions is None or exclusions.empty:
        return empty_result()
    parts = []
    if schools is not None and not schools.empty and census is not None and not census.empty:
        parts.append(exclusion_rates(exclusions, schools, census, {k: v for k, v in topics.items()
                                                                   if k in SCHOOL_BREAKDOWNS or k in LA_BREAKDOWN}))
    if calendar is not None and not calendar.empty:
        as_at = as_at or last_start_date(exclusions, provision)
        cases = sixth_day_cases(exclusions, provision, calendar, as_at)     # once: each case is its own
        current = academic_year_of(as_at)        # once, not once per LA (7 ms each)
        parts.append(_sixth_day_rows(cases, current))
        if la_topics(topics) and "la_code" in exclusions:       # every LA with exclusions
            las = engine.query("SELECT DISTINCT CAST(la_code AS VARCHAR) AS la FROM exclusions WHERE la_code IS NOT NULL "
                               "ORDER BY la", {"exclusions": exclusions})["la"].tolist()
            parts.append(_sixth_day_rows(cases, current, cases["la_code"], las))
    return pd.concat([p for p in parts if not p.empty], ignore_index=True) if parts else empty_result()
