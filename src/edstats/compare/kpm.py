"""The comparison as data: ``kpm.csv``, one row per measure, breakdown and year.

The papers' key performance measures table, the workbook and anyone else read these same rows:
the LA's value and interval, England, region, statistical-neighbour and core-cities averages,
rank among LAs and quartile band, direction of travel (against the previous year and the previous
paper), significance, target and status.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..measures.dictionary import measure_dictionary, series_breaks
from ..periods import next_time_period, year_in_progress, year_label
from ..settings import CORE_CITIES, Settings
from . import benchmark

KPM_COLUMNS = [
    "measure_id", "label", "breakdown_topic", "breakdown", "time_period", "value", "ci_lower", "ci_upper",
    "suppressed", "england", "region", "sn_average", "sn_count", "sn_vintage", "core_cities_average",
    "core_cities_count", "rank", "las_ranked", "band", "previous_period", "previous_value", "change", "direction",
    "direction_word", "change_significant", "previous_paper_value", "change_since_previous_paper",
    "vs_england_significant", "target", "status", "next_period", "next_target", "series_break", "to_date",
]
_AMBER = {"%": 1.0, "per 100": 0.02, "ELGs": 0.2, "days": 1.0, "pupils": 1.0}


def amber_margin(info) -> float:
    if info["unit"] in _AMBER:
        return _AMBER[info["unit"]]
    return 0.05 if int(info["dp"]) >= 2 else 0.5


def sn_members(groups: pd.DataFrame, la_code: str, vintage: str) -> tuple[list[str], str]:
    """The LA's statistical neighbours (old codes) in ``vintage`` (newest when empty)."""
    sn = groups[(groups["group_type"] == "statistical_neighbours") & (groups["la_code"] == la_code)]
    if sn.empty:
        return [], ""
    if vintage not in set(sn["vintage"]):
        vintage = sorted(sn["vintage"].unique())[-1]
    return sn.loc[sn["vintage"] == vintage, "member_code"].tolist(), vintage


def core_city_members(table: pd.DataFrame, groups: pd.DataFrame, la_code: str, names) -> list[str]:
    """Old codes of the core cities: configured names/codes, or the groups table's core_cities
    group, or else DfE's eight core cities when the LA is one of them (Rutland is compared with no
    core cities; Sheffield with the other seven)."""
    las = table[table["geographic_level"] == "Local authority"][["old_la_code", "area_name"]].drop_duplicates()
    if not names:
        core = groups[(groups["group_type"] == "core_cities") & (groups["la_code"] == la_code)]
        if len(core):
            return core["member_code"].tolist()
        codes = core_city_members(table, groups, la_code, CORE_CITIES)
        return codes if la_code in codes else []
    codes = []
    for name in names:
        if name.isdigit():
            codes.append(name)
            continue
        match = las[las["area_name"].str.lower().str.startswith(name.lower())]
        codes.extend(match["old_la_code"].unique().tolist()[:1])
    return codes


def comparator_codes(table: pd.DataFrame, groups: pd.DataFrame, settings: Settings) -> tuple[list[str], str, list[str]]:
    """(statistical neighbours' old codes, their model's vintage, core cities' old codes) for the
    settings' LA. The LA is never one of its own comparators: Birmingham is a core city, but not in
    its own core-cities average."""
    la = settings.la
    members, vintage = sn_members(groups, la.old_la_code, settings.comparators.sn_vintage)
    core = [c for c in core_city_members(table, groups, la.old_la_code, settings.comparators.core_cities)
            if c != la.old_la_code]
    return [m for m in members if m != la.old_la_code], vintage, core


def comparator_names(table: pd.DataFrame, groups: pd.DataFrame, settings: Settings) -> dict[str, list[str]]:
    """The LAs of each comparator group by name, in the group's order (statistical neighbours by
    closeness), as the comparator table names them: ``{"sn": [...], "core": [...]}``."""
    members, _, core = comparator_codes(table, groups, settings)
    las = table[table["geographic_level"] == "Local authority"].sort_values("time_period")
    name = las.drop_duplicates("old_la_code", keep="last").set_index("old_la_code")["area_name"].map(reading_order)
    return {"sn": [name.get(c, c) for c in members], "core": [name.get(c, c) for c in core]}


