"""Disclosure control for public outputs: suppression of small numbers, GSS symbols.

A count of 1 to ``threshold - 1`` pupils is suppressed, and so is a rate or average whose
numerator count or denominator is in that range. Suppressed cells show ``c``; ``x`` marks a
figure that is not available, ``z`` one that does not apply, ``low`` one that rounds to zero.
"""

from __future__ import annotations

import pandas as pd

SYMBOLS = {
    "c": "confidential: suppressed to protect individuals (fewer than the threshold of pupils)",
    "x": "not available (not collected, or not in the data supplied)",
    "z": "not applicable",
    "low": "rounds to 0 but is not 0",
}

#: Units whose numerator is a count of pupils (a sum of scores is not a count).
_COUNT_NUMERATOR_UNITS = {"%", "per 100", "pupils"}


def _small(series: pd.Series, threshold: int) -> pd.Series:
    return (series > 0) & (series < threshold)


def suppress(results: pd.DataFrame, threshold: int, units: pd.Series) -> pd.DataFrame:
    """Mark results for suppression (primary suppression).

    Returns a copy of ``results`` with a boolean column ``suppressed``. ``units`` maps each
    ``measure_id`` to its unit (from the measure dictionary).
    """
    out = results.copy()
    unit = out["measure_id"].map(units)
    numerator_is_count = unit.isin(_COUNT_NUMERATOR_UNITS)
    out["suppressed"] = _small(out["denominator"], threshold) | (
        numerator_is_count & _small(out["numerator"], threshold))
    return out
