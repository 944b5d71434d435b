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

import pandas as pd

from .. import engine
from ..settings import Settings
from .result import CHARACTERISTIC_BREAKDOWNS, Proportion, SessionRate, empty_result, measures_over

MEASURE_IDS = ("abs_overall_pct", "abs_persistent_pct", "abs_severe_pct")
YTD_MEASURE_IDS = ("abs_ytd_overall_pct", "abs_ytd_persistent_pct", "abs_ytd_severe_pct")
PERIOD_TERMS = {"full_year": ("AUT", "SPR", "SUM"), "autumn_spring": ("AUT", "SPR"), "autumn": ("AUT",)}
HEADLINE_PHASES = ("PRI", "SEC", "ALL", "SPE")
CHARACTERISTICS = ["sex", "disadvantaged", "fsm", "sen_provision", "eal", "ethnicity_major", "looked_after",
                   "home_district", "home_ward"]


def _in_scope(schools, settings: Settings, urn: str = "school_urn") -> str:
    """SQL: the school ``urn`` names is in the headline scope (a state-funded primary, secondary,
    all-through or special school; pupil referral units and alternative provision too with
    ``absence_include_pru_ap``); every school when there is no schools dataset."""
    if schools is None:
        return "TRUE"
    phases = HEADLINE_PHASES + (("PRU", "AP") if settings.methodology.absence_include_pru_ap else ())
    return (f"CAST({urn} AS VARCHAR) IN (SELECT CAST(school_urn AS VARCHAR) FROM schools "
            f"WHERE phase IN ({', '.join(repr(p) for p in phases)}))")


def _enrolments_query(attendance, schools, settings: Settings, breakdowns: list[str] | None = None
                      ) -> tuple[str, dict, dict]:
    """The query of :func:`enrolments`, its tables and its parameters."""
    terms = PERIOD_TERMS[settings.methodology.absence_period]
    if breakdowns is None:
        breakdowns = [*CHARACTERISTICS, "school_district", "la_code", "ncyear"]
    key = ["academic_year", "upn", "school_urn"]
    present = set(attendance.columns)
    kept = [c for c in dict.fromkeys(breakdowns) if c in present and c not in key]
    query = f"""
        WITH in_scope AS (
            SELECT * FROM census
            WHERE term IN $terms AND age_start_of_year BETWEEN 5 AND 15 AND {_in_scope(schools, settings)}),
        complete_years AS (         -- a year is reported only when it has every term of the period
            SELECT academic_year FROM in_scope GROUP BY academic_year
            HAVING count(DISTINCT term) = {len(terms)}),
        summed AS (
            SELECT academic_year, upn, school_urn, min(_row) AS first_row,
                   CAST(sum(possible_sessions) AS BIGINT) AS possible,
                   CAST(sum(authorised_absence) + sum(unauthorised_absence) AS BIGINT) AS absent
            FROM in_scope
            WHERE academic_year IN (SELECT academic_year FROM complete_years)
            GROUP BY academic_year, upn, school_urn
            HAVING sum(possible_sessions) > 0)
        SELECT s.academic_year, s.upn, s.school_urn, s.first_row, s.possible, s.absent
               {''.join(f', first_census."{c}"' for c in kept)}     -- the breakdowns of the first row
        FROM summed AS s JOIN census AS first_census ON first_census._row = s.first_row"""
    tables = {"census": attendance} | ({"schools": schools} if schools is not None else {})
    return query, tables, {"terms": list(terms)}


def enrolments(attendance: pd.DataFrame, schools: pd.DataFrame | None, settings: Settings,
               breakdowns: list[str] | None = None) -> pd.DataFrame:
    """In-scope enrolments for each year with every term of the period: sessions summed over terms.

    Each enrolment keeps its key (academic_year, upn, school_urn), the columns of ``breakdowns``
    (default: every pupil characteristic, school_district, la_code and ncyear the census has),
    taken from its first row, and its sessions: ``possible`` and ``absent`` (authorised and
    unauthorised). Enrolments with no possible session are left out; they come in the order of
    their first rows."""
    query, tables, parameters = _enrolments_query(attendance, schools, settings, breakdowns)
    return (engine.query(query, tables, parameters).sort_values("first_row", ignore_index=True)
            .drop(columns="first_row"))


