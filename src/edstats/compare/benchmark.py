"""The comparison maths: England, region, statistical-neighbour and core-cities averages, rank,
quartile band, direction of travel, significance, targets and status — LAIT's conventions.

* Averages of a group are the simple (unweighted) mean of the members' values; a member with no
  value is left out of the mean, and the number used is kept beside it.
* Rank among all LAs with a value: 1 is best by the measure's polarity; ties take the lowest rank.
* Quartile band: cut-points are R's default (type 7) quantiles of all LAs' values; A is the best
  quarter, D the worst; a value exactly on a cut-point falls in the lower-valued band.
* Direction of travel: against the previous year only when the two years are consecutive and no
  series break lies between; the word follows polarity ("better"/"worse"/"no change").
* Significance: a change, or a difference from England, is significant at 95% when a two-proportion
  z-test on the counts says so (percentages with counts), otherwise when the LA's 95% interval
  excludes the comparison value; without counts or an interval it is not assessed.
* Status against a target: "Met" (green) when at or better than target, "Close" (amber) within
  the measure's amber margin, "Not met" (red) otherwise — always a word, never colour alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import shown_difference, two_proportion_p_value

BANDS = ("A", "B", "C", "D")


def group_average(values: pd.Series) -> tuple[float, int]:
    """(mean of the values present, how many were present)."""
    present = values.dropna()
    return (float(present.mean()) if len(present) else float("nan")), int(len(present))


def rank_of(values: pd.Series, polarity: str) -> pd.Series:
    """Rank of every value, 1 best; ties take the lowest rank; missing values get no rank."""
    return values.rank(method="min", ascending=(polarity == "lower"), na_option="keep")


def quartile_cuts(values: pd.Series) -> tuple[float, float, float]:
    """Type-7 quartiles (R's default, numpy's 'linear')."""
    v = values.dropna().to_numpy(dtype=float)
    return tuple(float(np.quantile(v, q, method="linear")) for q in (0.25, 0.5, 0.75))


def quartile_band(value: float, cuts: tuple[float, float, float], polarity: str) -> str:
    """A (best quarter) to D (worst); on a cut-point the lower-valued band."""
    if value is None or np.isnan(value):
        return ""
    q1, q2, q3 = cuts
    position = 0 if value <= q1 else 1 if value <= q2 else 2 if value <= q3 else 3   # 0 = lowest values
    return BANDS[3 - position] if polarity == "higher" else BANDS[position]


def direction(value: float, previous: float, polarity: str, dp: int) -> tuple[str, str]:
    """(arrow, word) for the change from ``previous`` to ``value``, judged on the values as shown
    (:func:`edstats.stats.shown_difference`)."""
    if not _known(value, previous):
        return "", ""
    change = shown_difference(value, previous, dp)
    if change == 0:
        return "►", "no change"
    better = (change > 0) == (polarity == "higher")
    return ("▲" if change > 0 else "▼"), ("better" if better else "worse")


def _known(*values) -> bool:
    return all(v is not None and not (isinstance(v, float) and np.isnan(v)) for v in values)


def significant_difference(value, lower, upper, other, num=None, den=None, other_num=None, other_den=None,
                           unit="%", other_lower=None, other_upper=None) -> bool | None:
    """Is ``value`` significantly different (95%) from ``other``? None when it cannot be assessed.

    Proportions with counts on both sides: a two-proportion z-test. Two values with intervals: a
    z-test on the difference, each standard error taken from its 95% interval. One interval: does
    it exclude the other value (treated as fixed, as England's is)?
    """
    if not _known(other, value):
        return None
    if unit in ("%", "per 100") and _known(num, den, other_num, other_den) and den > 0 and other_den > 0:
        p = two_proportion_p_value(num, den, other_num, other_den)   # NaN (0% or 100% on both sides): not significant
        return bool(p < 0.05)
    if _known(lower, upper, other_lower, other_upper):
        se = np.hypot((upper - lower) / (2 * 1.959964), (other_upper - other_lower) / (2 * 1.959964))
        return bool(se > 0 and abs(value - other) / se > 1.959964)
    if _known(lower, upper):
        return bool(other < lower or other > upper)
    return None


def target_status(value: float, target: float | None, polarity: str, amber: float) -> str:
    """'Met', 'Close' or 'Not met' against ``target`` (within ``amber`` of it is Close); '' without one."""
    if target is None or value is None or np.isnan(value) or np.isnan(target):
        return ""
    gap = (value - target) if polarity == "higher" else (target - value)
    return "Met" if gap >= 0 else "Close" if gap >= -amber else "Not met"


STATUS_COLOURS = {"Met": "#1b7837", "Close": "#b35806", "Not met": "#b2182b"}
