"""Absence: overall absence rate, persistent (10%+) and severe (50%+) absence (methodology section 4).

The unit is the enrolment (pupil x school) over the period: its own absence over its own possible
sessions. Scope, as DfE's headline figures: pupils aged 5 to 15 at the start of the year
(``age_start_of_year``), in state-funded primary, secondary and special schools (pupil referral
units and alternative provision only with ``absence_include_pru_ap``), enrolments with at least one
possible session. A year is reported only when it has every term of ``absence_period``.

The daily session feed gives the same measures year to date: possible sessions are the sessions
with a counted mark; absences are authorised and unauthorised marks. Where both sources describe
the same sessions they agree exactly (a test checks this).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine import as_frame, connect, register
from ..periods import academic_year_of
from ..settings import Settings
from .result import (CHARACTERISTIC_BREAKDOWNS, _groups, as_category, empty_result, proportion_result, time_period,
                     totals_by_year_and_breakdown)

MEASURE_IDS = ("abs_overall_pct", "abs_persistent_pct", "abs_severe_pct")
YTD_MEASURE_IDS = ("abs_ytd_overall_pct", "abs_ytd_persistent_pct", "abs_ytd_severe_pct")
PERIOD_TERMS = {"full_year": ("AUT", "SPR", "SUM"), "autumn_spring": ("AUT", "SPR"), "autumn": ("AUT",)}
HEADLINE_PHASES = ("PRI", "SEC", "ALL", "SPE")
CHARACTERISTICS = ["sex", "disadvantaged", "fsm", "sen_provision", "eal", "ethnicity_major", "looked_after",
                   "home_district", "home_ward"]


def _in_scope_schools(schools: pd.DataFrame | None, settings: Settings):
    if schools is None:
        return None
    phases = HEADLINE_PHASES + (("PRU", "AP") if settings.methodology.absence_include_pru_ap else ())
    return set(schools.loc[schools["phase"].isin(phases), "school_urn"])


def enrolments(attendance: pd.DataFrame, schools: pd.DataFrame | None, settings: Settings,
               breakdowns: list[str] | None = None) -> pd.DataFrame:
    """In-scope enrolments for each year with every term of the period: sessions summed over terms.

    Each enrolment keeps its key (academic_year, upn, school_urn), the columns of ``breakdowns``
    (default: every pupil characteristic, school_district, la_code and ncyear the census has),
    taken from its first row, and its sessions: ``possible`` and ``absent`` (authorised and
    unauthorised). Enrolments with no possible session are left out; they come in the order of
    their first rows."""
    terms = PERIOD_TERMS[settings.methodology.absence_period]
    scope = _in_scope_schools(schools, settings)
    if breakdowns is None:
        breakdowns = [*CHARACTERISTICS, "school_district", "la_code", "ncyear"]
    key = ["academic_year", "upn", "school_urn"]
    kept = [c for c in dict.fromkeys(breakdowns) if c in attendance and c not in key]
    con = connect()
    register(con, "census", attendance[[*key, *kept, "term", "age_start_of_year", "possible_sessions",
                                        "authorised_absence", "unauthorised_absence"]]
             .assign(row_read=np.arange(len(attendance))))
    return as_frame(con, f"""
        WITH in_scope AS (
            SELECT * FROM census
            WHERE term IN (SELECT unnest($terms)) AND age_start_of_year BETWEEN 5 AND 15
              AND ($scope IS NULL OR list_contains($scope::VARCHAR[], school_urn::VARCHAR))),
        complete_years AS (         -- a year is reported only when it has every term of the period
            SELECT academic_year FROM in_scope GROUP BY academic_year
            HAVING count(DISTINCT term) = len($terms))
        SELECT academic_year, upn, school_urn,
               {''.join(f'arg_min_null("{c}", row_read) AS "{c}", ' for c in kept)}
               sum(possible_sessions)::BIGINT AS possible,
               (sum(authorised_absence) + sum(unauthorised_absence))::BIGINT AS absent
        FROM in_scope
        WHERE academic_year IN (SELECT academic_year FROM complete_years)
        GROUP BY academic_year, upn, school_urn
        HAVING sum(possible_sessions) > 0
        ORDER BY min(row_read)""", {"terms": list(terms), "scope": None if scope is None else sorted(scope)})


def clustered_rate_interval(agg: pd.DataFrame, z: float = 1.959964) -> tuple[np.ndarray, np.ndarray]:
    """95% interval (%) of the overall absence rate A / P, with sessions clustered in enrolments.

    A pupil's sessions are not independent trials (a pupil who misses one day tends to miss
    others), so the interval treats each enrolment as the unit: the ratio estimator's linearised
    (cluster-robust) variance, n / (n - 1) x sum over enrolments of (a - R p)^2 / P^2, from the
    sums of a^2, a p and p^2 (``agg``: columns count, a, p, aa, ap, pp). It is several times wider
    than a binomial interval over sessions."""
    n, total_a, total_p = agg["count"].to_numpy(float), agg["a"].to_numpy(float), agg["p"].to_numpy(float)
    rate = total_a / total_p
    squares = agg["aa"].to_numpy(float) - 2 * rate * agg["ap"].to_numpy(float) + rate ** 2 * agg["pp"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(np.clip(squares, 0, None) * n / (n - 1)) / total_p
    se = np.where(n > 1, se, np.nan)
    return 100 * np.clip(rate - z * se, 0, 1), 100 * np.clip(rate + z * se, 0, 1)


def absence_result(enrol: pd.DataFrame, ids: tuple[str, str, str], topics=CHARACTERISTIC_BREAKDOWNS) -> pd.DataFrame:
    """Overall rate (sessions), persistent and severe absence (enrolments) by year and breakdown."""
    if enrol.empty:
        return empty_result()
    possible = enrol["possible"].astype("int64")
    absent = enrol["absent"].astype("int64")
    # integer comparisons, so that exactly 10.0% and 50.0% count without floating-point doubt
    persistent = 10 * absent >= possible
    severe = 2 * absent >= possible
    parts = [proportion_result(enrol, persistent, ids[1], topics), proportion_result(enrol, severe, ids[2], topics)]
    years = as_category(enrol["academic_year"])
    a, p = absent.to_numpy(dtype=float), possible.to_numpy(dtype=float)
    for topic, labels in _groups(enrol, topics):
        agg = totals_by_year_and_breakdown(years, labels, a=a, p=p, aa=a * a, ap=a * p, pp=p * p)
        lower, upper = clustered_rate_interval(agg)
        parts.append(pd.DataFrame({
            "measure_id": ids[0], "time_period": agg["academic_year"].astype(str).map(time_period), "breakdown_topic": topic,
            "breakdown": agg["breakdown"].astype(str), "numerator": agg["a"].astype(float), "denominator": agg["p"].astype(float),
            "value": 100 * agg["a"] / agg["p"], "ci_lower": lower, "ci_upper": upper}))
    return pd.concat(parts, ignore_index=True)


def attendance_measures(attendance: pd.DataFrame | None, schools: pd.DataFrame | None, settings: Settings,
                        topics=CHARACTERISTIC_BREAKDOWNS) -> pd.DataFrame:
    """Census absence measures by academic year and breakdown."""
    if attendance is None or attendance.empty:
        return empty_result()
    return absence_result(enrolments(attendance, schools, settings, [column for column, _ in topics.values()]),
                          MEASURE_IDS, topics)


def academic_years_of(dates: pd.Series) -> pd.Series:
    """ISO dates (text or dates) -> '2024/25' (:func:`edstats.periods.academic_year_of`), worked out
    once per distinct date (5 million exclusions fall on a few thousand days); missing for a
    missing date."""
    codes, distinct = pd.factorize(dates)
    labels = pd.Series([academic_year_of(pd.Timestamp(d).date()) for d in distinct], dtype=object)
    return labels.reindex(codes).set_axis(dates.index)


def session_enrolments(feed, attendance: pd.DataFrame | None, schools: pd.DataFrame | None,
                       settings: Settings, until_month: str | None = None, by_month: bool = False) -> pd.DataFrame:
    """Year-to-date enrolments from the daily feed (a :class:`~edstats.contract.sessions.SessionFeed`),
    with the months up to ``until_month`` (YYYY-MM, inclusive); one row per enrolment and month
    with ``by_month``.

    Ages and characteristics come from the census rows of the same year when present (the feed
    carries none); without them every pupil in the feed is in scope.
    """
    con = connect()
    con.register("monthly", feed.monthly)
    out = con.execute(f"""
        SELECT academic_year(month || '-01') AS academic_year, upn, school_urn{', month' if by_month else ''},
               sum(possible)::BIGINT AS possible, sum(absent)::BIGINT AS absent
        FROM monthly WHERE month <= coalesce($until, month)
        GROUP BY ALL""", {"until": until_month}).df()
    years = out["academic_year"].unique()
    if attendance is not None and not attendance.empty:
        columns = [c for c in CHARACTERISTICS + ["school_district", "la_code", "age_start_of_year"] if c in attendance]
        keys = ["academic_year", "upn", "school_urn"]
        census = attendance[attendance["academic_year"].isin(list(years))]
        info = census[keys + columns].drop_duplicates(keys).astype({k: str for k in keys})
        out = out.merge(info, on=keys, how="left")
        out = out[(out["age_start_of_year"] >= 5) & (out["age_start_of_year"] <= 15)]
    scope = _in_scope_schools(schools, settings)
    if scope is not None:
        out = out[out["school_urn"].isin(scope)]
    return out if by_month else out[out["possible"] > 0].reset_index(drop=True)


def ytd_attendance_measures(sessions, attendance: pd.DataFrame | None,
                            schools: pd.DataFrame | None, settings: Settings, topics=CHARACTERISTIC_BREAKDOWNS):
    """Year-to-date absence from the daily feed, by academic year and breakdown."""
    if sessions is None or sessions.monthly.num_rows == 0:
        return empty_result()
    return absence_result(session_enrolments(sessions, attendance, schools, settings), YTD_MEASURE_IDS, topics)