def reading_order(name: str) -> str:
    """DfE's sorting names in the order people say them: 'Bristol, City of' -> 'City of Bristol'."""
    head, sep, tail = str(name).partition(", ")
    return f"{tail} {head}" if sep and tail.lower().startswith(("city of", "county of")) else str(name)


def build_kpm(results: pd.DataFrame, table: pd.DataFrame, groups: pd.DataFrame, settings: Settings,
              previous_kpm: pd.DataFrame | None = None, as_at: str | None = None) -> pd.DataFrame:
    """kpm rows for the LA's Total results (``results`` carries ``suppressed``).

    ``as_at`` is the data's last date: a live measure's year still in progress then is a
    year-to-date figure (``to_date`` = as_at) and is not compared with the full year before.
    (An annual measure's part year is not in ``results``: :attr:`PreparedRun.reportable`.)"""
    dictionary = measure_dictionary()
    la = settings.la
    members, vintage, core = comparator_codes(table, groups, settings)
    # Two sources may give the same figure (LAIT and an EES file): keep one row per area, measure and
    # year, preferring the one with counts, then one with a cohort (they allow significance tests).
    table = (table[table["breakdown_topic"] == "Total"].sort_values(["numerator", "denominator"], na_position="first",
                                                                    kind="stable")
             .drop_duplicates(["measure_id", "time_period", "geographic_level", "old_la_code", "area_name"], keep="last"))
    las = table[table["geographic_level"] == "Local authority"].drop_duplicates(
        ["measure_id", "time_period", "old_la_code"], keep="last")
    own = results[results["breakdown_topic"] == "Total"].sort_values(["measure_id", "time_period"])
    # Each comparison below is one measure and year: split the tables once, not once per row.
    key = ["measure_id", "time_period"]
    by_year = _split(las, key)
    england_by_year = _split(table[table["geographic_level"] == "National"], key)
    region_by_year = _split(table[(table["geographic_level"] == "Regional")
                                  & ((table["area_code"] == la.region_code) | (table["area_name"] == la.region_name))],
                            key)
    rows = []
    for measure_id, series in own.groupby("measure_id"):
        info = dictionary.loc[measure_id]
        polarity, dp = info["polarity"], int(info["dp"])

        def counts(row, independent=info["counts_test"] == "Y", percentage=info["unit"] == "%"):
            """(numerator, denominator) for a test on counts, or (None, None) where the counts are not
            of independent pupils (sessions clustered in pupils, repeatable events, pupils in
            schools): the test then uses the intervals. A published percentage with its cohort but
            no count (DfE's NEET dashboard) gets its count back from the two: the percentage is
            rounded to one place, a difference of a few pupils that the test does not notice."""
            if not independent:
                return None, None
            numerator, denominator = row["numerator"], row["denominator"]
            if percentage and pd.isna(numerator) and not pd.isna(denominator) and not pd.isna(row["value"]):
                numerator = row["value"] / 100 * denominator
            return numerator, denominator
        breaks = series_breaks(measure_id)
        series = series.set_index("time_period")
        for tp, r in series.iterrows():
            to_date = as_at if year_in_progress(info["dataset"], tp, as_at) else ""
            value = np.nan if r["suppressed"] else float(r["value"])
            here = by_year(measure_id, tp)
            others = here[here["old_la_code"] != la.old_la_code]
            all_values = pd.concat([others["value"], pd.Series([value])], ignore_index=True)
            england = england_by_year(measure_id, tp)
            region = region_by_year(measure_id, tp)
            eng_value = float(england["value"].iloc[0]) if len(england) else np.nan
            sn_avg, sn_n = benchmark.group_average(
                pd.Series(here["value"].to_numpy(), index=here["old_la_code"].to_numpy()).reindex(members))
            core_avg, core_n = benchmark.group_average(
                pd.Series(np.append(others["value"].to_numpy(dtype=float), value),
                          index=np.append(others["old_la_code"].to_numpy(dtype=object), la.old_la_code))
                .reindex(core)) if len(others) else (np.nan, 0)
            ranked = all_values.notna().sum()
            rank = benchmark.rank_of(all_values, polarity).iloc[-1] if not np.isnan(value) and len(others) else np.nan
            band = benchmark.quartile_band(value, benchmark.quartile_cuts(all_values), polarity) \
                if len(others) >= 4 and not np.isnan(value) else ""
            previous = series.loc[series.index < tp]
            prev_tp = previous.index[-1] if len(previous) else ""
            comparable = bool(prev_tp) and int(tp[:4]) - int(prev_tp[:4]) == 1 and tp not in breaks and not to_date
            change = arrow = word = ""
            change_sig = None
            prev_value = np.nan
            if comparable:
                p = previous.iloc[-1]
                prev_value = np.nan if p["suppressed"] else float(p["value"])
                change = value - prev_value
                arrow, word = benchmark.direction(value, prev_value, polarity, dp)
                change_sig = benchmark.significant_difference(
                    value, r["ci_lower"], r["ci_upper"], prev_value, *counts(r), *counts(p), info["unit"],
                    p["ci_lower"], p["ci_upper"])
            paper_value = np.nan
            if previous_kpm is not None and not previous_kpm.empty:
                hit = previous_kpm[(previous_kpm["measure_id"] == measure_id) & (previous_kpm["breakdown"] == "Total")]
                if len(hit):
                    paper_value = float(hit.sort_values("time_period")["value"].iloc[-1])
            eng_num = float(england["numerator"].iloc[0]) if len(england) else np.nan
            eng_den = float(england["denominator"].iloc[0]) if len(england) else np.nan
            vs_england = benchmark.significant_difference(value, r["ci_lower"], r["ci_upper"], eng_value,
                                                          *counts(r), *counts({"numerator": eng_num, "value": eng_value,
                                                                               "denominator": eng_den}),
                                                          info["unit"])
            target = settings.targets.get(measure_id, {}).get(year_label(tp))
            next_tp = next_time_period(tp)
            next_target = settings.targets.get(measure_id, {}).get(year_label(next_tp))
            rows.append({
                "measure_id": measure_id, "label": info["label"], "breakdown_topic": "Total", "breakdown": "Total",
                "time_period": tp, "value": value, "ci_lower": np.nan if r["suppressed"] else r["ci_lower"],
                "ci_upper": np.nan if r["suppressed"] else r["ci_upper"], "suppressed": bool(r["suppressed"]),
                "england": eng_value, "region": float(region["value"].iloc[0]) if len(region) else np.nan,
                "sn_average": sn_avg, "sn_count": sn_n, "sn_vintage": vintage, "core_cities_average": core_avg,
                "core_cities_count": core_n, "rank": rank, "las_ranked": int(ranked) if len(others) else 0,
                "band": band, "previous_period": prev_tp, "previous_value": prev_value,
                "change": change if change != "" else np.nan, "direction": arrow, "direction_word": word,
                "change_significant": change_sig, "previous_paper_value": paper_value,
                "change_since_previous_paper": value - paper_value, "vs_england_significant": vs_england,
                "target": target if target is not None else np.nan,
                "status": benchmark.target_status(value, target, polarity, amber_margin(info)),
                "next_period": next_tp, "next_target": next_target if next_target is not None else np.nan,
                "series_break": tp in breaks, "to_date": to_date,
            })
    return pd.DataFrame(rows, columns=KPM_COLUMNS)


def _split(frame: pd.DataFrame, key: list[str]):
    """A lookup (key values) -> the frame's rows with them (empty when none), in the frame's order."""
    parts = {k: g for k, g in frame.groupby(key, sort=False)}
    empty = frame.iloc[:0]
    return lambda *k: parts.get(k, empty)
