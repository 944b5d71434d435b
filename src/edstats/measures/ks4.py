"""Key stage 4: Attainment 8, Progress 8 and its elements, grade 5+/4+ in English and maths,
EBacc average point score (methodology section 3).

Attainment 8 fills eight slots from a pupil's results (one result per subject):

* English (weight 2): the better of English language and literature; double weighted only when
  both were taken (setting ``ks4_english_double_weight_requires_both``), and then the other one
  may count in the open element;
* maths (weight 2);
* three EBacc slots: the best three of the sciences (a combined science double award fills two
  slots), computer science, history, geography and languages;
* three open slots: the best three of what is left — unused EBacc results, the spare English,
  other GCSEs and approved non-GCSE qualifications (their ``points``).

GCSE grades 9-1 score 9-1 points; U and X score 0. Progress 8 compares A8 (and each element)
with the national average of pupils in the same KS2 prior-attainment group, from DfE's estimates
for that year: (A8 - estimate) / 10, English and maths / 2, EBacc and open / 3. A pupil's P8 below
their group's published floor counts at the floor in averages (the outlier adjustment; needs the
floors file). The LA's average has a 95% interval of 1.96 x national SD / sqrt(pupils).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import engine
from ..compare.p8_estimates import ELEMENTS, P8Estimates
from ..engine import sql
from ..periods import year_label
from ..settings import Settings
from .result import (CHARACTERISTIC_BREAKDOWNS, Mean, MeanWithNationalSD, Proportion, empty_result, la_topics,
                     measures_over)

MEASURE_IDS = ("ks4_att8_avg", "ks4_p8_avg", "ks4_p8_eng_avg", "ks4_p8_mat_avg", "ks4_p8_ebacc_avg",
               "ks4_p8_open_avg", "ks4_em95_pct", "ks4_em94_pct", "ks4_ebacc_aps", "cla_ks4_att8_avg",
               "cla_ks4_p8_avg")
EBACC_CATEGORIES = ("SCI_COMBINED", "SCI_BIO", "SCI_CHEM", "SCI_PHYS", "COMP_SCI", "HISTORY", "GEOGRAPHY",
                    "LANGUAGE")
SINGLE_SCIENCES = ("SCI_BIO", "SCI_CHEM", "SCI_PHYS", "COMP_SCI")
KEY = ["upn", "academic_year"]
P8_DIVISOR = {"a8": 10, "eng": 2, "mat": 2, "ebacc": 3, "open": 3}
P8_MEASURE = {"a8": "ks4_p8_avg", "eng": "ks4_p8_eng_avg", "mat": "ks4_p8_mat_avg", "ebacc": "ks4_p8_ebacc_avg",
              "open": "ks4_p8_open_avg"}
A8_COLUMNS = ["eng", "best_english", "mat", "best_maths", "ebacc", "open", "a8", "ebacc_aps"]
#: The scaled score DfE gives a pupil who sat a KS2 test but was not awarded a scaled score (code
#: ``N``, too few marks) for progress measures: one below the lowest awarded score (in
#: ``sql/ks4_pupils.sql``).
NOMINAL_SCALED_SCORE = 79


def _floats(frame: pd.DataFrame, columns=None) -> pd.DataFrame:
    """``columns`` (default: every nullable float column) as plain floats, NaN where missing."""
    if columns is None:
        columns = [c for c in frame if isinstance(frame[c].dtype, pd.Float64Dtype)]
    return frame.astype({c: float for c in columns if c in frame})


def _attainment8(results, settings: Settings):
    """:func:`attainment8`'s rows, kept in the engine (``sql/attainment8.sql``)."""
    m = settings.methodology
    return engine.table("attainment8", sql("attainment8"), {"ks4_results": results}, {
        "mean_combined": m.ks4_combined_science_points == "mean", "double_needs_both": m.ks4_english_double_weight_requires_both,
        "aps_divisor": m.ks4_ebacc_aps_divisor, "ebacc_categories": list(EBACC_CATEGORIES),
        "single_sciences": list(SINGLE_SCIENCES)})


def attainment8(results, settings: Settings) -> pd.DataFrame:
    """Per pupil (upn, academic_year) with results, in order of their first result: A8 elements,
    A8, best English and maths grades, EBacc APS."""
    kept = _attainment8(results, settings)
    out = engine.as_pandas(kept)
    engine.forget(kept)
    return _floats(out.sort_values("first_row").set_index(KEY)[A8_COLUMNS], A8_COLUMNS)


