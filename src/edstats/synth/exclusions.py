"""Synthetic suspensions and permanent exclusions, and the provision that follows a permanent one.

Exclusions fall mostly on secondary-age pupils, boys, pupils with SEN support and disadvantaged
pupils. After a permanent exclusion the LA arranges full-time provision: most start by the sixth
school day, a tail well beyond, a few still waiting when the data end; some pupils have a
part-time or tuition placement while they wait.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..periods import academic_year
from .population import CHARACTERISTIC_COLUMNS, Population, enrolled

#: Suspensions and permanent exclusions per 100 pupils by academic year start (2025: autumn only).
SUSPENSION_RATE = {2017: 4.9, 2018: 5.2, 2019: 3.6, 2020: 3.4, 2021: 6.3, 2022: 7.4, 2023: 7.9, 2024: 8.6, 2025: 3.2}
PERMANENT_RATE = {2017: 0.12, 2018: 0.12, 2019: 0.07, 2020: 0.05, 2021: 0.09, 2022: 0.14, 2023: 0.15, 2024: 0.16,
                  2025: 0.06}
REASONS = ("PD", "PD", "PD", "VA", "PA", "PP", "VP", "DA", "DM", "WE", "BU", "RA", "SM", "TH", "OT")


def make_exclusions(population: Population, calendar: pd.DataFrame, data_end: str, rng, id_prefix: str = "",
                    suspension_factor: float = 1.0, calibration: dict | None = None):
    """(exclusions by academic year, provision by academic year), in the contract's columns.

    ``id_prefix`` keeps exclusion ids unique when several LAs' records are written together;
    ``calibration``: as in :func:`edstats.synth.eyfsp.make_eyfsp` (levels shared across LAs)."""
    calibration = {} if calibration is None else calibration
    school_days = pd.to_datetime(calendar.loc[calendar["is_school_day"] == "Y", "date"]).sort_values().to_numpy()
    day_index = {d: i for i, d in enumerate(school_days)}
    end = np.datetime64(data_end)
    exclusions, provision = {}, {}
    serial = 0
    for year in SUSPENSION_RATE:
        on_roll = enrolled(population, year, ncyears=range(1, 12))
        n = len(on_roll)
        risk = np.exp(-0.8 * on_roll["_latent"].to_numpy() + 0.5 * (on_roll["sex"] == "M").to_numpy()
                      + 0.5 * (on_roll["sen_provision"] == "K").to_numpy() + 0.4 * (on_roll["disadvantaged"] == "Y")
                      .to_numpy() + 1.2 * (on_roll["ncyear"] >= 7).to_numpy() + 0.6 * rng.normal(0, 1, n))
        days = school_days[(school_days >= np.datetime64(f"{year}-09-01"))
                           & (school_days <= min(np.datetime64(f"{year + 1}-08-31"), end))]
        rows = []
        for category, rate in (("SUSP", SUSPENSION_RATE[year] * suspension_factor), ("PERM", PERMANENT_RATE[year])):
            relative_risk = risk.mean() / calibration.setdefault(("exclusions", year), risk.mean())
            count = rng.poisson(rate / 100 * n * relative_risk)
            who = rng.choice(n, size=count, p=risk / risk.sum(), replace=category == "SUSP")
            start = days[rng.integers(len(days), size=count)]
            sessions = np.where(rng.random(count) < 0.1, 1, 2 * rng.integers(1, 6, size=count)).astype(object)
            rows.append(pd.DataFrame({
                "upn": on_roll["upn"].to_numpy()[who], "school_urn": on_roll["school_urn"].to_numpy()[who],
                "category": category, "start_date": pd.to_datetime(start).strftime("%Y-%m-%d"),
                "sessions": sessions if category == "SUSP" else pd.NA,
                "reason": np.array(REASONS)[rng.integers(len(REASONS), size=count)],
                **{c: on_roll[c].to_numpy()[who] for c in CHARACTERISTIC_COLUMNS}}))
        frame = pd.concat(rows, ignore_index=True).sort_values(["start_date", "upn"], ignore_index=True)
        frame.insert(0, "exclusion_id", [f"EX{id_prefix}{serial + i + 1:07d}" for i in range(len(frame))])
        serial += len(frame)
        frame["sessions"] = frame["sessions"].astype("Int64")
        label = academic_year(year)
        exclusions[label] = frame
        provision[label] = _provision(frame[frame["category"] == "PERM"], school_days, day_index, end, rng)
    return exclusions, provision


def _provision(perm: pd.DataFrame, school_days, day_index, end, rng) -> pd.DataFrame:
    rows = []
    for exclusion in perm.itertuples():
        first = day_index[np.datetime64(exclusion.start_date)]
        if rng.random() < 0.03:      # moved away or left the area: no provision recorded
            continue
        mix = rng.random()
        day = int(rng.integers(2, 7)) if mix < 0.66 else int(rng.integers(7, 16)) if mix < 0.9 else int(rng.integers(16, 46))
        start_at = first + day - 1   # day 1 is the first school day of the exclusion
        if day > 6 and rng.random() < 0.4:
            interim = min(first + int(rng.integers(1, 5)), len(school_days) - 1)
            if school_days[interim] <= end:
                part_time = rng.random() < 0.6
                rows.append({"exclusion_id": exclusion.exclusion_id, "upn": exclusion.upn,
                             "start_date": pd.Timestamp(school_days[interim]).strftime("%Y-%m-%d"),
                             "provision_type": "PART_TIME" if part_time else "TUITION",
                             "hours_per_week": float(rng.integers(10, 16) if part_time else rng.integers(5, 11))})
        if start_at < len(school_days) and school_days[start_at] <= end:
            rows.append({"exclusion_id": exclusion.exclusion_id, "upn": exclusion.upn,
                         "start_date": pd.Timestamp(school_days[start_at]).strftime("%Y-%m-%d"),
                         "provision_type": "FULL_TIME_AP" if rng.random() < 0.6 else "FULL_TIME_SCHOOL",
                         "hours_per_week": 25.0})
    return pd.DataFrame(rows, columns=["exclusion_id", "upn", "start_date", "provision_type", "hours_per_week"])
