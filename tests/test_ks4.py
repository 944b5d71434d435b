"""Key stage 4: methodology section 3.11's worked example, slot-filling rules, P8 and its interval."""

import math

import numpy as np
import pandas as pd
import pytest

from edstats.compare.p8_estimates import P8Estimates, read_p8_estimates
from edstats.measures.ks4 import attainment8, ks4_measures, pupil_scores
from edstats.settings import Methodology, Settings

from conftest import REFERENCE_DATA

UPN = "Q999216000001"


def results(*rows, upn=UPN):
    return pd.DataFrame([{"upn": upn, "academic_year": "2023/24", "qualification": q, "subject": s,
                          "a8_category": c, "grade": g, "points": p} for q, s, c, g, p in rows])


def gcse(subject, category, grade):
    return ("GCSE", subject, category, grade, np.nan)


WORKED = results(gcse("English Language", "ENG_LANG", "6"), gcse("English Literature", "ENG_LIT", "5"),
                 gcse("Mathematics", "MATHS", "5"), gcse("History", "HISTORY", "6"),
                 gcse("Combined Science", "SCI_COMBINED", "5-5"), gcse("Art and Design", "OTHER_GCSE", "7"),
                 gcse("French", "LANGUAGE", "4"))


def a8(frame, settings=Settings()):
    return attainment8(frame, settings).iloc[0]


def test_worked_example_attainment8():
    row = a8(WORKED)
    assert (row["eng"], row["mat"], row["ebacc"], row["open"], row["a8"]) == (12, 10, 16, 16, 54)


def test_attainment8_of_each_year_is_that_years_alone():
    """The same UPN in two years (a pupil resitting), each year with other results and pupils:
    each (UPN, year) scores exactly as that year's results alone give."""
    worked_again = WORKED.assign(academic_year="2024/25", grade=["9", "4", "3", "7", "6-5", "2", "8"])
    other = results(gcse("Mathematics", "MATHS", "7"), gcse("Physics", "SCI_PHYS", "8"), upn="Q999216000002")
    frame = pd.concat([WORKED, other, worked_again, other.assign(academic_year="2024/25")], ignore_index=True)
    by_year = pd.concat([attainment8(one, Settings()) for _, one in frame.groupby("academic_year")])
    at_once = attainment8(frame, Settings())
    assert len(by_year) == 4
    pd.testing.assert_frame_equal(by_year.sort_index(), at_once.sort_index())
    assert by_year.loc[(UPN, "2023/24"), "a8"] == 54 and by_year.loc[(UPN, "2024/25"), "a8"] != 54


def _a8_by_the_rules(pupil_rows: pd.DataFrame, settings: Settings) -> dict:
    """One pupil's A8 filled slot by slot as methodology section 3 reads: the reference the
    vectorised :func:`attainment8` must agree with."""
    def gcse_points(grade):
        return float(grade) if grade in list("123456789") else 0.0

    entries = []        # (category, points, taken: a grade or U, not X)
    for row in pupil_rows.itertuples():
        taken = row.grade != "X"
        if row.a8_category == "SCI_COMBINED":
            pair = [float(g) for g in row.grade.split("-")] if isinstance(row.grade, str) and "-" in row.grade else [0.0, 0.0]
            if settings.methodology.ks4_combined_science_points == "mean":
                pair = [sum(pair) / 2] * 2
            entries += [("SCI_COMBINED", p, taken) for p in pair]
        elif row.qualification == "OTHER_APPROVED":
            entries.append((row.a8_category, 0.0 if pd.isna(row.points) else float(row.points), True))
        else:
            entries.append((row.a8_category, gcse_points(row.grade), taken))

    def points_of(*categories, only_taken=False):
        return sorted((p for c, p, t in entries if c in categories and (t or not only_taken)), reverse=True)

    language = points_of("ENG_LANG", only_taken=True)
    literature, maths = points_of("ENG_LIT", only_taken=True), points_of("MATHS", only_taken=True)
    english = language[:1] + literature[:1]
    best_english = max(english) if english else np.nan
    double = len(english) == 2 or not settings.methodology.ks4_english_double_weight_requires_both
    ebacc = points_of("SCI_COMBINED", "SCI_BIO", "SCI_CHEM", "SCI_PHYS", "COMP_SCI", "HISTORY", "GEOGRAPHY",
                      "LANGUAGE")
    pool = sorted(ebacc[3:] + ([min(english)] if len(english) == 2 else []) + points_of("OTHER_GCSE", "OTHER_APPROVED"),
                  reverse=True)
    out = {"eng": 0.0 if not english else best_english * (2 if double else 1), "best_english": best_english,
           "mat": 2 * maths[0] if maths else 0.0, "best_maths": maths[0] if maths else np.nan,
           "ebacc": float(sum(ebacc[:3])), "open": float(sum(pool[:3]))}
    out["a8"] = out["eng"] + out["mat"] + out["ebacc"] + out["open"]
    singles = points_of("SCI_BIO", "SCI_CHEM", "SCI_PHYS", "COMP_SCI", only_taken=True)
    science = max(sum(points_of("SCI_COMBINED")[:2]), sum(singles[:2]) if len(singles) >= 3 else 0.0)
    pillars = ((best_english if len(english) == 2 else 0) + (maths[0] if maths else 0) + science
               + sum(points_of("HISTORY", "GEOGRAPHY")[:1]) + sum(points_of("LANGUAGE")[:1]))
    out["ebacc_aps"] = pillars / settings.methodology.ks4_ebacc_aps_divisor
    return out