def _scores(pupils, a8, settings: Settings):
    """``pupils`` with their A8 elements (0 without results) and prior attainment, kept in the
    engine (``sql/ks4_pupils.sql``)."""
    present = set(pupils.columns)
    codes = {f"{s}_code": f"p.ks2_{s}_code" if f"ks2_{s}_code" in present else "NULL" for s in ("read", "mat")}
    return engine.table("ks4_scores", sql("ks4_pupils").format(**codes), {"ks4_pupils": pupils, "attainment8": a8},
                        {"prior_from_one_subject": settings.methodology.ks4_prior_from_one_subject})


def _in_read_order(kept, columns=None) -> pd.DataFrame:
    """A kept table as a pandas frame in its rows' read order, ``columns`` (default all but
    ``_row``), its nullable floats as plain floats; the engine then drops it."""
    out = engine.as_pandas(kept).sort_values(engine.ROW_COL, ignore_index=True)
    engine.forget(kept)
    return _floats(out[columns or [c for c in out.columns if c != engine.ROW_COL]])


def _no_results() -> pd.DataFrame:
    return pd.DataFrame({"upn": pd.Series(dtype="string"), "academic_year": pd.Series(dtype="string"),
                         **{c: pd.Series(dtype=float) for c in A8_COLUMNS}})


def prior_attainment(pupils: pd.DataFrame, settings: Settings) -> pd.Series:
    """KS2 prior attainment: the mean of reading and maths scaled scores, a test sat without a
    scaled score counting at :data:`NOMINAL_SCALED_SCORE` (NaN when unusable)."""
    if "upn" not in pupils:
        pupils = pupils.assign(upn=pd.Series([f"pupil {i}" for i in range(len(pupils))], dtype="string", index=pupils.index))
    if "academic_year" not in pupils:
        pupils = pupils.assign(academic_year="")
    return _in_read_order(_scores(pupils, _no_results(), settings))["prior"].set_axis(pupils.index)


def _pupil_scores(pupils, results, settings: Settings, estimates: dict[str, P8Estimates]):
    """:func:`pupil_scores` kept in the engine: each step's pupil-level rows stay there for the next."""
    a8 = _attainment8(results, settings) if not results.empty else _no_results()
    scores = _scores(pupils, a8, settings)
    try:
        return _progress8(scores, estimates)
    finally:
        engine.forget(a8, scores)


def pupil_scores(pupils, results, settings: Settings, estimates: dict[str, P8Estimates]) -> pd.DataFrame:
    """``pupils`` with A8 elements, EBacc APS and, where estimates exist, P8 and its elements.

    Pupils without any result score 0 in A8 (they stay in the denominator).
    """
    return _in_read_order(_pupil_scores(pupils, results, settings, estimates))


def estimates_table(estimates: dict[str, P8Estimates]) -> pd.DataFrame:
    """Every year's estimates as one table: academic_year, pag, low, high, each element's national
    average and the group's outlier floor (missing without the floors file)."""
    parts = [est.groups[["pag", "low", "high", *ELEMENTS]].assign(
        academic_year=year_label(period), floor=est.groups["pag"].map(est.floors or {}).astype(float))
        for period, est in estimates.items()]
    columns = {"academic_year": "string", "pag": float, "low": float, "high": float,
               **{e: float for e in ELEMENTS}, "floor": float}
    return (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(columns))).astype(columns)


def _progress8(scores, estimates: dict[str, P8Estimates]):
    """:func:`add_progress8`'s rows kept in the engine (``sql/progress8.sql``)."""
    return engine.table("progress8", sql("progress8"), {"scores": scores, "estimates": estimates_table(estimates)})


def add_progress8(scores: pd.DataFrame, estimates: dict[str, P8Estimates]) -> pd.DataFrame:
    """Pupil P8 and its elements (and the outlier-adjusted P8) for the years with estimates:
    ``scores`` have A8 elements and ``prior``."""
    return _in_read_order(_progress8(scores, estimates),
                          [*scores.columns, "pag", *(f"p8_{e}" for e in ELEMENTS), "p8_adjusted"])


def _national_sd(estimates: dict[str, P8Estimates], element: str) -> tuple:
    return tuple(sorted((period, est.sd[element]) for period, est in estimates.items()))


