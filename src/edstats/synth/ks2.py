"""Synthetic key stage 2 results: scaled scores, codes and writing teacher assessment.

Each pupil has one ability per subject, correlated with their latent ability; a year's overall
level is calibrated so the LA's reading, writing and maths (RWM) expected-standard rate follows
a realistic trend. Pupils far below the tests' standard get code B (and a pre-key-stage writing
judgement); a few are absent (A), left (L), just arrived (J) and so on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..periods import academic_year
from .eyfsp import calibrate
from .population import CHARACTERISTIC_COLUMNS, Population

#: Academic years with KS2 tests (none in 2019/20 or 2020/21) and the LA's RWM target.
# (before codes: absent, left, working below the test and so on take about 3 points off)
RWM_TARGETS = {2017: 63.5, 2018: 64.5, 2021: 58.5, 2022: 59.7, 2023: 60.9, 2024: 62.1}
SUBJECTS = ("read", "mat", "gps", "writ")


def subject_abilities(pupils: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Per-pupil ability in each KS2 subject (correlation ~0.85 with the latent)."""
    latent = pupils["_latent"].to_numpy()
    return pd.DataFrame({s: 0.85 * latent + 0.5 * rng.normal(0, 1, len(pupils)) for s in SUBJECTS},
                        index=pupils.index)


def scaled_scores(ability: np.ndarray, shift: float) -> np.ndarray:
    """Scaled score before codes: 80-120 scale, ~7 points per standard deviation."""
    return np.rint(100.0 + 7.2 * (ability + shift)).astype(int)


def _rwm_share(ab: pd.DataFrame, shift: float) -> float:
    ss = {s: scaled_scores(ab[s].to_numpy(), shift) for s in SUBJECTS}
    return ((ss["read"] >= 100) & (ss["mat"] >= 100) & (ss["writ"] >= 100)).mean() * 100


def make_ks2(population: Population, abilities: pd.DataFrame, rng: np.random.Generator,
             targets=RWM_TARGETS, calibration: dict | None = None) -> tuple[dict[str, pd.DataFrame], dict[int, float]]:
    """(one frame per academic year in the contract's columns, the calibrated level of each year).

    ``calibration``: as in :func:`edstats.synth.eyfsp.make_eyfsp` (levels shared across LAs)."""
    out, shifts = {}, {}
    calibration = {} if calibration is None else calibration
    for year, target in targets.items():
        cohort = population.pupils[population.pupils["_entry"] == year - 6]
        ab = abilities.loc[cohort.index]
        if ("ks2", year) not in calibration:
            calibration[("ks2", year)] = calibrate(lambda s: _rwm_share(ab, s), target)
        shift = calibration[("ks2", year)]
        shifts[year] = shift
        out[academic_year(year)] = ks2_frame(cohort, ab, shift, year, rng)
    return out, shifts


def ks2_frame(cohort: pd.DataFrame, ab: pd.DataFrame, shift: float, year: int, rng) -> pd.DataFrame:
    """KS2 rows for one cohort at one overall level ``shift``."""
    n = len(cohort)
    sen = cohort["sen_provision"].to_numpy()
    frame = pd.DataFrame({"upn": cohort["upn"].to_numpy(), "academic_year": academic_year(year),
                          "school_urn": cohort["_primary"].to_numpy()})
    left = rng.random(n) < 0.003
    missing = rng.random(n) < 0.001
    just_arrived = rng.random(n) < 0.002
    for subject in ("read", "mat", "gps"):
        ss = scaled_scores(ab[subject].to_numpy(), shift)
        code = np.full(n, "", dtype=object)
        below = (ss < 76) & np.isin(sen, ["K", "E"])
        code[below] = "B"
        code[(ss < 80) & ~below] = "N"
        code[rng.random(n) < 0.012] = "A"
        code[rng.random(n) < 0.002] = "U"
        code[just_arrived] = "J"
        code[missing] = "M"
        code[left] = "L"
        frame[f"{subject}_ss"] = pd.array(np.where(code == "", np.clip(ss, 80, 120), 0), dtype="Int64")
        frame.loc[code != "", f"{subject}_ss"] = pd.NA
        frame[f"{subject}_code"] = code
    w = ab["writ"].to_numpy() + shift
    writ = np.select([w >= 1.75, w >= 0.0, w >= -1.6], ["GDS", "EXS", "WTS"], default="PK6")
    pk_level = np.clip(np.rint(6 + (w + 1.6) * 2), 1, 6).astype(int)
    low = writ == "PK6"
    writ[low] = np.char.add("PK", pk_level[low].astype(str))
    writ[(w < -3.4) & (sen == "E")] = "EM"
    writ[rng.random(n) < 0.004] = "A"
    writ[missing] = "M"
    writ[left] = "L"
    frame["writ_ta"] = writ
    frame = frame[["upn", "academic_year", "school_urn", "read_ss", "read_code", "mat_ss", "mat_code",
                   "gps_ss", "gps_code", "writ_ta"]]
    return pd.concat([frame, cohort[CHARACTERISTIC_COLUMNS].reset_index(drop=True)], axis=1)
