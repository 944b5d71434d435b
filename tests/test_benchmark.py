"""Benchmarking: rank and band boundaries (LAIT's rules), group averages with a missing member,
series breaks, significance and targets, edstats.yml validation."""

import numpy as np
import pandas as pd
import pytest

from edstats.compare import benchmark
from edstats.compare.kpm import build_kpm
from edstats.compare.table import COMPARATOR_COLUMNS
from edstats.errors import SettingsError
from edstats.settings import LocalAuthority, Settings, load_settings

PA = pd.Series([15, 16, 17, 17, 18, 19, 20, 21, 22, 24], dtype=float)   # methodology 8.4, low is good


def test_worked_example_quartiles_rank_and_band():
    assert benchmark.quartile_cuts(PA) == (17.0, 18.5, 20.75)
    ranks = benchmark.rank_of(PA, "lower")
    assert ranks[2] == 3 and ranks[3] == 3          # the two 17s tie at rank 3
    assert ranks[7] == 8
    cuts = benchmark.quartile_cuts(PA)
    assert benchmark.quartile_band(17, cuts, "lower") == "A"   # on the cut-point: the lower-valued band
    assert benchmark.quartile_band(21, cuts, "lower") == "D"
    assert benchmark.direction(21, 22, "lower", 0) == ("▼", "better")


@pytest.mark.parametrize("value, previous, dp, polarity, expected", [
    (61.6, 61.4, 0, "higher", ("▲", "better")),      # shown 61 -> 62: up 1, not 0.2 rounded to "no change"
    (61.4, 61.6, 0, "higher", ("▼", "worse")),
    (61.4, 60.6, 0, "higher", ("►", "no change")),   # shown 61 -> 61, though 0.8 apart
    (0.125, 0.115, 2, "lower", ("▲", "worse")),      # 0.13 against 0.12 half-up (Python's round: 0.12 and 0.12)
    (58.05, 61.9, 1, "higher", ("▼", "worse")),
])
def test_direction_is_judged_on_the_values_shown(value, previous, dp, polarity, expected):
    assert benchmark.direction(value, previous, polarity, dp) == expected


def test_the_change_in_the_table_and_in_the_key_message_are_one_number():
    """Key message 'down 3.9 percentage points' beside the table's '-3.8' (unrounded -3.85): both
    are now the difference of the values shown, 58.1 - 61.9 = -3.8."""
    from edstats.narrative import key_message
    from edstats.stats import format_signed, shown_difference

    row = {"value": 58.05, "previous_value": 61.9, "change": 58.05 - 61.9, "suppressed": False}
    message = key_message(row, "GLD", "%", 1, "higher", "2024/25", "2023/24")
    assert "down 3.8 percentage points" in message
    assert format_signed(shown_difference(58.05, 61.9, 1), 1) == "\u22123.8"


@pytest.mark.parametrize("value, polarity, band", [
    (25.0, "higher", "D"), (25.1, "higher", "C"), (50.0, "higher", "C"), (50.1, "higher", "B"), (75.0, "higher", "B"),
    (75.1, "higher", "A"), (25.0, "lower", "A"), (25.1, "lower", "B"), (75.1, "lower", "D"),
])
def test_band_boundaries_both_polarities(value, polarity, band):
    assert benchmark.quartile_band(value, (25.0, 50.0, 75.0), polarity) == band


def test_rank_high_is_good_ties_take_the_lowest_rank_and_missing_values_get_none():
    ranks = benchmark.rank_of(pd.Series([70.0, 80.0, 80.0, np.nan, 60.0]), "higher")
    assert ranks.tolist()[:3] == [3.0, 1.0, 1.0]
    assert np.isnan(ranks[3]) and ranks[4] == 4


def test_group_average_leaves_out_a_missing_member():
    assert benchmark.group_average(pd.Series([60.0, np.nan, 70.0])) == (65.0, 2)
    mean, n = benchmark.group_average(pd.Series([np.nan, np.nan]))
    assert np.isnan(mean) and n == 0


@pytest.mark.parametrize("value, target, polarity, status", [
    (67.0, 67.0, "higher", "Met"), (66.5, 67.0, "higher", "Close"), (65.9, 67.0, "higher", "Not met"),
    (19.0, 19.0, "lower", "Met"), (19.8, 19.0, "lower", "Close"), (20.5, 19.0, "lower", "Not met"),
])
def test_target_status_is_a_word(value, target, polarity, status):
    assert benchmark.target_status(value, target, polarity, 1.0) == status


def test_significance_from_counts_and_from_intervals():
    assert benchmark.significant_difference(66.0, None, None, 60.0, 660, 1000, 600, 1000) is True
    assert benchmark.significant_difference(61.0, None, None, 60.0, 61, 100, 60, 100) is False
    assert benchmark.significant_difference(0.20, -0.03, 0.43, 0.0, unit="score") is False   # interval holds 0
    assert benchmark.significant_difference(0.30, 0.07, 0.53, 0.0, unit="score") is True
    assert benchmark.significant_difference(46.0, None, None, 45.0, unit="score") is None


