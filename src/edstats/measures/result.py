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

#: Breakdown topics: topic -> (column, labels for codes or None to use the values as they are).
#: ``school_urn`` rows are school-level (geographic_level School); ``school_district`` is the
#: district of the pupil's school, added from the schools dataset.
CHARACTERISTIC_BREAKDOWNS: dict[str, tuple[str, dict[str, str] | None]] = {
    "Sex": ("sex", {"F": "Female", "M": "Male"}),
    "Disadvantage": ("disadvantaged", {"Y": "Disadvantaged", "N": "Not disadvantaged"}),
    "FSM": ("fsm", {"Y": "Eligible for free school meals", "N": "Not eligible for free school meals"}),
    "SEN provision": ("sen_provision", {"N": "No SEN", "K": "SEN support", "E": "EHC plan"}),
    "EAL": ("eal", {"Y": "First language other than English", "N": "First language English"}),
    "Ethnicity": ("ethnicity_major", {"WHIT": "White", "MIXD": "Mixed", "ASIA": "Asian", "BLAC": "Black",
                                      "CHIN": "Chinese", "AOEG": "Any other ethnic group", "UNCL": "Unclassified"}),
    "Looked after": ("looked_after", {"Y": "Looked after", "N": "Not looked after"}),
    "District": ("home_district", None),
    "Ward": ("home_ward", None),
    "School district": ("school_district", None),
    "School": ("school_urn", None),
}
#: Topics that need no pupil characteristics (for measures whose denominator is not pupils).
SCHOOL_BREAKDOWNS = {k: CHARACTERISTIC_BREAKDOWNS[k] for k in ("School district", "School")}
#: The breakdown by local authority, for data holding many LAs (``edstats.measures.compute_by_la``):
#: every measure takes it, whatever its denominator.
LA_BREAKDOWN = {"Local authority": ("la_code", None)}


def la_topics(topics: dict) -> dict:
    """The local-authority topic of ``topics``, if it has it."""
    return {k: v for k, v in topics.items() if k in LA_BREAKDOWN}


def time_period(academic_year: str) -> str:
    """'2024/25' -> '202425' (the open-data time_period)."""
    return academic_year[:4] + academic_year[5:7]


def empty_result() -> pd.DataFrame:
    return pd.DataFrame(columns=RESULT_COLUMNS)


def as_category(values: pd.Series, labels: dict[str, str] | None = None) -> pd.Series:
    """``values`` as a categorical of display labels (``labels`` maps codes; missing -> 'Unknown').

    Grouping millions of rows on categorical codes is many times faster than on strings, and the
    labels are worked out once per distinct value rather than once per row.
    """
    codes, uniques = pd.factorize(values, sort=True)
    shown = pd.Series(uniques, dtype=object)
    if labels is not None:
        shown = shown.map(labels)
    shown = shown.where(shown.notna(), "Unknown").astype(str).tolist() + ["Unknown"]
    label_codes, categories = pd.factorize(pd.Series(shown, dtype=object), sort=True)
    return pd.Series(pd.Categorical.from_codes(label_codes[codes], categories.astype(str)), index=values.index)


def grouping_columns(frame: pd.DataFrame, topics: dict) -> pd.DataFrame:
    """The columns the results need of ``frame``: ``academic_year`` and the topics' columns it has.
    Subsets of these are cheap where subsets of every column are not (3.6 million KS2 pupils)."""
    return frame[["academic_year", *dict.fromkeys(c for c, _ in topics.values() if c in frame)]]


def _groups(frame: pd.DataFrame, topics: dict[str, tuple[str, dict[str, str]]]):
    """Yield (topic, breakdown labels, categorical) for Total and each topic whose column is present."""
    yield "Total", pd.Series(pd.Categorical.from_codes(np.zeros(len(frame), dtype=np.int8), ["Total"]),
                             index=frame.index)
    for topic, (column, labels) in topics.items():
        if column in frame:
            yield topic, as_category(frame[column], labels)


