"""Disclosure control: primary and secondary suppression on hand-made tables where a naive
engine would leak a value, and the public outputs showing c."""

import pandas as pd
import pytest

from edstats.disclosure import primary_suppression, suppress

UNITS = pd.Series({"abs_persistent_pct": "%", "ks4_att8_avg": "score"})


def table(rows, measure_id="abs_persistent_pct"):
    return pd.DataFrame([{"measure_id": measure_id, "time_period": "202425", "breakdown_topic": t, "breakdown": b,
                          "numerator": n, "denominator": d, "value": 100 * n / d, "ci_lower": 0.0, "ci_upper": 0.0}
                         for t, b, n, d in rows])


def recoverable(frame):
    """Values a reader could work out: a hidden row alone among its topic's rows, given the Total."""
    leaks = []
    for topic, rows in frame[frame["breakdown_topic"] != "Total"].groupby("breakdown_topic"):
        if rows["suppressed"].sum() == 1:
            leaks.append(rows[rows["suppressed"]]["breakdown"].iloc[0])
    return leaks


def test_methodology_example_two_schools():
    """PA of 3 of 120 at school X, 25 of 205 at Y, total 28 of 325 (methodology 7.3)."""
    frame = table([("Total", "Total", 28, 325), ("School", "X", 3, 120), ("School", "Y", 25, 205)])
    naive = frame.assign(suppressed=primary_suppression(frame, 5, UNITS))
    assert naive["suppressed"].tolist() == [False, True, False]
    assert recoverable(naive) == ["X"], "primary suppression alone leaks: 28 - 25 = 3"
    safe = suppress(frame, 5, UNITS)
    assert safe["suppressed"].tolist() == [False, True, True]
    assert recoverable(safe) == []


def test_secondary_picks_the_smallest_sibling_and_repeats_until_safe():
    frame = table([("Total", "Total", 120, 1000), ("Ethnicity", "A", 2, 40), ("Ethnicity", "B", 30, 300),
                   ("Ethnicity", "C", 8, 60), ("Ethnicity", "D", 80, 600),
                   ("Sex", "F", 60, 500), ("Sex", "M", 60, 500)])
    safe = suppress(frame, 5, UNITS).set_index("breakdown")["suppressed"]
    assert safe["A"] and safe["C"], "C is the smallest visible sibling of A"
    assert not safe["B"] and not safe["D"] and not safe["F"]
    assert recoverable(suppress(frame, 5, UNITS)) == []


def test_schools_within_a_district_are_protected_against_the_district_total():
    frame = table([("Total", "Total", 100, 1000), ("School district", "North", 40, 400),
                   ("School district", "South", 60, 600), ("School", "100001", 3, 150), ("School", "100002", 37, 250),
                   ("School", "100003", 20, 300), ("School", "100004", 40, 300)])
    districts = {"100001": "North", "100002": "North", "100003": "South", "100004": "South"}
    safe = suppress(frame, 5, UNITS, {"School": districts}).set_index("breakdown")["suppressed"]
    assert safe["100001"] and safe["100002"], "100002 would give 100001 away as North - 100002"
    assert not safe["100003"] and not safe["100004"]


@pytest.mark.parametrize("numerator, denominator, hidden", [
    (4, 100, True), (5, 100, False), (0, 100, False),     # a true zero is shown
    (96, 100, True), (95, 100, False), (100, 100, False),  # the complement: 96 of 100 tells 4 did not
    (3, 4, True), (50, 60, False),
])
def test_primary_thresholds(numerator, denominator, hidden):
    frame = table([("Total", "Total", numerator, denominator)])
    assert primary_suppression(frame, 5, UNITS).iloc[0] == hidden


def test_averages_are_suppressed_on_their_denominator_only():
    frame = table([("Total", "Total", 3.0, 40)], measure_id="ks4_att8_avg")   # a sum of points is not a count
    assert not primary_suppression(frame, 5, UNITS).iloc[0]
    frame = table([("Total", "Total", 180.0, 4)], measure_id="ks4_att8_avg")
    assert primary_suppression(frame, 5, UNITS).iloc[0]


def test_threshold_is_configurable():
    frame = table([("Total", "Total", 8, 100)])
    assert not primary_suppression(frame, 5, UNITS).iloc[0]
    assert primary_suppression(frame, 10, UNITS).iloc[0]


def test_a_charts_bars_are_suppressed_like_any_sum():
    """Bars that add up to a known whole (exclusions by days to provision): a bar of 3 is hidden,
    and the smallest other bar with it; a true zero is shown."""
    from edstats.disclosure import suppress_parts

    assert suppress_parts(pd.Series([40, 3, 12, 0, 9]), 5).tolist() == [False, True, False, False, True]
    assert suppress_parts(pd.Series([40, 12, 0]), 5).tolist() == [False, False, False]


def test_a_month_of_the_neet_chart_with_few_young_people_is_hidden(small_data):
    from edstats.papers import Paper
    from edstats.runs import prepare_run, resolve_period
    from edstats.settings import Settings

    run = prepare_run(small_data, Settings())
    frame = run.series["neet_by_month"].copy()
    frame.loc[frame.index[-1], "NEET"] = 3
    frame.loc[frame.index[-2], "NOT_KNOWN"] = frame.loc[frame.index[-2], "cohort"] - 2     # the complement: 2 known
    run.series["neet_by_month"] = frame
    shown = Paper(run, resolve_period(run, None), "scrutiny").neet_by_month()
    assert pd.isna(shown["neet_pct"].iloc[-1]) and not pd.isna(shown["nk_pct"].iloc[-1])
    assert pd.isna(shown["nk_pct"].iloc[-2])
    assert shown["neet_pct"].iloc[:-1].notna().all()
