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

from ..compare.p8_estimates import ELEMENTS, P8Estimates
from ..grouping import codes_and_distinct, column_combination_numbers, first_rows, matching_combinations
from ..settings import Settings
from .result import CHARACTERISTIC_BREAKDOWNS, _groups, as_category, empty_result, la_topics, mean_result, proportion_result, time_period

MEASURE_IDS = ("ks4_att8_avg", "ks4_p8_avg", "ks4_p8_eng_avg", "ks4_p8_mat_avg", "ks4_p8_ebacc_avg",
               "ks4_p8_open_avg", "ks4_em95_pct", "ks4_em94_pct", "ks4_ebacc_aps", "cla_ks4_att8_avg",
               "cla_ks4_p8_avg")
EBACC_CATEGORIES = ("SCI_COMBINED", "SCI_BIO", "SCI_CHEM", "SCI_PHYS", "COMP_SCI", "HISTORY", "GEOGRAPHY",
                    "LANGUAGE")
SCIENCE_CATEGORIES = ("SCI_COMBINED", "SCI_BIO", "SCI_CHEM", "SCI_PHYS", "COMP_SCI")
KEY = ["upn", "academic_year"]
PUPIL = "_pupil"     # a pupil's number while Attainment 8 is worked out
P8_DIVISOR = {"a8": 10, "eng": 2, "mat": 2, "ebacc": 3, "open": 3}
P8_MEASURE = {"a8": "ks4_p8_avg", "eng": "ks4_p8_eng_avg", "mat": "ks4_p8_mat_avg", "ebacc": "ks4_p8_ebacc_avg",
              "open": "ks4_p8_open_avg"}


def _by_distinct_value(values: pd.Series, work) -> pd.Series:
    """``work`` (a function of a Series of text, giving a Series or frame) done once per distinct
    value of ``values`` (a grade column holds a dozen values over millions of rows) and spread back
    over the rows; missing values give what ``work`` gives for a missing value."""
    codes, distinct = codes_and_distinct(values)
    done = work(pd.Series(list(distinct) + [None], dtype=object).astype("string"))
    return done.iloc[np.where(codes >= 0, codes, len(distinct))].set_axis(values.index)


def _gcse_points(grade: pd.Series) -> pd.Series:
    g = grade.astype("string").str.strip()
    points = pd.to_numeric(g.where(g.str.fullmatch(r"[1-9]").fillna(False)), errors="coerce")
    return points.where(~g.isin(["U", "X"]).fillna(False), 0.0).astype(float)


def gcse_points(grade: pd.Series) -> pd.Series:
    """Points of a single GCSE grade: '9'..'1' -> 9..1, 'U' and 'X' -> 0, anything else NaN."""
    return _by_distinct_value(grade, _gcse_points)


def _double_award_points(grade: pd.Series) -> pd.DataFrame:
    """A combined science grade '6-5' as its two grades' points (6.0, 5.0); U and X score 0 in both."""
    pair = grade.str.extract(r"^([1-9])-([1-9])$").astype(float)
    pair.loc[grade.isin(["U", "X"]).fillna(False).to_numpy(dtype=bool)] = 0.0
    return pair