def totals_by_year_and_breakdown(years: pd.Series, labels: pd.Series, **counts) -> pd.DataFrame:
    """Rows (``count``) and the sums of whole-number ``counts`` (arrays aligned to the rows) by
    academic year and breakdown, both categoricals from :func:`as_category`: the combinations
    present, in the order pandas' ``groupby(observed=True)`` gives them. Counted on the codes with
    ``numpy.bincount``, exact for whole numbers (14 million national enrolments: a fraction of the
    time and memory of a groupby)."""
    year_codes, label_codes = years.cat.codes.to_numpy(), labels.cat.codes.to_numpy()
    width = len(labels.cat.categories)
    cells = len(years.cat.categories) * width
    key = year_codes.astype(np.int64) * width + label_codes
    rows = np.bincount(key, minlength=cells)
    present = np.flatnonzero(rows)
    out = pd.DataFrame({
        "academic_year": pd.Categorical.from_codes(present // width, dtype=years.dtype),
        "breakdown": pd.Categorical.from_codes(present % width, dtype=labels.dtype),
        "count": rows[present]})
    for name, values in counts.items():
        out[name] = np.bincount(key, weights=np.asarray(values, dtype=float), minlength=cells)[present]
    return out


def proportion_result(frame: pd.DataFrame, flag: pd.Series, measure_id: str,
                      topics=CHARACTERISTIC_BREAKDOWNS) -> pd.DataFrame:
    """% of rows where ``flag`` is true, by academic year and breakdown, with a Wilson 95% CI.

    ``frame`` holds the denominator rows (it needs ``academic_year``); ``flag`` is aligned to it.
    """
    parts, years = [], as_category(frame["academic_year"])
    flag = flag.to_numpy(dtype=float)
    for topic, labels in _groups(frame, topics):
        agg = totals_by_year_and_breakdown(years, labels, sum=flag)
        lower, upper = wilson_interval(agg["sum"].to_numpy(), agg["count"].to_numpy())
        parts.append(pd.DataFrame({
            "measure_id": measure_id,
            "time_period": agg["academic_year"].astype(str).map(time_period),
            "breakdown_topic": topic,
            "breakdown": agg["breakdown"].astype(str),
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
    parts, years = [], as_category(frame["academic_year"])
    for topic, labels in _groups(frame, topics):
        g = pd.DataFrame({"academic_year": years, "breakdown": labels, "v": values.astype(float)})
        agg = g.groupby(["academic_year", "breakdown"], observed=True)["v"].agg(["sum", "count", "mean", "std"]).reset_index()
        lower, upper = mean_t_interval(agg["mean"].to_numpy(), agg["std"].fillna(0).to_numpy(), agg["count"].to_numpy())
        parts.append(pd.DataFrame({
            "measure_id": measure_id,
            "time_period": agg["academic_year"].astype(str).map(time_period),
            "breakdown_topic": topic,
            "breakdown": agg["breakdown"].astype(str),
            "numerator": agg["sum"],
            "denominator": agg["count"].astype(float),
            "value": agg["mean"],
            "ci_lower": lower,
            "ci_upper": upper,
        }))
    return pd.concat(parts, ignore_index=True)


def count_result(frame: pd.DataFrame, measure_id: str, topics=CHARACTERISTIC_BREAKDOWNS) -> pd.DataFrame:
    """A count of rows by academic year and breakdown (numerator = value = the count; no interval)."""
    parts, years = [], as_category(frame["academic_year"])
    for topic, labels in _groups(frame, topics):
        agg = totals_by_year_and_breakdown(years, labels).rename(columns={"count": "n"})
        parts.append(pd.DataFrame({
            "measure_id": measure_id, "time_period": agg["academic_year"].astype(str).map(time_period),
            "breakdown_topic": topic, "breakdown": agg["breakdown"].astype(str), "numerator": agg["n"].astype(float),
            "denominator": float("nan"), "value": agg["n"].astype(float), "ci_lower": float("nan"),
            "ci_upper": float("nan")}))
    return pd.concat(parts, ignore_index=True) if parts else empty_result()


def rate_result(numerators: pd.DataFrame, denominators: pd.DataFrame, measure_id: str, scale: float = 100.0,
                events: bool = False):
    """Rates from pre-aggregated counts: both frames have academic_year, breakdown_topic, breakdown
    and ``n``; value = scale * numerator / denominator (scale 100 = per 100). The interval is
    Wilson's for pupils counted once (a proportion), or with ``events`` (which a pupil can have
    many times: suspensions) the exact Poisson interval of a count over an exposure."""
    merged = denominators.merge(numerators, on=["academic_year", "breakdown_topic", "breakdown"], how="left",
                                suffixes=("_den", "_num"))
    merged["n_num"] = merged["n_num"].fillna(0)
    if events:
        from statsmodels.stats.rates import confint_poisson

        low, high = confint_poisson(merged["n_num"].to_numpy(float), merged["n_den"].to_numpy(float), method="exact-c")
        lower, upper = 100 * low, 100 * high
    else:
        lower, upper = wilson_interval(merged["n_num"].to_numpy(), merged["n_den"].to_numpy())
    return pd.DataFrame({
        "measure_id": measure_id, "time_period": merged["academic_year"].map(time_period),
        "breakdown_topic": merged["breakdown_topic"], "breakdown": merged["breakdown"],
        "numerator": merged["n_num"].astype(float), "denominator": merged["n_den"].astype(float),
        "value": scale * merged["n_num"] / merged["n_den"], "ci_lower": lower * scale / 100,
        "ci_upper": upper * scale / 100})