def comparators(rows):
    if not rows:
        return pd.DataFrame(columns=COMPARATOR_COLUMNS)
    return pd.DataFrame([{"measure_id": m, "time_period": tp, "geographic_level": lvl, "area_code": "", "old_la_code": code,
                          "area_name": name, "breakdown_topic": "Total", "breakdown": "Total", "value": v,
                          "numerator": np.nan, "denominator": np.nan, "source": "t", "release": "t"}
                         for m, tp, lvl, code, name, v in rows])


def results(rows):
    return pd.DataFrame([{"measure_id": m, "time_period": tp, "breakdown_topic": "Total", "breakdown": "Total",
                          "numerator": np.nan, "denominator": np.nan, "value": v, "ci_lower": np.nan, "ci_upper": np.nan,
                          "suppressed": False} for m, tp, v in rows])


GROUPS = pd.DataFrame([{"group_type": "statistical_neighbours", "vintage": "2025", "la_code": "999", "member_code": c,
                        "rank": str(i), "closeness": ""} for i, c in enumerate(["001", "002", "003"], start=1)])
SETTINGS = Settings(la=LocalAuthority(old_la_code="999"))


def test_sn_average_with_a_missing_neighbour_in_kpm():
    table = comparators([("eyfs_gld_pct", "202425", "Local authority", "001", "A", 60.0),
                         ("eyfs_gld_pct", "202425", "Local authority", "002", "B", np.nan),     # no value
                         ("eyfs_gld_pct", "202425", "Local authority", "003", "C", 70.0),
                         ("eyfs_gld_pct", "202425", "National", "", "England", 68.0)])
    kpm = build_kpm(results([("eyfs_gld_pct", "202425", 66.0)]), table, GROUPS, SETTINGS)
    row = kpm.iloc[0]
    assert (row["sn_average"], row["sn_count"], row["sn_vintage"]) == (65.0, 2, "2025")
    assert row["england"] == 68.0


def test_series_break_stops_direction_of_travel():
    own = results([("ks4_att8_avg", "202122", 47.0), ("ks4_att8_avg", "202223", 45.0), ("ks4_att8_avg", "202324", 45.5)])
    kpm = build_kpm(own, comparators([]), GROUPS, SETTINGS).set_index("time_period")
    assert kpm.loc["202223", "direction"] == "" and bool(kpm.loc["202223", "series_break"])   # GCSE grading returned
    assert kpm.loc["202324", "direction_word"] == "better"


def test_a_gap_in_years_stops_direction_of_travel():
    own = results([("eyfs_gld_pct", "201819", 70.0), ("eyfs_gld_pct", "202122", 62.0)])
    kpm = build_kpm(own, comparators([]), GROUPS, SETTINGS).set_index("time_period")
    assert kpm.loc["202122", "direction"] == ""


def test_settings_are_validated_with_clear_messages(tmp_path):
    path = tmp_path / "edstats.yml"
    path.write_text("suppresion_threshold: 5\n")
    with pytest.raises(SettingsError, match="unknown setting.*suppresion_threshold"):
        load_settings(path)
    path.write_text("suppression_threshold: five\n")
    with pytest.raises(SettingsError, match="must be a int"):
        load_settings(path)
    path.write_text("targets:\n  eyfs_gdl_pct: {2024/25: 67}\n")
    with pytest.raises(SettingsError, match="unknown measure 'eyfs_gdl_pct'"):
        load_settings(path)
    path.write_text("methodology:\n  neet_average: median\n")
    with pytest.raises(SettingsError, match="one of rates, counts"):
        load_settings(path)
    path.write_text("targets:\n  eyfs_gld_pct: {2024/25: 67}\ncomparators:\n  core_cities: [Leeds, 330]\n")
    settings = load_settings(path)
    assert settings.targets == {"eyfs_gld_pct": {"2024/25": 67.0}}
    assert settings.comparators.core_cities == ("Leeds", "330")


def test_overall_absence_is_not_tested_as_if_every_session_were_independent():
    """A fall of 0.12 points over 10 million sessions: a two-proportion test on the sessions calls
    it significant (p < 0.001); with each pupil's sessions a cluster (the intervals) it is not."""
    from edstats.compare.kpm import build_kpm
    from edstats.settings import Settings
    from edstats.stats import two_proportion_p_value

    rows = [("202324", 500_000, 4.70, 5.30), ("202425", 488_000, 4.58, 5.18)]
    results = pd.DataFrame([{"measure_id": "abs_overall_pct", "time_period": tp, "breakdown_topic": "Total",
                             "breakdown": "Total", "numerator": float(n), "denominator": 1e7, "value": n / 1e5,
                             "ci_lower": lo, "ci_upper": hi, "suppressed": False} for tp, n, lo, hi in rows])
    table = pd.DataFrame(columns=["measure_id", "time_period", "geographic_level", "area_code", "old_la_code",
                                  "area_name", "breakdown_topic", "breakdown", "value", "numerator", "denominator",
                                  "source", "release"])
    groups = pd.DataFrame(columns=["group_type", "vintage", "la_code", "member_code", "rank", "closeness"])
    kpm = build_kpm(results, table, groups, Settings()).set_index("time_period")
    assert kpm.loc["202425", "direction_word"] == "better"
    significant = kpm.loc["202425", "change_significant"]
    assert significant is not None and not significant, "tested, and not significant"
    assert two_proportion_p_value(488_000, 1e7, 500_000, 1e7) < 0.001, "as the sessions test had it"
