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
from ..settings import Settings
from .result import CHARACTERISTIC_BREAKDOWNS, _groups, as_category, empty_result, la_topics, mean_result, proportion_result, time_period

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


def _by_distinct_value(values: pd.Series, work) -> pd.Series:
    """``work`` (a function of a Series of text, giving a Series or frame) done once per distinct
    value of ``values`` (a grade column holds a dozen values over millions of rows) and spread back
    over the rows; missing values give what ``work`` gives for a missing value."""
    codes, distinct = pd.factorize(values)
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


#: The A8 categories in the order :func:`_slot_rows` numbers them.
CATEGORIES = ("ENG_LANG", "ENG_LIT", "MATHS", *EBACC_CATEGORIES, "OTHER_GCSE", "OTHER_APPROVED")


def _slot_rows(results: pd.DataFrame, pupil: np.ndarray, settings: Settings) -> tuple[np.ndarray, ...]:
    """One entry per slot-able result (a combined science double award gives two): its pupil, its
    category's position in :data:`CATEGORIES` (-1 for none of them), its points (0 where a grade
    scores nothing) and whether it was taken (a grade or U; X, absent or no result, was not: DfE
    counts only those as an attempt). Grades are turned into points once per distinct grade, not
    once per result."""
    codes, distinct = pd.factorize(results["a8_category"])
    category = np.append(pd.Index(CATEGORIES).get_indexer(pd.Index(distinct).astype(object)), -1).astype(np.int8)[codes]
    approved = (results["qualification"] == "OTHER_APPROVED").to_numpy(dtype=bool)
    points = np.where(approved, results["points"].astype(float).to_numpy(dtype=float, na_value=np.nan),
                      gcse_points(results["grade"]).to_numpy(dtype=float))
    double = np.flatnonzero(category == CATEGORIES.index("SCI_COMBINED"))
    pair = _by_distinct_value(results["grade"].iloc[double], _double_award_points).to_numpy(dtype=float)
    first, second = pair[:, 0], pair[:, 1]
    if settings.methodology.ks4_combined_science_points == "mean":
        first = second = (first + second) / 2
    points[double] = first
    rows = np.concatenate([np.arange(len(results)), double])      # each double award's second slot at the end
    points = np.nan_to_num(np.concatenate([points, second]), nan=0.0)
    taken = approved | _by_distinct_value(results["grade"], lambda g: g.str.strip() != "X").fillna(True).to_numpy(bool)
    return pupil[rows], category[rows], points, taken[rows]


def _pupil_numbers(results: pd.DataFrame) -> tuple[np.ndarray, pd.MultiIndex]:
    """Each result's pupil (upn, academic_year) as a number, in order of first appearance, and the
    pupils. Grouping on one integer is fast; grouping on the UPN categorical re-sorts its categories
    (millions at national scale) every time."""
    number = results.groupby(KEY, sort=False, dropna=False, observed=True).ngroup().to_numpy()
    return number, pd.MultiIndex.from_frame(results[KEY].iloc[np.flatnonzero(~pd.Series(number).duplicated())])


def _best(pupil: np.ndarray, points: np.ndarray, rows: np.ndarray, pupils: int, k: int):
    """The ``k`` best points of each pupil among ``rows`` (positions in entries sorted by pupil and
    then by points, best first): ``k`` arrays over the pupils, best first, 0 where a pupil has fewer;
    how many of ``rows`` each pupil has; and the rows beyond each pupil's ``k`` best."""
    p = pupil[rows]
    starts = np.flatnonzero(np.diff(p, prepend=-1) != 0)
    rank = np.arange(len(p)) - np.repeat(starts, np.diff(np.append(starts, len(p))))
    best = []
    for r in range(k):
        value = np.zeros(pupils)
        at = rank == r
        value[p[at]] = points[rows[at]]
        best.append(value)
    return best, np.bincount(p, minlength=pupils), rows[rank >= k]


