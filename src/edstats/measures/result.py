"""The one result shape every measure returns, and the query that builds it.

A result is a tidy frame with :data:`RESULT_COLUMNS`: one row per measure, academic year and
breakdown, holding the unrounded numerator, denominator, value and 95% confidence interval.

A measure module states its units (pupils, enrolments, young people) as a query, and its measures
over them as :class:`Proportion`, :class:`Mean` and the like: SQL conditions and values on a unit.
:func:`measures_over` turns them into one ``GROUP BY GROUPING SETS`` query (the total and every
breakdown in one pass over the units), run on the current engine (:mod:`edstats.engine`); the
confidence intervals are worked out in Python from its sums.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .. import engine
from ..contract.reader import quoted
from ..periods import time_period
from ..stats import mean_t_interval, wilson_interval

#: What names one result row: a measure, a year and a breakdown.
RESULT_KEY = ["measure_id", "time_period", "breakdown_topic", "breakdown"]
RESULT_COLUMNS = [*RESULT_KEY, "numerator", "denominator", "value", "ci_lower", "ci_upper"]

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


def empty_result() -> pd.DataFrame:
    return pd.DataFrame(columns=RESULT_COLUMNS)


# -- what a measure is, over its units -------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Proportion:
    """% of the units in the denominator that meet ``numerator`` (SQL conditions on a unit), with
    Wilson's 95% interval."""
    measure_id: str
    numerator: str
    denominator: str = "TRUE"

    def sums(self) -> dict[str, str]:
        return {"k": f"CASE WHEN ({self.denominator}) AND ({self.numerator}) THEN 1 ELSE 0 END",
                "n": f"CASE WHEN {self.denominator} THEN 1 ELSE 0 END"}

    def rows(self, t: pd.DataFrame) -> pd.DataFrame:
        k, n = t["k"].to_numpy(float), t["n"].to_numpy(float)
        lower, upper = wilson_interval(k, n)
        return _shaped(t, k, n, 100.0 * k / n, lower, upper)


#: The type a fractional value is summed as: twelve decimal places (each value within 5e-13 of
#: itself), added exactly on every engine. (With eighteen, DuckDB's and Spark's conversions of a
#: double differ in the last places: two of the small LA's 6,689 results differed.)
EXACT = "DECIMAL(38, 12)"


@dataclasses.dataclass(frozen=True)
class Mean:
    """The mean of ``value`` (a SQL expression; units where it is NULL are out) with a t-based 95%
    interval; numerator: the sum of the values, denominator: the number of units."""
    measure_id: str
    value: str

    def sums(self) -> dict[str, str]:
        # The values (thirds, tenths) are added as decimals, exactly: a sum of doubles depends on the
        # order the rows come in, so the same pupils read in another order would differ in the last digits.
        value = f"CAST({self.value} AS DOUBLE)"
        return {"n": f"CASE WHEN ({self.value}) IS NOT NULL THEN 1 ELSE 0 END",
                "s": f"CAST({value} AS {EXACT})", "ss": f"CAST({value} * {value} AS {EXACT})"}

    def rows(self, t: pd.DataFrame) -> pd.DataFrame:
        n, s, ss = t["n"].to_numpy(float), t["s"].to_numpy(float), t["ss"].to_numpy(float)
        mean = s / n
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = np.sqrt(np.clip((ss - s * mean) / (n - 1), 0, None))
        lower, upper = self.interval(mean, np.where(n > 1, sd, 0.0), n, t["academic_year"])
        return _shaped(t, s, n, mean, lower, upper)

    def interval(self, mean, sd, n, years):
        return mean_t_interval(mean, sd, n)


@dataclasses.dataclass(frozen=True)
class MeanWithNationalSD(Mean):
    """A mean whose 95% interval is DfE's for Progress 8: mean +/- 1.96 x the year's national SD
    (``sd_by_year``: time period -> SD) / sqrt(units)."""
    sd_by_year: tuple = ()

    def interval(self, mean, sd, n, years):
        national = dict(self.sd_by_year)
        sd = years.map(lambda y: national.get(time_period(str(y)), np.nan)).to_numpy(float)
        half = 1.96 * sd / np.sqrt(n)
        return mean - half, mean + half


@dataclasses.dataclass(frozen=True)
class SessionRate:
    """Absent sessions as a % of possible sessions, summed over the units (enrolments), with the
    cluster-robust interval of :func:`clustered_rate_interval` (each unit's sessions a cluster)."""
    measure_id: str
    absent: str = "absent"
    possible: str = "possible"

    def sums(self) -> dict[str, str]:
        a, p = f"CAST({self.absent} AS DOUBLE)", f"CAST({self.possible} AS DOUBLE)"
        return {"n": "1", "a": a, "p": p, "aa": f"{a} * {a}", "ap": f"{a} * {p}", "pp": f"{p} * {p}"}

    def rows(self, t: pd.DataFrame) -> pd.DataFrame:
        lower, upper = clustered_rate_interval(t.rename(columns={"n": "count"}))
        a, p = t["a"].to_numpy(float), t["p"].to_numpy(float)
        return _shaped(t, a, p, 100.0 * a / p, lower, upper)


def _shaped(t: pd.DataFrame, numerator, denominator, value, lower, upper) -> pd.DataFrame:
    return pd.DataFrame({"time_period": t["academic_year"].astype(str).map(time_period).to_numpy(),
                         "breakdown_topic": t["breakdown_topic"].to_numpy(), "breakdown": t["breakdown"].to_numpy(),
                         "numerator": numerator, "denominator": denominator, "value": value,
                         "ci_lower": lower, "ci_upper": upper})


