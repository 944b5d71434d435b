"""Synthetic key stage 4: pupils with their KS2 prior attainment, and one row per GCSE or other result.

A pupil's KS4 ability follows their latent ability (so KS2 prior attainment predicts KS4) plus
their secondary school's effect. Entries are realistic: English language and literature,
maths, combined or triple science, history and/or geography, often a language, two or three
other GCSEs and sometimes an approved technical award.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..periods import academic_year, time_period
from .ks2 import ks2_frame
from .population import CHARACTERISTIC_COLUMNS, Population

#: Academic years with KS4 exams in the data (none in 2019/20 or 2020/21) and their grade level.
GRADE_LEVEL = {2017: 5.45, 2018: 5.46, 2021: 5.75, 2022: 5.52, 2023: 5.52, 2024: 5.53}
KS2_CANCELLED = (2019, 2020)
OTHER_GCSES = ("Art and Design", "Religious Studies", "Design and Technology", "Music", "Drama",
               "Physical Education", "Business", "Media Studies", "Food Preparation and Nutrition", "Sociology")
OTHER_APPROVED = ("BTEC Tech Award in Sport", "Cambridge National in Enterprise", "BTEC Tech Award in Health and Social Care")
APPROVED_GRADES = {"L1 Pass": 1.25, "L1 Merit": 2.0, "L1 Distinction": 3.0, "L2 Pass": 4.0, "L2 Merit": 5.5,
                   "L2 Distinction": 7.0, "L2 Distinction*": 8.5}


def _grade(value: np.ndarray) -> np.ndarray:
    g = np.rint(value).astype(int)
    return np.where(g < 1, "U", np.clip(g, 1, 9).astype(str))


def make_ks4(population: Population, abilities: pd.DataFrame, ks2_shifts: dict, rng,
             levels=GRADE_LEVEL) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """(ks4_pupils by year, ks4_results by year), in the contract's columns."""
    effect = population.schools.set_index("school_urn")["_effect"]
    pupils_out, results_out = {}, {}
    for year, level in levels.items():
        cohort = population.pupils[population.pupils["_entry"] == year - 11]
        n = len(cohort)
        label = academic_year(year)
        ks2_year = year - 5
        if ks2_year in KS2_CANCELLED:
            prior = pd.DataFrame({"ks2_read_ss": pd.array([pd.NA] * n, dtype="Int64"),
                                  "ks2_mat_ss": pd.array([pd.NA] * n, dtype="Int64"),
                                  "ks2_read_code": "", "ks2_mat_code": ""})
        else:
            k = ks2_frame(cohort, abilities.loc[cohort.index], ks2_shifts.get(ks2_year, 0.15), ks2_year, rng)
            prior = k[["read_ss", "mat_ss", "read_code", "mat_code"]].rename(columns=lambda c: f"ks2_{c}")
            # a pupil who left before KS2 tests or moved in from abroad has no KS2 record at all
            gone = rng.random(n) < 0.03
            prior.loc[gone, ["ks2_read_ss", "ks2_mat_ss"]] = pd.NA
            prior.loc[gone, ["ks2_read_code", "ks2_mat_code"]] = ""
            prior.loc[prior["ks2_read_code"].isin(["L", "M"]), "ks2_read_code"] = ""
            prior.loc[prior["ks2_mat_code"].isin(["L", "M"]), "ks2_mat_code"] = ""
        pupils_out[label] = pd.concat([
            pd.DataFrame({"upn": cohort["upn"].to_numpy(), "academic_year": label,
                          "school_urn": cohort["_secondary"].to_numpy()}),
            prior.reset_index(drop=True)[["ks2_read_ss", "ks2_mat_ss", "ks2_read_code", "ks2_mat_code"]],
            cohort[CHARACTERISTIC_COLUMNS].reset_index(drop=True)], axis=1)
        ability = (0.8 * cohort["_latent"].to_numpy() + 0.45 * rng.normal(0, 1, n)
                   + cohort["_secondary"].map(effect).fillna(0).to_numpy())
        results_out[label] = _results(cohort["upn"].to_numpy(), ability, level, label, rng)
    return pupils_out, results_out