@pytest.mark.parametrize("settings", [Settings(), Settings(methodology=Methodology(
    ks4_combined_science_points="each_grade", ks4_english_double_weight_requires_both=False))],
    ids=["DfE's rules", "each grade, English always double"])
def test_attainment8_is_the_rules_read_pupil_by_pupil(settings):
    """600 pupils' random results, in random order: every slot, every category, ties, U and X,
    double awards, approved points and pupils with nothing in a slot."""
    rng = np.random.default_rng(8)
    categories = ["ENG_LANG", "ENG_LIT", "MATHS", "SCI_COMBINED", "SCI_BIO", "SCI_CHEM", "SCI_PHYS", "COMP_SCI",
                  "HISTORY", "GEOGRAPHY", "LANGUAGE", "OTHER_GCSE", "OTHER_APPROVED"]
    rows = []
    for i in range(600):
        for _ in range(rng.integers(0, 13)):
            category = categories[rng.integers(len(categories))]
            if category == "OTHER_APPROVED":
                rows.append(("OTHER_APPROVED", f"Q{i}", category, "L2 Merit", rng.choice([1.25, 3.0, 5.5, 8.5, np.nan])))
            elif category == "SCI_COMBINED":
                first = rng.integers(1, 10)
                grade = rng.choice([f"{first}-{max(first - rng.integers(0, 2), 1)}", "U", "X"])
                rows.append(("GCSE", f"S{i}", category, grade, np.nan))
            else:
                rows.append(("GCSE", f"G{i}", category, rng.choice(list("123456789") + ["U", "X"]), np.nan))
            rows[-1] = (f"Q99921600{i:04d}",) + rows[-1]
    frame = pd.DataFrame(rows, columns=["upn", "qualification", "subject", "a8_category", "grade", "points"]).assign(
        academic_year="2023/24").sample(frac=1, random_state=1, ignore_index=True)
    got = attainment8(frame, settings)
    expected = pd.DataFrame([_a8_by_the_rules(rows, settings) for _, rows in frame.groupby("upn", sort=False)])
    assert len(got) == frame["upn"].nunique() > 500
    assert got.index.get_level_values("upn").tolist() == list(frame["upn"].drop_duplicates())
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected[list(got.columns)], check_exact=True)