def attainment8(results: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Per pupil (upn, academic_year): A8 elements, A8, best English and maths grades, EBacc APS.

    Every result is put in order once, by pupil and then points, best first; each slot then takes
    a pupil's best entries of its categories in that order."""
    number, pupils = _pupil_numbers(results)
    n = len(pupils)
    pupil, category, points, taken = _slot_rows(results, number, settings)
    # by pupil, then points best first (the pupils' numbers are in order of first appearance, so an
    # extract that lists each pupil's results together is nearly in order already)
    distinct = np.sort(pd.unique(points))
    key = pupil.astype(np.int64) * len(distinct) + (len(distinct) - 1 - np.searchsorted(distinct, points))
    order = np.argsort(key, kind="stable")
    del key
    pupil, category, points, taken = pupil[order], category[order], points[order], taken[order]

    def in_categories(*names):
        chosen = np.zeros(len(CATEGORIES) + 1, dtype=bool)     # the last for -1, none of them
        chosen[[CATEGORIES.index(c) for c in names]] = True
        return chosen[category]

    def rows_of(*names, only_taken=False):
        return np.flatnonzero(in_categories(*names) & (taken if only_taken else True))

    def best_one(*names):
        (value,), count, _ = _best(pupil, points, rows_of(*names, only_taken=True), n, 1)
        return np.where(count > 0, value, np.nan)

    language, literature = best_one("ENG_LANG"), best_one("ENG_LIT")        # NaN: not taken
    both = ~np.isnan(language) & ~np.isnan(literature)
    best_english = np.fmax(language, literature)
    weight = np.where(both | (not settings.methodology.ks4_english_double_weight_requires_both), 2, 1)
    spare = np.where(both, np.fmin(language, literature), 0.0)
    best_maths = best_one("MATHS")
    # EBacc: the best three EBacc results; the rest go to the open pool with the spare English
    ebacc, _, unused = _best(pupil, points, rows_of(*EBACC_CATEGORIES), n, 3)
    pool = in_categories("OTHER_GCSE", "OTHER_APPROVED")
    pool[unused] = True
    pool = np.flatnonzero(pool)
    first, second, third = _best(pupil, points, pool, n, 3)[0]
    # the spare English takes its place among the pool's best three (points are never negative, so
    # a pupil without one, counted as 0, keeps the pool's three)
    opened = [np.maximum(first, spare), np.where(spare > first, first, np.maximum(second, spare)),
              np.where(spare > second, second, np.maximum(third, spare))]
    # EBacc APS pillars: English (the better of language and literature, both taken), maths, science
    # (the two grades of combined science, or the best two of three or more single sciences taken),
    # the better humanity, the best language
    combined = sum(_best(pupil, points, rows_of("SCI_COMBINED"), n, 2)[0])
    singles, taken_singles, _ = _best(pupil, points, rows_of(*SINGLE_SCIENCES, only_taken=True), n, 2)
    science = np.maximum(combined, np.where(taken_singles >= 3, sum(singles), 0.0))
    humanity = _best(pupil, points, rows_of("HISTORY", "GEOGRAPHY"), n, 1)[0][0]
    foreign = _best(pupil, points, rows_of("LANGUAGE"), n, 1)[0][0]
    out = pd.DataFrame({
        "eng": np.nan_to_num(best_english * weight), "best_english": best_english,
        "mat": np.nan_to_num(2 * best_maths), "best_maths": best_maths,
        "ebacc": sum(ebacc), "open": sum(opened)})       # each element's slots added best first
    out["a8"] = out[["eng", "mat", "ebacc", "open"]].sum(axis=1)
    pillars = np.where(both, best_english, 0.0) + np.nan_to_num(best_maths) + science + humanity + foreign
    out["ebacc_aps"] = pillars / settings.methodology.ks4_ebacc_aps_divisor
    return out[["eng", "best_english", "mat", "best_maths", "ebacc", "open", "a8", "ebacc_aps"]].set_axis(pupils)


def attainment8_by_year(results: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """:func:`attainment8` worked out one academic year at a time (a pupil is a UPN in a year, so
    the years are independent): its working set is a year's results, not every year's (about
    3 GB for the 28 million results of three national years)."""
    codes, years = pd.factorize(results["academic_year"])
    present = [code for code in range(-1, len(years)) if (codes == code).any()]     # -1: no year
    if len(present) <= 1:
        return attainment8(results, settings)
    # each year's rows found when it is worked out, not every year's held at once (28 million)
    return pd.concat([attainment8(results.take(np.flatnonzero(codes == code)), settings) for code in present])


#: The scaled score DfE gives a pupil who sat a KS2 test but was not awarded a scaled score (code
#: ``N``, too few marks) for progress measures: one below the lowest awarded score.
NOMINAL_SCALED_SCORE = 79


def _scaled_or_nominal(pupils: pd.DataFrame, subject: str) -> pd.Series:
    score = pupils[f"ks2_{subject}_ss"].astype("Float64")
    code = f"ks2_{subject}_code"
    if code not in pupils:
        return score
    sat_without_score = (pupils[code].astype("string").str.strip() == "N").fillna(False).to_numpy(dtype=bool)
    return score.mask(score.isna().to_numpy(dtype=bool) & sat_without_score, float(NOMINAL_SCALED_SCORE))


def prior_attainment(pupils: pd.DataFrame, settings: Settings) -> pd.Series:
    """KS2 prior attainment: the mean of reading and maths scaled scores, a test sat without a
    scaled score counting at :data:`NOMINAL_SCALED_SCORE` (NaN when unusable)."""
    read, mat = _scaled_or_nominal(pupils, "read"), _scaled_or_nominal(pupils, "mat")
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
        # each pupil's A8 row (none for a pupil without results)
        scores = pupils[KEY].merge(a8.reset_index(), on=KEY, how="left")[list(a8.columns)].set_axis(pupils.index)
        out = pd.concat([pupils, scores], axis=1)
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
