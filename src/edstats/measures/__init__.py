"""Measures: one module per area, each returning the common result shape (see ``result.py``).

:func:`compute_all` runs every area over the validated frames; a measure whose datasets (the
dictionary's ``needs``) are absent or empty gives no rows (papers show it as ``x``, not available).
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from .. import engine
from ..periods import academic_year_of
from ..settings import Settings
from .attendance import attendance_measures, ytd_attendance_measures
from .dictionary import measure_dictionary, measure_info
from .exclusions import exclusion_measures, last_start_date
from .eyfs import eyfs_measures
from .ks2 import ks2_measures
from .ks4 import ks4_measures
from .neet import neet_measures
from ..periods import time_period
from .result import CHARACTERISTIC_BREAKDOWNS, LA_BREAKDOWN, RESULT_COLUMNS, RESULT_KEY
from .schools import school_measures


def _with_schools(table, schools, column: str, named: str, suffix: str):
    """A view of ``table`` with each row's school's ``column`` (of ``schools``) as ``named``."""
    return engine.derived(table, suffix, f"""
        SELECT t.*, s.{column} AS {named} FROM {{table}} AS t
        LEFT JOIN (SELECT CAST(school_urn AS VARCHAR) AS urn, {column} FROM {schools.name}) AS s
          ON s.urn = CAST(t.school_urn AS VARCHAR)""")


def add_school_district(tables: dict) -> dict:
    """Give every table with ``school_urn`` the district of that school (for 'School district')."""
    tables = engine.in_one_database(tables)
    schools = tables.get("schools")
    if schools is None:
        return tables
    return {name: _with_schools(t, schools, "district", "school_district", "with_district")
            if name != "schools" and "school_urn" in (columns := t.columns) and "school_district" not in columns else t
            for name, t in tables.items()}


def data_as_at(frames: dict[str, pd.DataFrame], sessions=None) -> str | None:
    """The last date the data describe (exclusions, provision, the daily feed), ISO."""
    dates = [d for d in (last_start_date(frames.get("exclusions"), frames.get("provision")),
                         sessions.last_date if sessions is not None else None) if d]
    return max(dates) if dates else None       # ISO dates sort as the days do


def present_datasets(frames: dict[str, pd.DataFrame], sessions=None) -> set[str]:
    """The datasets that hold at least one row (the daily feed as ``attendance_sessions``)."""
    present = {name for name, frame in frames.items() if frame is not None and not frame.empty}
    if sessions is not None and sessions.monthly.num_rows > 0:
        present.add("attendance_sessions")
    return present


def unavailable_measures(present: set[str]) -> dict[str, list[str]]:
    """Measures that need a dataset (the dictionary's ``needs``) missing from ``present``: measure
    id -> the datasets missing. Such a measure has no rows, so every output shows it as ``x``:
    with no provision records, a sixth-day figure would otherwise read 0% where nothing is known."""
    needs = measure_dictionary()["needs"].str.split(";")
    return {measure: missing for measure, datasets in needs.items()
            if (missing := [d for d in datasets if d not in present])}


def compute_all(frames: dict[str, pd.DataFrame], settings: Settings, estimates=None, sessions=None,
                as_at: str | None = None, topics=CHARACTERISTIC_BREAKDOWNS) -> pd.DataFrame:
    """Every measure the library builds, over the validated frames, in one result frame.

    ``estimates`` maps time periods to DfE P8 estimates; ``sessions`` is the daily feed (a
    :class:`~edstats.contract.sessions.SessionFeed`); ``as_at`` is the date of the sixth-day snapshot (default: the data's last date).
    """
    frames = engine.in_one_database(frames)
    if any(column == "school_district" for column, _ in topics.values()):
        frames = add_school_district(frames)
    as_at = as_at or data_as_at(frames, sessions)
    areas = [
        lambda: ytd_attendance_measures(sessions, frames.get("attendance"), frames.get("schools"), settings, topics),
        lambda: ks4_measures(frames.get("ks4_pupils"), frames.get("ks4_results"), settings, estimates or {}, topics),
        lambda: attendance_measures(frames.get("attendance"), frames.get("schools"), settings, topics),
        lambda: ks2_measures(frames.get("ks2"), settings, topics),
        lambda: exclusion_measures(frames.get("exclusions"), frames.get("provision"), frames.get("schools"),
                                   frames.get("calendar"), settings, as_at, topics, frames.get("school_census")),
        lambda: neet_measures(frames.get("ccis"), settings,
                              {k: v for k, v in topics.items() if k not in ("School", "School district")}),
        lambda: eyfs_measures(frames.get("eyfsp"), settings, topics),
        lambda: school_measures(frames.get("schools"), academic_year_of(as_at) if as_at else None,
                                "la_code" in topics.get("Local authority", ())),
    ]
    results = [area() for area in areas]
    missing = unavailable_measures(present_datasets(frames, sessions))
    nonempty = [r[~r["measure_id"].isin(missing)] for r in results if not r.empty]
    nonempty = [r for r in nonempty if not r.empty]
    out = pd.concat(nonempty, ignore_index=True) if nonempty else pd.DataFrame(columns=RESULT_COLUMNS)
    for column in RESULT_KEY:
        out[column] = out[column].astype(str)
    return out[RESULT_COLUMNS].sort_values(RESULT_KEY,
                                           ignore_index=True)


def add_la_code(tables: dict) -> dict:
    """Give every table its LA (``la_code``): a school's is the first three digits of its
    ``laestab``, a pupil's that of their school, a young person's in CCIS their ``residence_la``."""
    tables = engine.in_one_database(tables)
    schools = engine.derived(tables["schools"], "with_la",
                             "SELECT *, left(CAST(laestab AS VARCHAR), 3) AS la_code FROM {table}")
    out = {}
    for name, t in tables.items():
        if name == "schools":
            out[name] = schools
        elif name == "ccis":     # a blank residence_la is an unknown LA (as for any breakdown)
            out[name] = engine.derived(t, "with_la", "SELECT *, CAST(residence_la AS VARCHAR) AS la_code FROM {table}")
        elif "school_urn" in t:
            out[name] = _with_schools(t, schools, "la_code", "la_code", "with_la")
        else:
            out[name] = t
    return out


def compute_by_la(frames: dict[str, pd.DataFrame], settings: Settings, estimates=None, sessions=None) -> pd.DataFrame:
    """Every measure for every LA in data that hold many (a region's or England's extracts).

    One pass over all pupils: each measure's ``Total`` is all the LAs together and its
    ``Local authority`` breakdown gives each LA (by its old LA code). NEET counts every LA's
    residents; everything else is as in :func:`compute_all` for one LA.
    """
    every_la = dataclasses.replace(settings, la=dataclasses.replace(settings.la, old_la_code=""))
    return compute_all(add_la_code(frames), every_la, estimates=estimates, sessions=sessions, topics=LA_BREAKDOWN)


__all__ = ["compute_all", "compute_by_la", "present_datasets", "unavailable_measures", "measure_dictionary", "measure_info", "time_period", "RESULT_COLUMNS"]