@pytest.mark.parametrize("read, read_code, mat, mat_code, prior", [
    (None, "N", None, "N", 79.0),          # sat both, no scaled score: nominal 79 in each, group 1
    (None, "N", 101, None, 90.0),
    (None, "A", 101, None, 101.0),         # absent: no score to count (one subject is used)
    (None, "B", None, "A", None),          # working below the test, absent: no prior attainment
])
def test_a_test_sat_without_a_scaled_score_counts_at_the_nominal_79(read, read_code, mat, mat_code, prior):
    from edstats.measures.ks4 import prior_attainment

    pupils = pd.DataFrame({"ks2_read_ss": pd.array([read], dtype="Int64"), "ks2_mat_ss": pd.array([mat], dtype="Int64"),
                           "ks2_read_code": [read_code], "ks2_mat_code": [mat_code]})
    got = prior_attainment(pupils, Settings()).iloc[0]
    assert (np.isnan(got) if prior is None else got == prior)
    if prior == 79.0:
        estimates = read_p8_estimates(REFERENCE_DATA / "p8_estimates" / "2024") if REFERENCE_DATA.exists() else None
        if estimates is not None:
            assert estimates.group_of(pd.Series([got])).iloc[0] == 1


def test_an_x_in_english_is_not_a_grade_taken():
    """X (absent, no result) is not an attempt: literature 6 with language X is English taken once,
    single weighted (6), not double (12); the A8 falls by 6."""
    row = a8(results(gcse("English Language", "ENG_LANG", "X"), gcse("English Literature", "ENG_LIT", "6"),
                     gcse("Mathematics", "MATHS", "5")))
    assert (row["eng"], row["best_english"], row["a8"]) == (6, 6, 16)
    row = a8(results(gcse("English Language", "ENG_LANG", "U"), gcse("English Literature", "ENG_LIT", "6")))
    assert row["eng"] == 12, "a U is a grade: both were taken"


@pytest.mark.parametrize("rows, english, science", [
    ([gcse("English Language", "ENG_LANG", "7")], 0, 0),                                      # one English only
    ([gcse("English Language", "ENG_LANG", "7"), gcse("English Literature", "ENG_LIT", "5")], 7, 0),
    ([gcse("Biology", "SCI_BIO", "7"), gcse("Chemistry", "SCI_CHEM", "6")], 0, 0),           # two singles: none
    ([gcse("Biology", "SCI_BIO", "7"), gcse("Chemistry", "SCI_CHEM", "6"), gcse("Physics", "SCI_PHYS", "5")], 0, 13),
    ([gcse("Biology", "SCI_BIO", "7"), gcse("Chemistry", "SCI_CHEM", "6"), gcse("Physics", "SCI_PHYS", "X")], 0, 0),
    ([gcse("Combined Science", "SCI_COMBINED", "6-5"), gcse("Computer Science", "COMP_SCI", "9")], 0, 11),
])
def test_ebacc_aps_pillars(rows, english, science):
    """English: the better of language and literature when both were taken; science: combined
    science's two grades, or the best two of three or more single sciences (computer science one
    of them). The EBacc APS is the pillars' points over six."""
    row = a8(results(*rows, gcse("Mathematics", "MATHS", "4"), gcse("History", "HISTORY", "3")))
    assert row["ebacc_aps"] == pytest.approx((english + 4 + science + 3) / 6)


def estimates_pag18():
    """The worked example's group 18 (103.5-104): A8 42.97, English 9.47, maths 8.52, EBacc 12.23, open 12.75."""
    groups = pd.DataFrame([{"pag": 18, "low": 103.5, "high": 104.0, "a8": 42.97, "eng": 9.47, "mat": 8.52,
                            "ebacc": 12.23, "open": 12.75}])
    return P8Estimates(groups=groups, sd={"a8": 1.41628, "eng": 1.614, "mat": 1.487, "ebacc": 1.637, "open": 1.617},
                       floors=None, source="worked example")


def test_worked_example_progress8_and_elements():
    pupils = pd.DataFrame([{"upn": UPN, "academic_year": "2023/24", "ks2_read_ss": 104, "ks2_mat_ss": 103}])
    pupils[["ks2_read_ss", "ks2_mat_ss"]] = pupils[["ks2_read_ss", "ks2_mat_ss"]].astype("Int64")
    scores = pupil_scores(pupils, WORKED, Settings(), {"202324": estimates_pag18()}).iloc[0]
    assert scores["prior"] == 103.5 and scores["pag"] == 18
    assert scores["p8_a8"] == pytest.approx(1.103)
    assert scores["p8_eng"] == pytest.approx(1.265)
    assert scores["p8_mat"] == pytest.approx(0.74)
    assert scores["p8_ebacc"] == pytest.approx((16 - 12.23) / 3)
    assert scores["p8_open"] == pytest.approx((16 - 12.75) / 3)


