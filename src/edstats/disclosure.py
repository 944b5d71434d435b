"""Disclosure control for public outputs: primary and secondary suppression, GSS symbols.

Primary suppression hides a row (numerator, denominator, value and interval) when it describes
1 to ``threshold - 1`` pupils: a denominator in that range, a count numerator in that range, or
(for percentages of pupils) a complement — the pupils *not* counted — in that range, since
"29 of 30" tells as much as "1 of 30".

Secondary suppression stops a hidden row being worked out by subtraction. Rows of one breakdown
topic (e.g. the schools, or the sexes) add up to the topic's Total row; when exactly one of them is
hidden, the next smallest is hidden too, and this repeats until no group has a single hidden row.
Groups can also be nested (schools within a district): pass them as ``extra_groups``.

Symbols (GSS): ``c`` suppressed, ``x`` not available, ``z`` not applicable, ``low`` rounds to 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SYMBOLS = {
    "c": "confidential: suppressed to protect individuals (fewer than the threshold of pupils, or a "
         "figure that would let one be worked out)",
    "x": "not available (not collected, or not in the data supplied)",
    "z": "not applicable",
    "low": "rounds to 0 but is not 0",
}

#: Units whose numerator is a count of pupils or sessions (a sum of scores is not a count).
_COUNT_NUMERATOR_UNITS = {"%", "per 100", "pupils"}
_PERCENT_OF_PUPILS = {"%"}


def _small(series: pd.Series, threshold: int) -> pd.Series:
    return ((series > 0) & (series < threshold)).fillna(False)


def primary_suppression(results: pd.DataFrame, threshold: int, units: pd.Series) -> pd.Series:
    """True for rows that describe fewer than ``threshold`` pupils (see module notes)."""
    unit = results["measure_id"].map(units)
    counts = unit.isin(_COUNT_NUMERATOR_UNITS)
    percent = unit.isin(_PERCENT_OF_PUPILS)
    complement = results["denominator"] - results["numerator"]
    return (_small(results["denominator"], threshold) | (counts & _small(results["numerator"], threshold))
            | (percent & _small(complement, threshold))).astype(bool)


def secondary_suppression(results: pd.DataFrame, suppressed: pd.Series, extra_groups=()) -> pd.Series:
    """Hide more rows until no additive group has exactly one hidden member.

    A group is the rows of one measure, year and breakdown topic (whose Total row is published);
    ``extra_groups`` adds (measure_id, time_period, list of row labels) groups, e.g. the schools of
    one district. Of the visible members, the one with the smallest denominator is hidden next.
    """
    size = results["denominator"].fillna(results["numerator"]).fillna(0).to_numpy(dtype=float)
    hidden = suppressed.to_numpy(dtype=bool).copy()
    labels = [idx for (_, _, topic), idx in results.groupby(["measure_id", "time_period", "breakdown_topic"]).groups
              .items() if topic != "Total"]
    labels += [list(idx) for idx in extra_groups]
    # positions, not labels: the loop below runs over thousands of groups until nothing changes
    groups = [results.index.get_indexer(idx) for idx in labels]
    changed = True
    while changed:
        changed = False
        for positions in groups:
            if hidden[positions].sum() == 1:
                visible = positions[~hidden[positions] & (size[positions] > 0)]
                if len(visible) == 0:
                    continue
                hidden[visible[np.argmin(size[visible])]] = True   # the first of the smallest, in row order
                changed = True
    return pd.Series(hidden, index=suppressed.index)


def suppress(results: pd.DataFrame, threshold: int, units: pd.Series, school_districts: dict | None = None
             ) -> pd.DataFrame:
    """A copy of ``results`` with a boolean ``suppressed`` column (primary then secondary).

    ``school_districts`` (URN -> district) links school rows to their district's row.
    """
    out = results.reset_index(drop=True).copy()
    extra_groups = school_district_groups(out, school_districts or {})
    primary = primary_suppression(out, threshold, units)
    out["suppressed"] = secondary_suppression(out, primary, extra_groups) if primary.any() else primary
    return out


def school_district_groups(results: pd.DataFrame, school_districts: dict) -> list:
    """The schools of each district, per measure and year: each group adds up to its 'School
    district' row, so a hidden school must not be the only hidden one among its district's schools."""
    schools = results[results["breakdown_topic"] == "School"]
    if schools.empty or not school_districts:
        return []
    district = schools["breakdown"].map(school_districts)
    return [list(idx) for _, idx in schools.groupby([schools["measure_id"], schools["time_period"], district]).groups
            .items()]
