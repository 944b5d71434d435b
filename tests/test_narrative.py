"""Key messages: each narrative rule on hand-made comparison rows."""

import math

from edstats.narrative import key_message

NAN = math.nan


def row(**kw):
    base = {"value": 65.9, "suppressed": False, "previous_value": 64.9, "change": 1.0, "series_break": False,
            "change_significant": True, "england": 67.4, "vs_england_significant": True, "sn_average": 66.4,
            "core_cities_average": 65.2, "previous_paper_value": NAN}
    return base | kw


def gld(r, previous_year="2023/24"):
    return key_message(r, "Good level of development", "%", 1, "higher", "2024/25", previous_year)


def test_improvement_that_is_significant_and_comparisons():
    text = gld(row())
    assert "65.9% in 2024/25, up 1.0 percentage points from 64.9% in 2023/24 (better, a statistically significant change)" in text
    assert "Significantly below England (67.4%)." in text
    assert "Below statistical neighbours (66.4%)." in text and "Above core cities (65.2%)." in text


def test_decline_on_a_low_is_good_measure_reads_as_better():
    text = key_message(row(value=20.96, previous_value=23.3, change=-2.34, england=18.14, sn_average=NAN,
                           core_cities_average=NAN), "Persistent absence", "%", 2, "lower", "2024/25", "2023/24")
    assert "down 2.34 percentage points from 23.30% in 2023/24 (better" in text
    assert "Significantly above England (18.14%)" in text


def test_no_previous_year():
    assert "there is no earlier year to compare with" in gld(row(previous_value=NAN, change=NAN), previous_year="")


def test_series_break_stops_the_comparison():
    text = gld(row(series_break=True))
    assert "not compared with 2023/24 because the series changed" in text and "up" not in text


def test_suppressed_value_is_not_described():
    text = gld(row(suppressed=True, value=NAN))
    assert text == "**Good level of development**: the 2024/25 figure is suppressed (c) because it concerns very few pupils."


def test_no_change_after_rounding():
    assert ", the same as in 2023/24 (64.9%)." in gld(row(value=64.94, previous_value=64.91, change=0.03))


def test_tie_with_england_and_neighbours_after_rounding():
    text = gld(row(england=65.94, sn_average=65.86, vs_england_significant=False))
    assert "The same as England (65.9%)." in text and "The same as statistical neighbours (65.9%)." in text


def test_not_significant_difference_from_england_is_said_so():
    assert "Below England (67.4%), but not significantly." in gld(row(vs_england_significant=False))


def test_since_the_last_paper():
    assert "Up from 65.0% in the last paper." in gld(row(previous_paper_value=65.0))
    assert "Unchanged since the last paper." in gld(row(previous_paper_value=65.9))


def test_no_test_means_no_word_about_significance():
    """Issue 19 item 2: 'but not significantly' was said where no test had been run (a published
    figure without counts); without a test the sentence says only above or below."""
    for untested in (None, NAN):
        text = gld(row(vs_england_significant=untested, change_significant=untested))
        assert "Below England (67.4%)." in text
        assert "significan" not in text


def test_one_percentage_point_is_singular():
    text = key_message(row(value=62, previous_value=61, change=1), "RWM", "%", 0, "higher", "2024/25", "2023/24")
    assert "up 1 percentage point from 61%" in text
    text = key_message(row(value=63, previous_value=61, change=2), "RWM", "%", 0, "higher", "2024/25", "2023/24")
    assert "up 2 percentage points from 61%" in text


def test_negative_values_use_one_minus_sign():
    """Issue 19 item 9: '−0.11' and '-0.03' in one sentence; every negative number has U+2212."""
    text = key_message(row(value=-0.11, previous_value=-0.08, change=-0.03, england=-0.03, sn_average=NAN,
                           core_cities_average=NAN, change_significant=NAN), "Progress 8", "score", 2, "higher",
                       "2023/24", "2022/23")
    assert "\u22120.11 in 2023/24, down 0.03 from \u22120.08" in text and "England (\u22120.03)" in text
    assert "-" not in text.replace("2023/24", "").replace("2022/23", "")


def test_a_year_to_date_figure_is_not_compared_with_a_full_year():
    """Issue 19 item 5: a part-year figure was compared with the whole previous year."""
    text = gld(row(to_date="2025-12-19"))
    assert "not compared with the whole of 2023/24, as this year's figure runs only to 19 December 2025." in text
    assert " up " not in text and "better" not in text


def test_key_message_states_the_target_and_next_years():
    text = gld(row(time_period="202425", target=67.0, status="Not met", next_period="202526", next_target=68.0))
    assert "Target for 2024/25: 67.0%, not met. The target for 2025/26 is 68.0%." in text
    assert "Target for 2024/25: 65.0%, met." in gld(row(time_period="202425", target=65.0, status="Met"))
    assert "arget" not in gld(row())