def test_english_single_weighted_when_only_one_taken():
    only_language = results(gcse("English Language", "ENG_LANG", "6"), gcse("Mathematics", "MATHS", "5"))
    assert a8(only_language)["eng"] == 6
    lenient = Settings(methodology=Methodology(ks4_english_double_weight_requires_both=False))
    assert a8(only_language, lenient)["eng"] == 12


def test_better_english_fills_the_english_slot_and_the_other_goes_to_open():
    row = a8(results(gcse("English Language", "ENG_LANG", "4"), gcse("English Literature", "ENG_LIT", "7")))
    assert row["eng"] == 14 and row["open"] == 4


def test_combined_science_fills_two_ebacc_slots():
    row = a8(results(gcse("Combined Science", "SCI_COMBINED", "6-5"), gcse("History", "HISTORY", "4")))
    assert row["ebacc"] == pytest.approx(5.5 + 5.5 + 4)         # DfE: the mean of the pair in each slot
    each = Settings(methodology=Methodology(ks4_combined_science_points="each_grade"))
    assert a8(results(gcse("Combined Science", "SCI_COMBINED", "6-5"), gcse("History", "HISTORY", "4")),
              each)["ebacc"] == 15


def test_spare_ebacc_results_count_in_open_and_empty_slots_score_zero():
    row = a8(results(gcse("History", "HISTORY", "9"), gcse("Geography", "GEOGRAPHY", "8"),
                     gcse("French", "LANGUAGE", "7"), gcse("Computer Science", "COMP_SCI", "6"),
                     ("OTHER_APPROVED", "BTEC Sport", "OTHER_APPROVED", "L2 Merit", 5.5)))
    assert row["ebacc"] == 24 and row["open"] == 11.5 and row["eng"] == 0 and row["mat"] == 0


@pytest.mark.parametrize("maths, english, em95, em94", [("5", "5", True, True), ("4", "9", False, True),
                                                        ("5", "4", False, True), ("3", "9", False, False)])
def test_grade_5_and_4_in_english_and_maths(maths, english, em95, em94):
    pupils = pd.DataFrame([{"upn": UPN, "academic_year": "2023/24", "ks2_read_ss": pd.NA, "ks2_mat_ss": pd.NA}])
    frame = results(gcse("Mathematics", "MATHS", maths), gcse("English Literature", "ENG_LIT", english))
    out = ks4_measures(pupils, frame, Settings(), {}, topics={})
    value = out.set_index("measure_id")["value"]
    assert value["ks4_em95_pct"] == (100.0 if em95 else 0.0)
    assert value["ks4_em94_pct"] == (100.0 if em94 else 0.0)


def test_missing_prior_attainment_leaves_the_pupil_out_of_p8_but_in_a8():
    pupils = pd.DataFrame([{"upn": UPN, "academic_year": "2023/24", "ks2_read_ss": pd.NA, "ks2_mat_ss": pd.NA},
                           {"upn": "B999216000002", "academic_year": "2023/24", "ks2_read_ss": 104, "ks2_mat_ss": 103}])
    pupils[["ks2_read_ss", "ks2_mat_ss"]] = pupils[["ks2_read_ss", "ks2_mat_ss"]].astype("Int64")
    out = ks4_measures(pupils, WORKED, Settings(), {"202324": estimates_pag18()}, topics={}).set_index("measure_id")
    assert out.loc["ks4_att8_avg", "denominator"] == 2
    assert out.loc["ks4_p8_avg", "denominator"] == 1


@pytest.mark.parametrize("prior, group", [(103.5, 18), (104.0, 18), (103.0, None), (104.5, None)])
def test_prior_attainment_group_edges(prior, group):
    pag = estimates_pag18().group_of(pd.Series([prior]))[0]
    assert (pag == group) if group else math.isnan(pag)


