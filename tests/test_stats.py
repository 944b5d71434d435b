"""Confidence intervals and DfE rounding, against formulas written out independently here."""

import math

import pytest

from edstats.stats import format_number, mean_t_interval, round_half_up, wilson_interval


@pytest.mark.parametrize("value, dp, expected", [
    (66.25, 1, 66.3),      # a half goes up (Python's round would give 66.2)
    (66.35, 1, 66.4),
    (2.5, 0, 3.0),         # round() gives 2
    (0.125, 2, 0.13),      # binary floats: round(0.125, 2) is 0.12
    (-0.125, 2, -0.13),    # halves go away from zero
    (62.449, 1, 62.4),
    (14.75, 1, 14.8),
])
def test_round_half_up(value, dp, expected):
    assert round_half_up(value, dp) == expected


def test_round_half_up_missing_is_nan():
    assert math.isnan(round_half_up(float("nan"), 1))


def test_format_number_uses_half_up_and_separators():
    assert format_number(16387.5) == "16,388"
    assert format_number(0.0, 1) == "0.0"


def _wilson(k, n, z=1.959963984540054):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100 * (centre - half), 100 * (centre + half)


@pytest.mark.parametrize("k, n", [(2, 4), (0, 10), (10, 10), (10550, 15289), (3, 7)])
def test_wilson_interval_matches_the_textbook_formula(k, n):
    lower, upper = wilson_interval(k, n)
    exp_lower, exp_upper = _wilson(k, n)
    assert lower == pytest.approx(exp_lower, abs=1e-9)
    assert upper == pytest.approx(exp_upper, abs=1e-9)


def test_wilson_interval_with_no_trials_is_nan():
    lower, upper = wilson_interval(0, 0)
    assert math.isnan(lower) and math.isnan(upper)


def test_t_interval_uses_the_t_distribution():
    # t(0.975, 15) = 2.131449546 (statistical tables); 2.131449546 * 2 / 4 = 1.065724773
    lower, upper = mean_t_interval(10.0, 2.0, 16)
    assert lower == pytest.approx(10 - 1.065724773, abs=1e-6)
    assert upper == pytest.approx(10 + 1.065724773, abs=1e-6)


def test_two_proportion_p_value_is_statsmodels_proportions_ztest():
    import itertools

    import numpy as np
    from statsmodels.stats.proportion import proportions_ztest

    from edstats.stats import two_proportion_p_value

    for (x1, n1), (x2, n2) in itertools.product([(0, 10), (3, 10), (10, 10), (660, 1000), (1, 3), (250, 251)],
                                                repeat=2):
        with np.errstate(all="ignore"):
            _, expected = proportions_ztest([x1, x2], [n1, n2])
        got = two_proportion_p_value(x1, n1, x2, n2)
        assert (np.isnan(got) and np.isnan(expected)) or abs(got - expected) < 1e-12, ((x1, n1, x2, n2), got, expected)


def test_a_signed_difference_and_a_measures_value_are_written_as_the_papers_write_them():
    from edstats.stats import format_signed, format_value

    assert format_signed(0.25, 1) == "+0.3" and format_signed(-1234.5, 0) == "\u22121,235"
    assert format_signed(-0.04, 1) == "0.0", "a difference that rounds to zero has no sign"
    assert format_value(66.25, "%", 1) == "66.3%" and format_value(4.123, "score", 2) == "4.12"
    assert format_value(None, "%", 1) == format_value(float("nan"), "%", 1) == "x"