def absence_measures(ids: tuple[str, str, str]) -> list:
    """The overall absence rate (sessions), persistent and severe absence (enrolments) under
    ``ids``. Persistent: absent from 10% or more of possible sessions; severe: 50% or more (whole
    numbers compared, so that exactly 10% counts)."""
    return [SessionRate(ids[0]), Proportion(ids[1], "10 * absent >= possible"), Proportion(ids[2], "2 * absent >= possible")]


def absence_result(enrol: pd.DataFrame, ids: tuple[str, str, str], topics=CHARACTERISTIC_BREAKDOWNS) -> pd.DataFrame:
    """:func:`absence_measures` over enrolments (``possible`` and ``absent`` sessions) by year and breakdown."""
    if enrol.empty:
        return empty_result()
    return measures_over("SELECT * FROM enrolments", {"enrolments": enrol}, absence_measures(ids), topics, enrol.columns)


def attendance_measures(attendance: pd.DataFrame | None, schools: pd.DataFrame | None, settings: Settings,
                        topics=CHARACTERISTIC_BREAKDOWNS) -> pd.DataFrame:
    """Census absence measures by academic year and breakdown."""
    if attendance is None or attendance.empty:
        return empty_result()
    query, tables, parameters = _enrolments_query(attendance, schools, settings, [c for c, _ in topics.values()])
    return measures_over(query, tables, absence_measures(MEASURE_IDS), topics, attendance.columns, parameters)


def session_enrolments(feed, attendance: pd.DataFrame | None, schools: pd.DataFrame | None,
                       settings: Settings, until_month: str | None = None, by_month: bool = False) -> pd.DataFrame:
    """Year-to-date enrolments from the daily feed (a :class:`~edstats.contract.sessions.SessionFeed`),
    with the months up to ``until_month`` (YYYY-MM, inclusive); one row per enrolment and month
    with ``by_month``.

    Ages and characteristics come from the census rows of the same year when present (the feed
    carries none); without them every pupil in the feed is in scope.
    """
    census = attendance is not None and not attendance.empty
    present = set(attendance.columns) if census else set()
    columns = [c for c in CHARACTERISTICS + ["school_district", "la_code", "age_start_of_year"] if c in present]
    tables = {"monthly": feed.monthly} | ({"census": attendance} if census else {}) | (
        {"schools": schools} if schools is not None else {})
    month = ", month" if by_month else ""
    if census:      # each enrolment's first census row of the year gives its age and characteristics
        found = f"""
        SELECT e.*, {', '.join(f'c."{c}"' for c in columns)}
        FROM enrolments AS e
        JOIN (SELECT academic_year, upn, school_urn, min(_row) AS first_row
              FROM census GROUP BY academic_year, upn, school_urn) AS k
          ON CAST(k.academic_year AS VARCHAR) = e.academic_year AND CAST(k.upn AS VARCHAR) = e.upn
         AND CAST(k.school_urn AS VARCHAR) = e.school_urn
        JOIN census AS c ON c._row = k.first_row
        WHERE c.age_start_of_year BETWEEN 5 AND 15"""
    else:
        found = "SELECT * FROM enrolments AS e WHERE TRUE"
    return engine.query(f"""
        WITH feed AS (
            SELECT academic_year(CAST(concat(month, '-01') AS DATE)) AS academic_year, upn, school_urn{month},
                   possible, absent
            FROM monthly WHERE $until IS NULL OR month <= $until),
        enrolments AS (
            SELECT academic_year, CAST(upn AS VARCHAR) AS upn, CAST(school_urn AS VARCHAR) AS school_urn{month},
                   CAST(sum(possible) AS BIGINT) AS possible, CAST(sum(absent) AS BIGINT) AS absent
            FROM feed GROUP BY academic_year, upn, school_urn{month})
        {found}
          AND {_in_scope(schools, settings, "e.school_urn")}
          {"" if by_month else "AND e.possible > 0"}""", tables, {"until": until_month})


def ytd_attendance_measures(sessions, attendance: pd.DataFrame | None,
                            schools: pd.DataFrame | None, settings: Settings, topics=CHARACTERISTIC_BREAKDOWNS):
    """Year-to-date absence from the daily feed, by academic year and breakdown."""
    if sessions is None or sessions.monthly.num_rows == 0:
        return empty_result()
    return absence_result(session_enrolments(sessions, attendance, schools, settings), YTD_MEASURE_IDS, topics)