def _slot_rows(results: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """One row per slot-able result: pupil, a8_category, points (a double award becomes two rows).

    Grades are turned into points once per distinct grade, not once per result."""
    r = results[[PUPIL, "qualification", "a8_category", "grade", "points"]]
    combined = (r["a8_category"] == "SCI_COMBINED").to_numpy(dtype=bool)
    single = r[~combined]
    single = single.assign(slot_points=np.where(single["qualification"] == "OTHER_APPROVED",
                                                single["points"].astype(float), gcse_points(single["grade"])))
    double = r[combined]
    pair = _by_distinct_value(double["grade"], _double_award_points).to_numpy()
    first, second = pair[:, 0], pair[:, 1]
    if settings.methodology.ks4_combined_science_points == "mean":
        first = second = (first + second) / 2
    doubles = [double.assign(slot_points=first), double.assign(slot_points=second)]
    out = pd.concat([single, *doubles], ignore_index=True)
    out["slot_points"] = out["slot_points"].fillna(0.0)
    return out[[PUPIL, "a8_category", "slot_points"]]


def _pupil_numbers(results: pd.DataFrame) -> tuple[np.ndarray, pd.MultiIndex]:
    """Each result's pupil (upn, academic_year) as a number, in order of first appearance, and the
    pupils. Grouping on one integer is fast; grouping on the UPN categorical re-sorts its categories
    (millions at national scale) every time."""
    number = column_combination_numbers(results, KEY)
    return number, pd.MultiIndex.from_frame(results[KEY].iloc[first_rows(number)])


def attainment8(results: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Per pupil (upn, academic_year): A8 elements, A8, best English and maths grades, EBacc APS."""
    number, pupils = _pupil_numbers(results)
    slots = _slot_rows(results.assign(**{PUPIL: number}), settings)
    cat = slots["a8_category"]
    english = slots[cat.isin(["ENG_LANG", "ENG_LIT"])].pivot_table(
        index=PUPIL, columns="a8_category", values="slot_points", aggfunc="max")
    english = english.reindex(columns=["ENG_LANG", "ENG_LIT"])
    both = english.notna().all(axis=1)
    best_english = english.max(axis=1)
    weight = np.where(both | (not settings.methodology.ks4_english_double_weight_requires_both), 2, 1)
    per_pupil = pd.DataFrame({"eng": best_english * weight, "best_english": best_english}, index=english.index)
    spare = english.min(axis=1)[both].rename("slot_points").reset_index().assign(a8_category="ENG_SPARE")
    maths = slots[cat == "MATHS"].groupby(PUPIL)["slot_points"].max()
    # EBacc: the best three EBacc results; the rest go to the open pool.
    ebacc_pool = slots[cat.isin(EBACC_CATEGORIES)].sort_values([PUPIL, "slot_points"], ascending=[True, False])
    ebacc_rank = ebacc_pool.groupby(PUPIL).cumcount()
    ebacc = ebacc_pool[ebacc_rank < 3].groupby(PUPIL)["slot_points"].sum()
    open_pool = pd.concat([ebacc_pool[ebacc_rank >= 3], spare[[PUPIL, "a8_category", "slot_points"]],
                           slots[cat.isin(["OTHER_GCSE", "OTHER_APPROVED"])]], ignore_index=True)
    open_pool = open_pool.sort_values([PUPIL, "slot_points"], ascending=[True, False])
    opened = open_pool[open_pool.groupby(PUPIL).cumcount() < 3].groupby(PUPIL)["slot_points"].sum()
    # EBacc APS pillars: English, maths, two science grades, best humanity, best language.
    science = slots[cat.isin(SCIENCE_CATEGORIES)].sort_values([PUPIL, "slot_points"], ascending=[True, False])
    science2 = science[science.groupby(PUPIL).cumcount() < 2].groupby(PUPIL)["slot_points"].sum()
    humanity = slots[cat.isin(["HISTORY", "GEOGRAPHY"])].groupby(PUPIL)["slot_points"].max()
    language = slots[cat == "LANGUAGE"].groupby(PUPIL)["slot_points"].max()
    index = pd.RangeIndex(len(pupils), name=PUPIL)
    out = per_pupil.reindex(index)
    out["mat"] = (2 * maths).reindex(index)
    out["best_maths"] = maths.reindex(index)
    out["ebacc"] = ebacc.reindex(index)
    out["open"] = opened.reindex(index)
    out[["eng", "mat", "ebacc", "open"]] = out[["eng", "mat", "ebacc", "open"]].fillna(0.0)
    out["a8"] = out[["eng", "mat", "ebacc", "open"]].sum(axis=1)
    pillars = (out["best_english"].fillna(0) + out["best_maths"].fillna(0) + science2.reindex(index).fillna(0)
               + humanity.reindex(index).fillna(0) + language.reindex(index).fillna(0))
    out["ebacc_aps"] = pillars / settings.methodology.ks4_ebacc_aps_divisor
    return out.set_axis(pupils)


def attainment8_by_year(results: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """:func:`attainment8` worked out one academic year at a time (a pupil is a UPN in a year, so
    the years are independent): its working set is a year's results, not every year's (about
    3 GB for the 28 million results of three national years)."""
    codes, years = codes_and_distinct(results["academic_year"])
    present = [code for code in range(-1, len(years)) if (codes == code).any()]     # -1: no year
    if len(present) <= 1:
        return attainment8(results, settings)
    # each year's rows found when it is worked out, not every year's held at once (28 million)
    return pd.concat([attainment8(results.take(np.flatnonzero(codes == code)), settings) for code in present])


def prior_attainment(pupils: pd.DataFrame, settings: Settings) -> pd.Series:
    """KS2 prior attainment: the mean of reading and maths scaled scores (NaN when unusable)."""
    read, mat = pupils["ks2_read_ss"].astype("Float64"), pupils["ks2_mat_ss"].astype("Float64")
    mean = (read + mat) / 2
    if settings.methodology.ks4_prior_from_one_subject:
        mean = mean.fillna(read).fillna(mat)
    return mean.astype(float)


def pupil_scores(pupils: pd.DataFrame, results: pd.DataFrame, settings: Settings,
                 estimates: dict[str, P8Estimates]) -> pd.DataFrame:
    """``pupils`` with A8 elements, EBacc APS and, where estimates exist, P8 and its elements.

    Pupils without any result score 0 in A8 (they stay in the denominator).
    """
    pupils = pupils.reset_index(drop=True)     # the year-by-year updates below go by row label
    a8 = attainment8_by_year(results, settings) if not results.empty else pd.DataFrame()
    if not a8.empty:
        # each pupil's A8 row found on the key columns' codes (joining 3.5 million national
        # pupils on the UPNs' text took 8 s)
        pupil_number, a8_pupil = matching_combinations(a8.index.to_frame(index=False), pupils, KEY)
        row_of = np.full(len(pupils) + 1, -1, dtype=np.int64)   # a pupil's number -> its A8 row (-1: none)
        found = np.flatnonzero(a8_pupil >= 0)
        row_of[a8_pupil[found]] = found
        out = pd.concat([pupils, a8.reset_index(drop=True).reindex(row_of[pupil_number]).set_axis(pupils.index)],
                        axis=1)
    else:
        out = pupils.assign(**{c: np.nan for c in (
            "eng", "mat", "ebacc", "open", "a8", "best_english", "best_maths", "ebacc_aps")})
    out[["eng", "mat", "ebacc", "open", "a8", "ebacc_aps"]] = out[["eng", "mat", "ebacc", "open", "a8", "ebacc_aps"]
                                                                 ].fillna(0.0)
    out["prior"] = prior_attainment(out, settings)
    return add_progress8(out, estimates)


def add_progress8(scores: pd.DataFrame, estimates: dict[str, P8Estimates]) -> pd.DataFrame:
    """Pupil P8 and its elements (and the outlier-adjusted P8) for the years with estimates."""
    out = scores.reset_index(drop=True)
    for element in ELEMENTS:
        out[f"p8_{element}"] = np.nan
    out["pag"] = np.nan
    out["p8_adjusted"] = np.nan
    for year, idx in out.groupby("academic_year").groups.items():
        est = estimates.get(time_period(str(year)))
        if est is None:
            continue
        rows = out.loc[idx]
        pag = est.group_of(rows["prior"])
        table = est.groups.set_index("pag")
        out.loc[idx, "pag"] = pag
        for element in ELEMENTS:
            expected = pag.map(table[element])
            out.loc[idx, f"p8_{element}"] = (rows[element] - expected) / P8_DIVISOR[element]
        score = out.loc[idx, "p8_a8"]
        if est.floors:
            floor = pag.map(est.floors)
            score = np.where(floor.notna() & (score < floor), floor, score)
        out.loc[idx, "p8_adjusted"] = score
    return out


def p8_result(frame: pd.DataFrame, values: pd.Series, measure_id: str, sd_by_year: dict, topics) -> pd.DataFrame:
    """Mean P8 by year and breakdown with DfE's interval: mean +/- 1.96 x national SD / sqrt(n)."""
    parts, years = [], as_category(frame["academic_year"])
    for topic, labels in _groups(frame, topics):
        g = pd.DataFrame({"academic_year": years, "breakdown": labels, "v": values.astype(float)})
        agg = g.groupby(["academic_year", "breakdown"], observed=True)["v"].agg(["sum", "count", "mean"]).reset_index()
        sd = agg["academic_year"].map(lambda y: sd_by_year.get(time_period(str(y)), np.nan)).astype(float)
        half = 1.96 * sd / np.sqrt(agg["count"])
        parts.append(pd.DataFrame({
            "measure_id": measure_id, "time_period": agg["academic_year"].astype(str).map(time_period), "breakdown_topic": topic,
            "breakdown": agg["breakdown"].astype(str), "numerator": agg["sum"], "denominator": agg["count"].astype(float),
            "value": agg["mean"], "ci_lower": agg["mean"] - half, "ci_upper": agg["mean"] + half}))
    return pd.concat(parts, ignore_index=True)


def ks4_measures(pupils: pd.DataFrame | None, results: pd.DataFrame | None, settings: Settings,
                 estimates: dict[str, P8Estimates], topics=CHARACTERISTIC_BREAKDOWNS) -> pd.DataFrame:
    """Every KS4 measure, by academic year and breakdown."""
    if pupils is None or pupils.empty:
        return empty_result()
    scores = pupil_scores(pupils, results if results is not None else pd.DataFrame(columns=KEY), settings, estimates)
    maths = scores["best_maths"].fillna(0) if "best_maths" in scores else 0
    english = scores["best_english"].fillna(0) if "best_english" in scores else 0
    parts = [
        mean_result(scores, scores["a8"], "ks4_att8_avg", topics),
        proportion_result(scores, (maths >= 5) & (english >= 5), "ks4_em95_pct", topics),
        proportion_result(scores, (maths >= 4) & (english >= 4), "ks4_em94_pct", topics),
        mean_result(scores, scores["ebacc_aps"], "ks4_ebacc_aps", topics),
    ]
    parts.append(progress8_results(scores, estimates, topics))
    cla = scores[scores.get("looked_after", pd.Series(index=scores.index, dtype="string")).astype("string") == "Y"]
    if not cla.empty:
        parts.append(mean_result(cla, cla["a8"], "cla_ks4_att8_avg", la_topics(topics)))
        cla_p8 = cla[cla["p8_a8"].notna()]
        if not cla_p8.empty:
            parts.append(p8_result(cla_p8, cla_p8["p8_adjusted"], "cla_ks4_p8_avg",
                                   {tp: est.sd["a8"] for tp, est in estimates.items()}, la_topics(topics)))
    return pd.concat([p for p in parts if not p.empty], ignore_index=True)


def progress8_results(scores: pd.DataFrame, estimates: dict[str, P8Estimates], topics) -> pd.DataFrame:
    """P8 and its elements by year and breakdown, from pupil scores with :func:`add_progress8` applied."""
    in_p8 = scores[scores["p8_a8"].notna()]
    if in_p8.empty:
        return empty_result()
    parts = []
    for element in ELEMENTS:
        sd = {tp: est.sd[element] for tp, est in estimates.items()}
        values = in_p8["p8_adjusted"] if element == "a8" else in_p8[f"p8_{element}"]
        parts.append(p8_result(in_p8, values, P8_MEASURE[element], sd, topics))
    return pd.concat(parts, ignore_index=True)


def estimates_from_pupils(scores: pd.DataFrame, groups: pd.DataFrame, outlier_z: float = -2.89) -> P8Estimates:
    """Derive estimates the way DfE does, from a national set of pupils with A8 elements and priors.

    ``groups`` gives each group's ``pag, low, high``. Each element's estimate is the national mean
    in the group; the SDs are of pupil P8 nationally; each group's floor is ``outlier_z`` x the SD
    of pupil P8 in that group.
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
    floors = (p8.groupby(pag).std() * outlier_z).to_dict()
    return P8Estimates(groups=table[["pag", "low", "high", *ELEMENTS]], sd=sd,
                       floors={int(k): float(v) for k, v in floors.items()}, source="synthetic national pupils")