def test_outlier_floor_limits_negative_scores_only():
    floors = estimates_pag18()
    floored = P8Estimates(floors.groups, floors.sd, {18: -4.05}, "test")
    pupils = pd.DataFrame([{"upn": UPN, "academic_year": "2023/24", "ks2_read_ss": 104, "ks2_mat_ss": 103}])
    pupils[["ks2_read_ss", "ks2_mat_ss"]] = pupils[["ks2_read_ss", "ks2_mat_ss"]].astype("Int64")
    nothing = results(gcse("Art and Design", "OTHER_GCSE", "U"))
    scores = pupil_scores(pupils, nothing, Settings(), {"202324": floored}).iloc[0]
    assert scores["p8_a8"] == pytest.approx(-4.297)
    assert scores["p8_adjusted"] == pytest.approx(-4.05)
    high = pupil_scores(pupils, WORKED, Settings(), {"202324": floored}).iloc[0]
    assert high["p8_adjusted"] == pytest.approx(high["p8_a8"])


def test_school_p8_interval_worked_example():
    """150 pupils, mean +0.20, 2023/24 SD 1.41628: half-width 0.227, so -0.03 to +0.43."""
    est = estimates_pag18()
    rng = np.random.default_rng(1)
    n = 150
    a8_points = rng.normal(0, 5, n)
    a8_points = a8_points - a8_points.mean() + 42.97 + 2.0              # mean P8 exactly +0.20
    from edstats.measures.result import MeanWithNationalSD, measures_over
    frame = pd.DataFrame({"academic_year": "2023/24", "v": (a8_points - 42.97) / 10})
    p8 = MeanWithNationalSD("ks4_p8_avg", "v", sd_by_year=(("202324", est.sd["a8"]),))
    out = measures_over("SELECT * FROM pupils", {"pupils": frame}, [p8], {}, frame.columns).iloc[0]
    assert round(out["value"], 2) == 0.20
    assert round(out["ci_lower"], 2) == -0.03 and round(out["ci_upper"], 2) == 0.43


@pytest.mark.skipif(not (REFERENCE_DATA / "p8_estimates").exists(), reason="../shared/reference-data is absent")
@pytest.mark.parametrize("year, sd", [("2022_revised", 1.408359), ("2023_provisional", 1.412814),
                                      ("2023_revised", 1.414023), ("2024", 1.41628)])
def test_real_dfe_estimates_files_import(year, sd):
    est = read_p8_estimates(REFERENCE_DATA / "p8_estimates" / year)
    assert len(est.groups) == 34
    assert est.sd["a8"] == sd
    assert est.groups.iloc[0]["low"] == 59 and est.groups.iloc[-1]["high"] == 120
    # the ranges tile the half-point grid with no gap and no overlap
    assert (est.groups["low"].iloc[1:].to_numpy() == est.groups["high"].iloc[:-1].to_numpy() + 0.5).all()
    # every possible KS2 average (a half-point) from 59 to 120 lands in exactly one group
    grid = pd.Series(np.arange(59, 120.5, 0.5))
    assert est.group_of(grid).notna().all()


@pytest.mark.skipif(not (REFERENCE_DATA / "p8_estimates").exists(), reason="../shared/reference-data is absent")
def test_real_estimates_reproduce_dfe_values_and_ci_relationship():
    est = read_p8_estimates(REFERENCE_DATA / "p8_estimates" / "2024")
    g18 = est.groups.set_index("pag").loc[18]
    assert (g18["low"], g18["high"], g18["a8"], g18["eng"], g18["mat"], g18["ebacc"], g18["open"]) == (
        103.5, 104.0, 42.97, 9.47, 8.52, 12.23, 12.75)
    # the EBacc and open SDs come from the column names, not the mislabelled _named file
    assert (est.sd["ebacc"], est.sd["open"]) == (1.637291, 1.616699)
    half = 1.96 * est.sd["a8"] / math.sqrt(150)
    assert round(half, 3) == 0.227