def clustered_rate_interval(agg: pd.DataFrame, z: float = 1.959964) -> tuple[np.ndarray, np.ndarray]:
    """95% interval (%) of the overall absence rate A / P, with sessions clustered in enrolments.

    A pupil's sessions are not independent trials (a pupil who misses one day tends to miss
    others), so the interval treats each enrolment as the unit: the ratio estimator's linearised
    (cluster-robust) variance, n / (n - 1) x sum over enrolments of (a - R p)^2 / P^2, from the
    sums of a^2, a p and p^2 (``agg``: columns count, a, p, aa, ap, pp). It is several times wider
    than a binomial interval over sessions."""
    n, total_a, total_p = agg["count"].to_numpy(float), agg["a"].to_numpy(float), agg["p"].to_numpy(float)
    rate = total_a / total_p
    squares = agg["aa"].to_numpy(float) - 2 * rate * agg["ap"].to_numpy(float) + rate ** 2 * agg["pp"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(np.clip(squares, 0, None) * n / (n - 1)) / total_p
    se = np.where(n > 1, se, np.nan)
    return 100 * np.clip(rate - z * se, 0, 1), 100 * np.clip(rate + z * se, 0, 1)


# -- the query -------------------------------------------------------------------------------------

def totals(units: str, tables: dict, sums: dict[str, str], topics: dict, columns, keys=("academic_year",),
           parameters: dict | None = None) -> pd.DataFrame:
    """The number of units (``rows``) and the sum of each of ``sums`` (name -> SQL expression on a
    unit) by ``keys`` and breakdown: the total (``breakdown_topic`` 'Total') and each topic of
    ``topics`` whose column is among ``columns`` (the units' columns), in one query of grouping
    sets over ``units`` (a query over ``tables``). A breakdown is its code's label (the topic's
    labels; 'Unknown' for a missing code or one without a label)."""
    present = [c for c in dict.fromkeys(column for column, _ in topics.values()) if c in columns]
    key_list = ", ".join(quoted(k) for k in keys)
    sets = ", ".join([f"({key_list})", *[f"({key_list}, {quoted(c)})" for c in present]])
    query = f"""
        WITH units AS ({units})
        SELECT {key_list}, {''.join(f'{quoted(c)} AS g{i}, grouping({quoted(c)}) AS grouped_out{i}, '
                                     for i, c in enumerate(present))}
               count(*) AS "rows"{''.join(f', CAST(sum({expr}) AS DOUBLE) AS {quoted(name)}' for name, expr in sums.items())}
        FROM units
        GROUP BY GROUPING SETS ({sets})"""
    grouped = engine.query(query, tables, parameters)
    parts = []
    out_of_all = np.ones(len(grouped), dtype=bool)
    for i, column in enumerate(present):
        out_of_all &= grouped[f"grouped_out{i}"].to_numpy() == 1
    parts.append(grouped[out_of_all].assign(breakdown_topic="Total", breakdown="Total"))
    for topic, (column, labels) in topics.items():
        if column not in present:
            continue
        i = present.index(column)
        mine = grouped[grouped[f"grouped_out{i}"].to_numpy() == 0]
        codes = mine[f"g{i}"].astype(object).where(mine[f"g{i}"].notna(), None)
        shown = codes.map(lambda c: None if c is None else str(c))
        if labels is not None:
            shown = shown.map(labels)
        parts.append(mine.assign(breakdown_topic=topic, breakdown=shown.where(shown.notna(), "Unknown").astype(str)))
    out = pd.concat(parts, ignore_index=True)
    out["academic_year"] = out["academic_year"].astype(object).where(out["academic_year"].notna(), "Unknown").astype(str)
    for key in keys[1:]:
        out[key] = out[key].astype(str)
    # two codes can share a label ('Unknown'): their sums are added
    measures = ["rows", *sums]
    out = out.groupby([*keys, "breakdown_topic", "breakdown"], sort=False)[measures].sum().reset_index()
    order = {topic: n for n, topic in enumerate(["Total", *topics])}
    return out.sort_values([*keys, "breakdown"]).sort_values("breakdown_topic", key=lambda s: s.map(order),
                                                              kind="stable", ignore_index=True)


def measures_over(units: str, tables: dict, measures: list, topics: dict, columns, parameters: dict | None = None
            ) -> pd.DataFrame:
    """Every one of ``measures`` (:class:`Proportion`, :class:`Mean`, :class:`SessionRate`) over ``units`` by academic year and breakdown, from one query
    (:func:`totals`): a breakdown appears for a measure when some unit is in its denominator."""
    sums = {f"m{i}_{name}": expr for i, m in enumerate(measures) for name, expr in m.sums().items()}
    t = totals(units, tables, sums, topics, columns, parameters=parameters)
    parts = []
    for i, measure in enumerate(measures):
        mine = t.rename(columns={f"m{i}_{name}": name for name in measure.sums()})
        mine = mine[mine["n"] > 0]
        if not mine.empty:
            parts.append(measure.rows(mine.reset_index(drop=True)).assign(measure_id=measure.measure_id))
    return pd.concat(parts, ignore_index=True)[RESULT_COLUMNS] if parts else empty_result()


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