def progress8_measures(estimates: dict[str, P8Estimates]) -> list:
    """The P8 measures of the pupils with a P8 (the outlier-adjusted P8 for A8): mean with DfE's
    interval, +/- 1.96 x the national SD / sqrt(pupils)."""
    return [MeanWithNationalSD(P8_MEASURE[e], "p8_adjusted" if e == "a8" else f"CASE WHEN p8_a8 IS NOT NULL THEN p8_{e} END",
                               sd_by_year=_national_sd(estimates, e)) for e in ELEMENTS]


def ks4_measures(pupils: pd.DataFrame | None, results: pd.DataFrame | None, settings: Settings,
                 estimates: dict[str, P8Estimates], topics=CHARACTERISTIC_BREAKDOWNS) -> pd.DataFrame:
    """Every KS4 measure, by academic year and breakdown."""
    if pupils is None or pupils.empty:
        return empty_result()
    scores = _pupil_scores(pupils, results if results is not None else pd.DataFrame(columns=KEY), settings, estimates)
    tables = {"scores": scores}
    parts = [measures_over("SELECT * FROM scores", tables, [
        Mean("ks4_att8_avg", "a8"),
        Proportion("ks4_em95_pct", "coalesce(best_maths, 0) >= 5 AND coalesce(best_english, 0) >= 5"),
        Proportion("ks4_em94_pct", "coalesce(best_maths, 0) >= 4 AND coalesce(best_english, 0) >= 4"),
        Mean("ks4_ebacc_aps", "ebacc_aps"),
        *progress8_measures(estimates),
    ], topics, scores.columns)]
    if "looked_after" in scores:       # children in care: by LA only
        parts.append(measures_over("SELECT * FROM scores WHERE looked_after = 'Y'", tables, [
            Mean("cla_ks4_att8_avg", "a8"),
            MeanWithNationalSD("cla_ks4_p8_avg", "p8_adjusted", sd_by_year=_national_sd(estimates, "a8")),
        ], la_topics(topics), scores.columns))
    engine.forget(scores)
    return pd.concat([p for p in parts if not p.empty], ignore_index=True)


def progress8_results(scores: pd.DataFrame, estimates: dict[str, P8Estimates], topics) -> pd.DataFrame:
    """P8 and its elements by year and breakdown, from pupil scores with :func:`add_progress8` applied."""
    return measures_over("SELECT * FROM scores", {"scores": scores}, progress8_measures(estimates), topics, scores.columns)


def outlier_z_threshold(p8: pd.Series, pag: pd.Series) -> float:
    """DfE's outlier threshold from every pupil in the Progress 8 model nationally (its KS4 ready
    reckoner's ``KS4 outliers.sql``): each pupil's z-score within their prior-attainment group,
    (P8 - group mean) / group SD; the threshold is the z-score of the pupil at 1% of pupils (the
    count / 100, in whole numbers, lowest first). Pupils below it are adjusted, about 1%."""
    grouped = p8.groupby(pag)
    z = ((p8 - grouped.transform("mean")) / grouped.transform("std")).dropna().sort_values(kind="stable")
    one_percent = len(z) // 100
    return float(z.iloc[max(one_percent, 1) - 1])


def estimates_from_pupils(scores: pd.DataFrame, groups: pd.DataFrame) -> P8Estimates:
    """Derive estimates the way DfE does, from a national set of pupils with A8 elements and priors.

    ``groups`` gives each group's ``pag, low, high``. Each element's estimate is the national mean
    in the group; the SDs are of pupil P8 nationally; each group's floor is DfE's outlier
    threshold (:func:`outlier_z_threshold`) x the SD of pupil P8 in that group.
    """
    scaffold = P8Estimates(groups=groups.assign(**{e: np.nan for e in ELEMENTS}), sd={}, floors=None, source="")
    pag = scaffold.group_of(scores["prior"])
    means = scores.assign(pag=pag).dropna(subset=["pag"]).groupby("pag")[list(ELEMENTS)].mean()
    table = groups.set_index("pag").join(means).reset_index()
    expected = pag.map(table.set_index("pag")["a8"])
    p8 = (scores["a8"] - expected) / 10
    sd = {}
    for element in ELEMENTS:
        pupil = (scores[element] - pag.map(table.set_index("pag")[element])) / P8_DIVISOR[element]
        sd[element] = float(pupil.std())
    floors = (p8.groupby(pag).std() * outlier_z_threshold(p8, pag)).to_dict()
    return P8Estimates(groups=table[["pag", "low", "high", *ELEMENTS]], sd=sd,
                       floors={int(k): float(v) for k, v in floors.items()}, source="synthetic national pupils")