def _results(upn: np.ndarray, ability: np.ndarray, level: float, label: str, rng) -> pd.DataFrame:
    n = len(upn)
    parts = []

    def add(mask, subject, category, grade, qualification="GCSE", points=None):
        if not mask.any():
            return
        parts.append(pd.DataFrame({
            "upn": upn[mask], "academic_year": label, "qualification": qualification, "subject": subject,
            "a8_category": category, "grade": grade[mask],
            "points": np.full(mask.sum(), np.nan) if points is None else points[mask]}))

    def grades(spread=0.45):
        g = _grade(level + 1.9 * (ability + spread * rng.normal(0, 1, n)))
        g[rng.random(n) < 0.005] = "X"
        return g

    everyone = np.ones(n, dtype=bool)
    add(rng.random(n) < 0.97, "English Language", "ENG_LANG", grades())
    add(rng.random(n) < 0.90, "English Literature", "ENG_LIT", grades())
    add(rng.random(n) < 0.98, "Mathematics", "MATHS", grades())
    triple = (ability > 0.7) & (rng.random(n) < 0.6)
    combined = ~triple & (rng.random(n) < 0.88)
    for subject, category in (("Biology", "SCI_BIO"), ("Chemistry", "SCI_CHEM"), ("Physics", "SCI_PHYS")):
        add(triple, subject, category, grades())
    top = np.rint(level + 1.9 * (ability + 0.4 * rng.normal(0, 1, n))).astype(int)
    top = np.clip(top, 1, 9)
    second = np.clip(top - (rng.random(n) < 0.5), 1, 9)
    add(combined, "Combined Science", "SCI_COMBINED", np.char.add(np.char.add(top.astype(str), "-"),
                                                                   second.astype(str)))
    add(rng.random(n) < 0.10, "Computer Science", "COMP_SCI", grades())
    history = rng.random(n) < 0.48
    geography = (rng.random(n) < 0.45) | (~history & (rng.random(n) < 0.6))
    add(history, "History", "HISTORY", grades())
    add(geography, "Geography", "GEOGRAPHY", grades())
    add(rng.random(n) < 1 / (1 + np.exp(-(ability * 1.3 - 0.2))), "French", "LANGUAGE", grades())
    n_other = rng.integers(1, 4, size=n)
    order = np.argsort(rng.random((n, len(OTHER_GCSES))), axis=1)
    for k in range(3):
        mask = everyone & (n_other > k)
        subject = np.array(OTHER_GCSES)[order[:, k]]
        for name in OTHER_GCSES:
            add(mask & (subject == name), name, "OTHER_GCSE", grades(0.6))
    approved = rng.random(n) < 0.30
    names = list(APPROVED_GRADES)
    idx = np.clip(np.rint(3.5 + 1.6 * ability + rng.normal(0, 0.8, n)), 0, len(names) - 1).astype(int)
    grade = np.array(names)[idx]
    points = np.array([APPROVED_GRADES[g] for g in names])[idx]
    which = np.array(OTHER_APPROVED)[rng.integers(len(OTHER_APPROVED), size=n)]
    for name in OTHER_APPROVED:
        add(approved & (which == name), name, "OTHER_APPROVED", grade, "OTHER_APPROVED", points)
    return pd.concat(parts, ignore_index=True).sort_values(["upn", "a8_category", "subject"], kind="stable",
                                                           ignore_index=True)


def prior_attainment_groups() -> pd.DataFrame:
    """The synthetic world's 34 prior-attainment groups on the KS2 average (half-point steps),
    shaped like DfE's: one wide group at the bottom, one-point groups from 99.5 upwards."""
    edges = [59, 82.5, 84.5, 86.5, 88, 89.5, 91, 92.5, 94, 95.5, 96.5, 97.5, 98.5] + [99.5 + i for i in range(21)]
    lows = edges
    highs = [e - 0.5 for e in edges[1:]] + [120.0]
    return pd.DataFrame({"pag": range(1, len(lows) + 1), "low": lows, "high": highs})


def make_national_estimates(population: Population, abilities: pd.DataFrame, ks2_shifts: dict, rng,
                            levels=GRADE_LEVEL, national_lift: float = 0.06) -> dict:
    """Progress 8 estimates for each year with KS2 prior attainment, derived the way DfE derives
    them: national average A8 (and elements) by prior-attainment group, from a synthetic national
    cohort (the city's pupils with England's slightly higher attainment)."""
    from ..measures.ks4 import estimates_from_pupils, pupil_scores
    from ..settings import Settings

    # England's pupils make a little more progress than the city's: the lift raises KS4 ability
    # only (KS2 abilities, and so prior-attainment groups, are unchanged).
    sample = population.pupils[rng.random(len(population.pupils)) < 0.4]    # a 40% sample is plenty
    nation = Population(sample.assign(_latent=sample["_latent"] + national_lift / 0.8), population.schools)
    pupils, results = make_ks4(nation, abilities.loc[sample.index], ks2_shifts, rng, levels)
    out = {}
    for label in pupils:
        scores = pupil_scores(pupils[label], results[label], Settings(), {})
        if scores["prior"].notna().sum() == 0:
            continue        # no KS2 tests for this cohort: DfE publishes no Progress 8
        out[time_period(label)] = estimates_from_pupils(scores.dropna(subset=["prior"]), prior_attainment_groups())
    return out
