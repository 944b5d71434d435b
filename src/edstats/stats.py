"""Confidence intervals and DfE-style rounding.

All arithmetic is on unrounded values; :func:`round_half_up` is for presentation only.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd


def wilson_interval(successes, trials, alpha: float = 0.05):
    """Wilson score interval for a proportion, as percentages (0-100).

    Parameters: ``successes`` and ``trials`` are counts (scalars or arrays); ``alpha`` is
    one minus the confidence level. Returns ``(lower, upper)``; NaN where ``trials`` is 0.

    >>> [round(x, 2) for x in wilson_interval(2, 4)]
    [15.0, 85.0]
    """
    from statsmodels.stats.proportion import proportion_confint   # here: the papers' kernels never need it

    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    safe_n = np.where(n > 0, n, 1.0)
    lower, upper = proportion_confint(k, safe_n, alpha=alpha, method="wilson")
    lower = np.where(n > 0, lower * 100.0, np.nan)
    upper = np.where(n > 0, upper * 100.0, np.nan)
    if lower.ndim == 0:
        return float(lower), float(upper)
    return lower, upper


def mean_t_interval(mean, sd, n, alpha: float = 0.05):
    """t-based confidence interval for a mean from its sample SD and size.

    Returns ``(lower, upper)``; NaN where ``n < 2``.

    >>> [round(x, 3) for x in mean_t_interval(10.0, 2.0, 16)]
    [8.934, 11.066]
    """
    from scipy import stats as _scipy_stats    # here: the papers' kernels never need it

    mean = np.asarray(mean, dtype=float)
    sd = np.asarray(sd, dtype=float)
    n = np.asarray(n, dtype=float)
    ok = n >= 2
    dof = np.where(ok, n - 1, 1)
    t = _scipy_stats.t.ppf(1 - alpha / 2, dof)
    half = np.where(ok, t * sd / np.sqrt(np.where(ok, n, 1)), np.nan)
    lower, upper = mean - half, mean + half
    if lower.ndim == 0:
        return float(lower), float(upper)
    return lower, upper


def two_proportion_p_value(successes_1, trials_1, successes_2, trials_2) -> float:
    """Two-sided p-value of the pooled two-proportion z-test (statsmodels' ``proportions_ztest``
    with its defaults, which the tests check this against); NaN when both proportions are 0 or 1.

    >>> round(two_proportion_p_value(660, 1000, 600, 1000), 4)
    0.0052
    """
    pooled = (successes_1 + successes_2) / (trials_1 + trials_2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / trials_1 + 1 / trials_2))
    if se == 0:
        return float("nan")
    z = (successes_1 / trials_1 - successes_2 / trials_2) / se
    return math.erfc(abs(z) / math.sqrt(2))


def round_half_up(value, dp: int = 0):
    """Round as DfE publishes: halves go away from zero (2.5 -> 3, 66.25 -> 66.3 at 1 dp).

    Python's ``round`` rounds halves to even and works on binary floats, so ``round(0.125, 2)``
    gives 0.12; DfE's tables would show 0.13. Returns NaN for missing values.

    >>> round_half_up(66.25, 1), round_half_up(2.5), round_half_up(-0.125, 2)
    (66.3, 3.0, -0.13)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return float("nan")
    quantum = Decimal(1).scaleb(-dp)
    # repr() gives the shortest decimal that round-trips, so 0.125 stays 0.125.
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def shown_difference(value, other, dp: int = 0) -> float:
    """The difference a reader sees: ``value`` and ``other`` each rounded half-up to ``dp`` places,
    then subtracted (61.4 -> 61.6 at 0 dp is 61 -> 62, a change of +1, not 0.2 rounded to 0).
    Every comparison word (up, down, no change, better, worse) and every change shown is made from it.

    >>> shown_difference(61.6, 61.4), shown_difference(58.05, 61.9, 1)
    (1.0, -3.8)
    """
    return round_half_up(round_half_up(value, dp) - round_half_up(other, dp), dp)


#: The minus sign the papers print (U+2212): one sign in every sentence, table and chart label,
#: as typst would otherwise turn some hyphens into minus signs and leave others.
MINUS = "\u2212"


def format_number(value, dp: int = 0) -> str:
    """A value rounded half-up to ``dp`` places as text, with thousands separators and a true
    minus sign; a value that rounds to zero has no sign.

    >>> format_number(1234.5), format_number(66.25, 1), format_number(-0.03, 2), format_number(-0.004, 2)
    ('1,235', '66.3', '−0.03', '0.00')
    """
    rounded = round_half_up(value, dp)
    return f"{abs(rounded) if rounded == 0 else rounded:,.{dp}f}".replace("-", MINUS)


def is_missing(value) -> bool:
    """Whether a single value is missing: None, pandas' NA or NaN."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def format_signed(difference: float, dp: int) -> str:
    """A difference as :func:`format_number` writes it, with its sign: '+1.0', '−0.3'; a zero shows
    no sign ('0.0')."""
    rounded = round_half_up(difference, dp)
    return format_number(0.0, dp) if rounded == 0 else ("+" if rounded > 0 else "") + format_number(rounded, dp)


def format_value(value, unit: str, dp: int) -> str:
    """A measure's value as the papers show it: :func:`format_number` with a % for a percentage,
    and 'x' (not available) for a missing value."""
    if is_missing(value):
        return "x"
    text = format_number(value, dp)
    return f"{text}%" if unit == "%" else text


#: The funnel plot's limits: 95% (z = 1.96) and 99.8% (z = 3.09); a school outside the 99.8% limits
#: is flagged.
FUNNEL_LIMITS = ((1.96, "95% limits"), (3.09, "99.8% limits"))
FUNNEL_FLAG_Z = 3.09


def funnel_half_width(overall: float, pupils, z: float):
    """Half the width (percentage points) of a funnel plot's limits around the LA's rate
    ``overall`` (%) for a school of ``pupils``: z x the binomial SE of the LA's rate at that size."""
    p = overall / 100
    return z * np.sqrt(p * (1 - p) / np.asarray(pupils, dtype=float)) * 100


def outside_funnel(values, pupils, overall: float) -> tuple[np.ndarray, np.ndarray]:
    """(above, below): the schools (``values`` %, ``pupils``) beyond the 99.8% limits."""
    half = funnel_half_width(overall, pupils, FUNNEL_FLAG_Z)
    values = np.asarray(values, dtype=float)
    return values > overall + half, values < overall - half
