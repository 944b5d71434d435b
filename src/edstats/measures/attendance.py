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

from ..engine import connect
from ..grouping import codes_and_distinct, combination_numbers, first_rows, position_type
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


#: Sessions are summed over this many rows at a time (as numbers with a fraction, which ``numpy.bincount``
#: needs: 8 bytes a row), so that 45 million rows never need a copy at once. Whole numbers: exact.
SUMMED_ROWS = 1 << 23


def _in_scope_schools(schools: pd.DataFrame | None, settings: Settings):
    if schools is None:
        return None
    phases = HEADLINE_PHASES + (("PRU", "AP") if settings.methodology.absence_include_pru_ap else ())
    return set(schools.loc[schools["phase"].isin(phases), "school_urn"])


def _in_complete_years(attendance: pd.DataFrame, keep: np.ndarray, terms: tuple[str, ...]) -> np.ndarray:
    """Rows of an academic year whose rows in scope (``keep``) include every one of ``terms``:
    counted on the columns' codes (a table of years by terms), not by grouping the rows."""
    year_codes, years = codes_and_distinct(attendance["academic_year"])
    term_codes, term_values = codes_and_distinct(attendance["term"])
    both = keep & (year_codes >= 0) & (term_codes >= 0)
    seen = np.bincount(year_codes[both].astype(np.int64) * len(term_values) + term_codes[both],
                       minlength=len(years) * len(term_values)).reshape(len(years), len(term_values)) > 0
    term_text = term_values.astype(str).to_numpy()
    complete = np.ones(len(years), dtype=bool)
    for term in terms:
        complete &= seen[:, term_text == term].any(axis=1)
    return np.append(complete, False)[year_codes]        # code -1 (no year) picks the appended False


def enrolments(attendance: pd.DataFrame, schools: pd.DataFrame | None, settings: Settings,
               breakdowns: list[str] | None = None) -> pd.DataFrame:
    """In-scope enrolments for each year with every term of the period: sessions summed over terms.

    Each enrolment keeps its key (academic_year, upn, school_urn), the columns of ``breakdowns``
    (default: every pupil characteristic, school_district, la_code and ncyear the census has),
    taken from its first row, and its sessions: ``possible`` and ``absent`` (authorised and
    unauthorised). The rows in scope are found as one mask. The rows
    themselves are never copied (45 million at national scale): enrolments are numbered from the
    key columns' codes at those rows, the sessions summed from one count column at a time, and
    only the first row of each enrolment with a possible session taken."""
    terms = PERIOD_TERMS[settings.methodology.absence_period]
    age = attendance["age_start_of_year"]
    keep = (attendance["term"].isin(terms) & (age >= 5) & (age <= 15)).fillna(False).to_numpy(dtype=bool)
    scope = _in_scope_schools(schools, settings)
    if scope is not None:
        keep = keep & attendance["school_urn"].isin(scope).to_numpy(dtype=bool)
    keep &= _in_complete_years(attendance, keep, terms)
    rows = np.flatnonzero(keep).astype(position_type(len(keep)))
    # each enrolment numbered from the key columns' codes at the rows in scope: no copy of the rows
    # themselves (45 million at national scale), only of the columns' codes and counts, one at a time
    group = combination_numbers((codes[rows], len(distinct)) for codes, distinct in
                                (codes_and_distinct(attendance[c]) for c in ("academic_year", "upn", "school_urn")))
    if breakdowns is None:
        breakdowns = [*CHARACTERISTICS, "school_district", "la_code", "ncyear"]
    columns = list(dict.fromkeys(c for c in ["academic_year", "upn", "school_urn", *breakdowns] if c in attendance))
    enrolled = int(group.max()) + 1 if len(group) else 0
    sums = {"possible": np.zeros(enrolled), "absent": np.zeros(enrolled)}
    for column, name in (("possible_sessions", "possible"), ("authorised_absence", "absent"),
                         ("unauthorised_absence", "absent")):
        for start in range(0, len(rows), SUMMED_ROWS):     # a few million rows' sessions at a time
            part = slice(start, start + SUMMED_ROWS)
            sums[name] += np.bincount(group[part], weights=attendance[column].take(rows[part]).to_numpy(dtype=float),
                                      minlength=enrolled)
    on_roll = sums["possible"] > 0
    first = rows[first_rows(group)[on_roll]]
    del rows, group
    out = attendance[columns].take(first).reset_index(drop=True)
    for name, total in sums.items():
        out[name] = total[on_roll].astype(np.int64)
    return out


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
