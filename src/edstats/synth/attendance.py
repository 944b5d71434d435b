"""Synthetic attendance: the termly census (pupil x school x term) and, optionally, the daily feed.

Each pupil has a lasting tendency to be absent (heavy-tailed, higher for disadvantaged pupils,
pupils with SEN and older pupils) plus a year-to-year wobble; a year's overall level follows
England's pattern (about 4.7% of sessions missed before 2020, about 7% since 2021/22), which gives
persistent absence near 11% and 20% respectively. The daily feed places exactly the census's
absences on the term's school-day sessions, so both describe the same sessions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..periods import academic_year
from .population import CHARACTERISTIC_COLUMNS, Population, enrolled

#: Overall absence level (mean session absence rate) by academic year start; terms collected.
ABSENCE_LEVEL = {2017: 0.047, 2018: 0.048, 2019: 0.050, 2020: 0.050, 2021: 0.074, 2022: 0.075, 2023: 0.073,
                 2024: 0.069, 2025: 0.064}
TERMS = {2019: ("AUT", "SPR"), 2025: ("AUT",)}   # summer 2020 not collected; 2025/26 to date
TERM_FACTOR = {"AUT": 0.9, "SPR": 1.1, "SUM": 1.0}


def school_days(calendar: pd.DataFrame, start_year: int, term: str) -> pd.Series:
    """ISO dates of the school days of one term."""
    days = calendar[(calendar["is_school_day"] == "Y") & (calendar["term"] == term)]
    dates = pd.to_datetime(days["date"])
    in_year = (dates >= pd.Timestamp(f"{start_year}-09-01")) & (dates <= pd.Timestamp(f"{start_year + 1}-08-31"))
    return days.loc[in_year, "date"]


def _constant(value: str, n: int) -> pd.Categorical:
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [value])


def make_attendance(population: Population, calendar: pd.DataFrame, rng, first_year: int | None = None,
                    calibration: dict | None = None) -> dict[str, pd.DataFrame]:
    """Termly census rows by academic year (from ``first_year`` when given), in the contract's columns.

    ``calibration``: as in :func:`edstats.synth.eyfsp.make_eyfsp` (levels shared across LAs)."""
    calibration = {} if calibration is None else calibration
    pupils = population.pupils
    tendency = pd.Series(0.75 * rng.normal(0, 1, len(pupils)) - 0.35 * pupils["_latent"].to_numpy()
                         + 0.3 * (pupils["disadvantaged"] == "Y") + 0.25 * pupils["sen_provision"].isin(["K", "E"]),
                         index=pupils.index)
    out = {}
    for year, level in ABSENCE_LEVEL.items():
        if first_year is not None and year < first_year:
            continue
        on_roll = enrolled(population, year)
        n = len(on_roll)
        age_factor = np.where(on_roll["ncyear"] >= 9, 1.35, np.where(on_roll["ncyear"] <= 1, 1.1, 1.0))
        log_rate = tendency.loc[on_roll.index].to_numpy() + 0.35 * rng.normal(0, 1, n)
        raw = np.exp(log_rate) * age_factor
        rate = level * raw / calibration.setdefault(("absence", year), raw.mean())
        # a small group misses most sessions (severe absence: ~1% before 2020, ~2.4% since)
        severe = rng.random(n) < (0.009 if year < 2020 else 0.021) * age_factor
        rate[severe] = rng.uniform(0.42, 0.9, severe.sum())
        unauth_share = np.clip(0.22 + 0.12 * (on_roll["disadvantaged"] == "Y").to_numpy() + 0.1 * (on_roll["ncyear"] >= 9), 0, 1)
        frames = []
        for term in TERMS.get(year, ("AUT", "SPR", "SUM")):
            possible = np.full(n, 2 * len(school_days(calendar, year, term)))
            # about 2% join during the term and have fewer possible sessions
            joiners = rng.random(n) < 0.02
            possible[joiners] = (possible[joiners] * rng.uniform(0.2, 0.9, joiners.sum())).astype(int)
            absent = rng.binomial(possible, np.clip(rate * TERM_FACTOR[term], 0, 0.97))
            unauthorised = rng.binomial(absent, unauth_share)
            frames.append(pd.DataFrame({
                "upn": on_roll["upn"].array, "academic_year": _constant(academic_year(year), n),
                "term": _constant(term, n), "school_urn": on_roll["school_urn"].array,
                "ncyear": on_roll["ncyear"].to_numpy(), "age_start_of_year": on_roll["ncyear"].to_numpy() + 4,
                "possible_sessions": possible, "authorised_absence": absent - unauthorised,
                "unauthorised_absence": unauthorised, **{c: on_roll[c].array for c in CHARACTERISTIC_COLUMNS}}))
        frame = pd.concat(frames, ignore_index=True)
        for column in frame.select_dtypes("category"):
            frame[column] = frame[column].cat.remove_unused_categories()
        out[academic_year(year)] = frame
    return out


_AUTHORISED = np.array(["I", "M", "C", "R", "E"])       # illness most often
_AUTHORISED_P = np.array([0.6, 0.15, 0.15, 0.05, 0.05])
_UNAUTHORISED = np.array(["O", "G", "N", "U"])
_UNAUTHORISED_P = np.array([0.5, 0.2, 0.2, 0.1])


def write_sessions(termly: pd.DataFrame, calendar: pd.DataFrame, start_year: int, folder, rng) -> list:
    """Write the daily feed for one academic year's census rows, one Parquet file per term.

    Every census row becomes one row per school-day session of its term; exactly
    ``authorised_absence`` sessions get an authorised mark and ``unauthorised_absence`` an
    unauthorised one, the rest present marks (joiners' missing sessions are simply absent from
    the feed, as they were not on roll). Dictionary-encoded so 70M rows fit in memory.
    """
    written = []
    for term, rows in termly.groupby("term", sort=False):
        days = school_days(calendar, start_year, term).to_numpy()
        sessions = np.repeat(days, 2)
        half = np.tile(np.array([0, 1], dtype=np.int8), len(days))
        n, p = len(rows), len(sessions)
        possible = rows["possible_sessions"].to_numpy()
        auth = rows["authorised_absence"].to_numpy()
        unauth = rows["unauthorised_absence"].to_numpy()
        # joiners are on roll for the last `possible` sessions of the term
        position = np.arange(p)[None, :]
        on_roll = position >= (p - possible)[:, None]
        rank = np.argsort(np.argsort(rng.random((n, p)) + (~on_roll) * 2.0, axis=1), axis=1)
        is_auth = rank < auth[:, None]
        is_unauth = (rank >= auth[:, None]) & (rank < (auth + unauth)[:, None])
        marks = np.where(half[None, :] == 0, 0, 1).astype(np.int8)              # 0 '/', 1 '\'
        marks = np.where(is_auth, 2 + rng.choice(len(_AUTHORISED), (n, p), p=_AUTHORISED_P), marks)
        marks = np.where(is_unauth, 2 + len(_AUTHORISED) + rng.choice(len(_UNAUTHORISED), (n, p), p=_UNAUTHORISED_P),
                         marks)
        dictionary = np.concatenate([["/", "\\"], _AUTHORISED, _UNAUTHORISED])
        keep = on_roll.ravel()
        upn_codes, upn_values = pd.factorize(rows["upn"].astype(str))
        urn_codes, urn_values = pd.factorize(rows["school_urn"].astype(str))
        upn_values, urn_values = np.asarray(upn_values, dtype=str), np.asarray(urn_values, dtype=str)
        date_codes = np.tile(np.repeat(np.arange(len(days), dtype=np.int32), 2), n)[keep]
        table = pa.table({
            "upn": pa.DictionaryArray.from_arrays(np.repeat(upn_codes.astype(np.int32), p)[keep], pa.array(upn_values)),
            "school_urn": pa.DictionaryArray.from_arrays(np.repeat(urn_codes.astype(np.int32), p)[keep],
                                                         pa.array(urn_values)),
            "date": pa.DictionaryArray.from_arrays(date_codes, pa.array(days)),
            "session": pa.DictionaryArray.from_arrays(np.tile(half, n)[keep].astype(np.int32), pa.array(["AM", "PM"])),
            "mark": pa.DictionaryArray.from_arrays(marks.ravel()[keep].astype(np.int32), pa.array(dictionary)),
        })
        path = folder / f"sessions_{start_year}-{(start_year + 1) % 100:02d}_{term}.parquet"
        # no Arrow schema blob: it carries dictionary ids that differ between runs (byte-identical files)
        pq.write_table(table, path, compression="zstd", store_schema=False)
        written.append(path)
    return written
