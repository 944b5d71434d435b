"""Synthetic CCIS: monthly activity of young people of academic age 16 and 17 living in the LA.

NEET is more likely for young people with SEN, disadvantaged or in care, and with lower prior
attainment; "not known" is high each September and October (new destinations not yet confirmed)
and low by December to February, as in real tracking data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .population import CHARACTERISTIC_COLUMNS, Population
from .world import LA_OLD_CODE

NOT_KNOWN_BY_MONTH = {9: 0.11, 10: 0.06, 11: 0.04, 12: 0.028, 1: 0.026, 2: 0.025, 3: 0.024, 4: 0.024,
                      5: 0.025, 6: 0.027, 7: 0.03, 8: 0.04}
NEET_LEVEL = 0.037
ACTIVITY_CODES = {"EET": ("110", "120", "210", "230", "320"), "NEET": ("540", "610", "620", "640"),
                  "NOT_KNOWN": ("810", "820"), "EXCLUDED": ("710", "720")}


def make_ccis(population: Population, first_year: int, last_month: str, rng,
              la_code: str = LA_OLD_CODE, calibration: dict | None = None) -> dict[str, pd.DataFrame]:
    """Monthly snapshots from September ``first_year`` to ``last_month`` (YYYY-MM), by academic year.

    ``calibration``: as in :func:`edstats.synth.eyfsp.make_eyfsp` (levels shared across LAs)."""
    calibration = {} if calibration is None else calibration
    pupils = population.pupils
    person_id = pd.Series([f"YP{la_code}{i:07d}" for i in range(len(pupils))], index=pupils.index)
    risk = (-0.9 * pupils["_latent"] + 0.5 * (pupils["disadvantaged"] == "Y") + 0.6 * pupils["sen_provision"].isin(
        ["K", "E"]) + 0.9 * (pupils["looked_after"] == "Y") + 0.8 * rng.normal(0, 1, len(pupils)))
    propensity = np.exp(risk)
    propensity = propensity / calibration.setdefault(("ccis",), propensity.mean())
    out = {}
    months = pd.period_range(f"{first_year}-09", last_month, freq="M")
    for start_year in sorted({m.year if m.month >= 9 else m.year - 1 for m in months}):
        year_months = [m for m in months if (m.year if m.month >= 9 else m.year - 1) == start_year]
        cohort = pupils[(start_year - pupils["_entry"]).isin([12, 13])]
        n, k = len(cohort), len(year_months)
        age = np.where(start_year - cohort["_entry"].to_numpy() == 12, "16", "17")
        age_factor = np.where(age == "17", 1.2, 0.8)
        p_neet = np.clip(NEET_LEVEL * propensity.loc[cohort.index].to_numpy() * age_factor, 0, 0.6)[:, None]
        p_nk = np.array([NOT_KNOWN_BY_MONTH[m.month] for m in year_months])[None, :] * age_factor[:, None]
        draw = rng.random((n, k))
        group = np.select([draw < 0.004, draw < 0.004 + p_neet, draw < 0.004 + p_neet + p_nk],
                          ["EXCLUDED", "NEET", "NOT_KNOWN"], default="EET").ravel(order="F")
        codes = np.empty(n * k, dtype=object)
        for g, options in ACTIVITY_CODES.items():
            mask = group == g
            codes[mask] = np.array(options)[rng.integers(len(options), size=mask.sum())]
        frame = pd.DataFrame({"person_id": np.tile(person_id.loc[cohort.index].to_numpy(), k),
                              "month": np.repeat([str(m) for m in year_months], n),
                              "academic_age": np.tile(age, k), "residence_la": la_code, "activity_group": group,
                              "activity_code": codes,
                              **{c: pd.Categorical.from_codes(np.tile(cohort[c].cat.codes.to_numpy(), k),
                                                              cohort[c].cat.categories) for c in CHARACTERISTIC_COLUMNS}})
        out[f"{start_year}-{(start_year + 1) % 100:02d}"] = frame
    return out