def test_pupils_with_repeated_row_labels_across_years_are_scored_by_their_own_year():
    """Frames stacked without a fresh index (two years, both labelled 0) must not mix years."""
    est = estimates_pag18()
    one = pd.DataFrame([{"upn": UPN, "academic_year": "2023/24", "ks2_read_ss": 104, "ks2_mat_ss": 103}])
    other = one.assign(academic_year="2022/23")
    pupils = pd.concat([one, other])                       # both rows have the label 0
    pupils[["ks2_read_ss", "ks2_mat_ss"]] = pupils[["ks2_read_ss", "ks2_mat_ss"]].astype("Int64")
    scores = pupil_scores(pupils, WORKED, Settings(), {"202324": est})
    assert scores["p8_a8"].notna().tolist() == [True, False]   # no estimates for 2022/23


def test_progress8_without_outlier_floors_is_said_to_be_unadjusted(small_data, tmp_path):
    """The adjustment ran only when a floors file was there, and nothing said so when it was not."""
    import shutil

    from edstats.papers import Paper
    from edstats.runs import prepare_run, resolve_period
    from edstats.validate import validate_data

    data = tmp_path / "raw"
    shutil.copytree(small_data, data, ignore=shutil.ignore_patterns("attendance_sessions"))
    adjusted = prepare_run(data, Settings())
    paper = Paper(adjusted, resolve_period(adjusted, None), "council")
    tp = paper.reporting_period("ks4_p8_avg")
    assert adjusted.p8_outlier_adjusted[tp] and "is outlier-adjusted" in paper.kpm_notes()
    (data / "p8_estimates" / tp / "p8_outlier_floors.csv").unlink()
    warnings = validate_data(data).problems.query("severity == 'warning'")
    assert warnings["rule"].str.contains(f"p8_estimates/{tp}/ has no p8_outlier_floors.csv").any()
    unadjusted = prepare_run(data, Settings())
    assert unadjusted.p8_outlier_adjusted[tp] is False
    assert "is **not** outlier-adjusted" in Paper(unadjusted, resolve_period(unadjusted, None), "council").kpm_notes()


def test_the_outlier_threshold_is_dfes_one_percent_z_score():
    """As DfE's ``KS4 outliers.sql``: z-scores within each prior-attainment group, the threshold
    the z-score of the pupil at 1% (count // 100, lowest first); floors = threshold x group SD."""
    from edstats.measures.ks4 import outlier_z_threshold

    rng = np.random.default_rng(12)
    pag = pd.Series(rng.integers(1, 4, 5_000))
    p8 = pd.Series(rng.normal(0, 1, 5_000) * pag.map({1: 1.6, 2: 1.3, 3: 1.1}) - 0.02 * pag)
    p8.iloc[:40] -= 6                                          # a tail of extreme negative scores
    z = np.empty(len(p8))
    for group in (1, 2, 3):
        inside = (pag == group).to_numpy()
        z[inside] = (p8[inside] - p8[inside].mean()) / p8[inside].std(ddof=1)
    expected = np.sort(z)[5_000 // 100 - 1]
    assert outlier_z_threshold(p8, pag) == pytest.approx(expected, abs=1e-12)
    assert (z < expected).sum() == 49                          # 1% of pupils, less the one at the threshold


def test_an_la_average_with_and_without_the_floors():
    """Three pupils of group 18 with A8 42.97 (P8 0), 12.97 (P8 -3.0) and 0 (P8 -4.297): with a
    floor of -4.05 the third counts at -4.05, so the average is -2.35 against -2.43 without."""
    estimates = estimates_pag18()
    pupils = pd.DataFrame({"upn": ["Q1", "Q2", "Q3"], "academic_year": "2023/24", "prior": 103.75,
                           **{e: [0.0] * 3 for e in ("eng", "mat", "ebacc", "open")}, "a8": [42.97, 12.97, 0.0]})
    from edstats.measures.ks4 import add_progress8

    without = add_progress8(pupils, {"202324": estimates})
    floored = add_progress8(pupils, {"202324": P8Estimates(estimates.groups, estimates.sd, {18: -4.05}, "test")})
    assert without["p8_adjusted"].mean() == pytest.approx((0 - 3.0 - 4.297) / 3)
    assert floored["p8_adjusted"].tolist() == pytest.approx([0.0, -3.0, -4.05])
    assert floored["p8_adjusted"].mean() == pytest.approx((0 - 3.0 - 4.05) / 3)
