"""Key stage 4: methodology section 3.11's worked example, slot-filling rules, P8 and its interval."""

import math

import numpy as np
import pandas as pd
import pytest

from edstats.compare.p8_estimates import P8Estimates, read_p8_estimates
from edstats.measures.ks4 import attainment8, attainment8_by_year, ks4_measures, pupil_scores
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


def test_attainment8_year_by_year_is_every_year_at_once():
    """The same UPN in two years (a pupil resitting), each year with other results and pupils:
    worked out a year at a time, each (UPN, year) scores exactly as over every year at once."""
    worked_again = WORKED.assign(academic_year="2024/25", grade=["9", "4", "3", "7", "6-5", "2", "8"])
    other = results(gcse("Mathematics", "MATHS", "7"), gcse("Physics", "SCI_PHYS", "8"), upn="Q999216000002")
    frame = pd.concat([WORKED, other, worked_again, other.assign(academic_year="2024/25")], ignore_index=True)
    by_year, at_once = attainment8_by_year(frame, Settings()), attainment8(frame, Settings())
    assert len(by_year) == 4
    pd.testing.assert_frame_equal(by_year.sort_index(), at_once.sort_index())
    assert by_year.loc[(UPN, "2023/24"), "a8"] == 54 and by_year.loc[(UPN, "2024/25"), "a8"] != 54


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
    from edstats.measures.ks4 import p8_result
    frame = pd.DataFrame({"academic_year": "2023/24", "v": (a8_points - 42.97) / 10})
    out = p8_result(frame, frame["v"], "ks4_p8_avg", {"202324": est.sd["a8"]}, {}).iloc[0]
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
