"""The one result shape every measure returns, and the helpers that build it.

A result is a tidy frame with :data:`RESULT_COLUMNS`: one row per measure, academic year and
breakdown, holding the unrounded numerator, denominator, value and 95% confidence interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import mean_t_interval, wilson_interval

RESULT_COLUMNS = ["measure_id", "time_period", "breakdown_topic", "breakdown",
                  "numerator", "denominator", "value", "ci_lower", "ci_upper"]

#: Breakdown topics available from pupil characteristics: topic -> (column, code labels).
CHARACTERISTIC_BREAKDOWNS: dict[str, tuple[str, dict[str, str]]] = {
    "Sex": ("sex", {"F": "Female", "M": "Male"}),
    "Disadvantage": ("disadvantaged", {"Y": "Disadvantaged", "N": "Not disadvantaged"}),
    "SEN provision": ("sen_provision", {"N": "No SEN", "K": "SEN support", "E": "EHC plan"}),
}


def time_period(academic_year: str) -> str:
    """'2024/25' -> '202425' (the open-data time_period)."""
    return academic_year[:4] + academic_year[5:7]


def empty_result() -> pd.DataFrame:
    return pd.DataFrame(columns=RESULT_COLUMNS)


def _groups(frame: pd.DataFrame, topics: dict[str, tuple[str, dict[str, str]]]):
    """Yield (topic, breakdown labels Series) for Total and each topic whose column is present."""
    yield "Total", pd.Series("Total", index=frame.index)
    for topic, (column, labels) in topics.items():
        if column in frame:
            yield topic, frame[column].map(labels).fillna("Unknown")


def proportion_result(frame: pd.DataFrame, flag: pd.Series, measure_id: str,
                      topics=CHARACTERISTIC_BREAKDOWNS) -> pd.DataFrame:
    """% of rows where ``flag`` is true, by academic year and breakdown, with a Wilson 95% CI.

    ``frame`` holds the denominator rows (it needs ``academic_year``); ``flag`` is aligned to it.
    """
    parts = []
    for topic, labels in _groups(frame, topics):
        g = pd.DataFrame({"academic_year": frame["academic_year"], "breakdown": labels, "flag": flag.astype(int)})
        agg = g.groupby(["academic_year", "breakdown"], observed=True)["flag"].agg(["sum", "count"]).reset_index()
        lower, upper = wilson_interval(agg["sum"].to_numpy(), agg["count"].to_numpy())
        parts.append(pd.DataFrame({
            "measure_id": measure_id,
            "time_period": agg["academic_year"].map(time_period),
            "breakdown_topic": topic,
            "breakdown": agg["breakdown"],
            "numerator": agg["sum"].astype(float),
            "denominator": agg["count"].astype(float),
            "value": 100.0 * agg["sum"] / agg["count"],
            "ci_lower": lower,
            "ci_upper": upper,
        }))
    return pd.concat(parts, ignore_index=True)


def mean_result(frame: pd.DataFrame, values: pd.Series, measure_id: str,
                topics=CHARACTERISTIC_BREAKDOWNS) -> pd.DataFrame:
    """Mean of ``values`` by academic year and breakdown, with a t-based 95% CI.

    The numerator is the sum of the values, the denominator the number of rows.
    """
    parts = []
    for topic, labels in _groups(frame, topics):
        g = pd.DataFrame({"academic_year": frame["academic_year"], "breakdown": labels, "v": values.astype(float)})
        agg = g.groupby(["academic_year", "breakdown"], observed=True)["v"].agg(["sum", "count", "mean", "std"]).reset_index()
        lower, upper = mean_t_interval(agg["mean"].to_numpy(), agg["std"].fillna(0).to_numpy(), agg["count"].to_numpy())
        parts.append(pd.DataFrame({
            "measure_id": measure_id,
            "time_period": agg["academic_year"].map(time_period),
            "breakdown_topic": topic,
            "breakdown": agg["breakdown"],
            "numerator": agg["sum"],
            "denominator": agg["count"].astype(float),
            "value": agg["mean"],
            "ci_lower": lower,
            "ci_upper": upper,
        }))
    return pd.concat(parts, ignore_index=True)
