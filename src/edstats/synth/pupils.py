"""Birth cohorts of synthetic pupils: identifiers, dates of birth, characteristics and ability.

A cohort is everyone born between 1 September of one year and 31 August of the next, so a
pupil keeps the same UPN, characteristics and latent ability at every key stage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..contract.identifiers import UPN_ALPHABET

ETHNICITY = {"WHIT": 0.44, "ASIA": 0.31, "BLAC": 0.10, "MIXD": 0.08, "AOEG": 0.04, "CHIN": 0.01, "UNCL": 0.02}
# Effects on the latent ability, in pupil standard deviations (signs and rough sizes as in
# DfE's published gaps: boys, disadvantaged pupils and pupils with SEN lower; EAL lower in the
# early years, closing by key stage 4).
EFFECT_MALE = -0.32
EFFECT_DISADVANTAGED = -0.48
EFFECT_SEN = {"N": 0.0, "K": -1.25, "E": -2.6}
EFFECT_EAL = -0.22
EFFECT_ETHNICITY = {"WHIT": 0.0, "ASIA": 0.05, "BLAC": -0.02, "MIXD": 0.0, "AOEG": -0.05, "CHIN": 0.35, "UNCL": -0.1}


def _check_letters(digits: np.ndarray) -> np.ndarray:
    """Vectorised DfE UPN check letter for an (n, 12) array of digits."""
    total = (digits * np.arange(2, 14)).sum(axis=1)
    return np.array(list(UPN_ALPHABET))[total % 23]


def make_cohort(entry_year: int, schools: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Children who start Reception in September ``entry_year`` (born Sep ``entry_year-5`` to Aug ``entry_year-4``).

    ``schools`` are the Reception-admitting schools (with ``_effect`` and ``_deprivation``);
    each child is placed in one, weighted by headcount. Hidden columns start with ``_``.
    """
    weights = schools["headcount"].to_numpy(float)
    idx = rng.choice(len(schools), size=n, p=weights / weights.sum())
    school = schools.iloc[idx].reset_index(drop=True)
    deprivation = school["_deprivation"].to_numpy()

    born_from = pd.Timestamp(f"{entry_year - 5}-09-01")
    dob = born_from + pd.to_timedelta(rng.integers(0, 365, size=n), unit="D")
    male = rng.random(n) < 0.512
    disadvantaged = rng.random(n) < np.clip(0.36 + 0.14 * deprivation, 0.05, 0.9)
    fsm = disadvantaged & (rng.random(n) < 0.82)
    sen_draw = rng.random(n)
    sen_k = np.where(male, 0.15, 0.08)
    sen_e = np.where(male, 0.035, 0.015)
    sen = np.where(sen_draw < sen_e, "E", np.where(sen_draw < sen_e + sen_k, "K", "N"))
    ethnicity = rng.choice(list(ETHNICITY), size=n, p=np.array(list(ETHNICITY.values())) / sum(ETHNICITY.values()))
    eal = rng.random(n) < np.where(np.isin(ethnicity, ["ASIA", "AOEG", "CHIN"]), 0.75,
                                   np.where(ethnicity == "BLAC", 0.45, 0.06))
    looked_after = rng.random(n) < 0.006
    # Most children live in the district of their school; some cross a boundary.
    home_district = school["district"].to_numpy().copy()
    movers = rng.random(n) < 0.15
    all_districts = schools["district"].unique()
    home_district[movers] = rng.choice(all_districts, size=movers.sum())
    wards_by_district = schools.groupby("district")["ward"].unique()
    home_ward = np.empty(n, dtype=object)
    for district, idx in pd.Series(home_district).groupby(home_district).indices.items():
        options = wards_by_district[district]
        home_ward[idx] = options[rng.integers(len(options), size=len(idx))]

    # UPN: LA number and the school's establishment number (its laestab), year of entry, serial within school.
    laestab = school["laestab"].astype(np.int64).to_numpy()
    serial = pd.Series(laestab).groupby(laestab).cumcount().to_numpy() + 1
    number = laestab * 10**5 + (entry_year % 100) * 10**3 + serial
    digits = (number[:, None] // 10 ** np.arange(11, -1, -1)) % 10
    body = pd.Series(number).astype(str).str.zfill(12)
    upn = (pd.Series(_check_letters(digits)) + body).tolist()

    latent = (
        rng.normal(0, 1, n)
        + EFFECT_MALE * male
        + EFFECT_DISADVANTAGED * disadvantaged
        + np.vectorize(EFFECT_SEN.get)(sen)
        + EFFECT_EAL * eal
        + np.vectorize(EFFECT_ETHNICITY.get)(ethnicity)
        + school["_effect"].to_numpy()
    )
    yn = lambda a: np.where(a, "Y", "N")  # noqa: E731
    return pd.DataFrame({
        "upn": upn,
        "school_urn": school["school_urn"].to_numpy(),
        "date_of_birth": dob.strftime("%Y-%m-%d"),
        "sex": np.where(male, "M", "F"),
        "disadvantaged": yn(disadvantaged),
        "fsm": yn(fsm),
        "sen_provision": sen,
        "eal": yn(eal),
        "ethnicity_major": ethnicity,
        "looked_after": yn(looked_after),
        "home_district": home_district,
        "home_ward": home_ward,
        "_latent": latent,
    })
