"""The comparator table of the data contract, and the LA code lookup used by every importer.

One row per measure x period x area (x breakdown): ``measure_id, time_period, geographic_level,
area_code, old_la_code, area_name, breakdown_topic, breakdown, value, numerator, denominator,
source, release``. Groups (statistical neighbours, core cities) are a second table:
``group_type, vintage, la_code, member_code, rank, closeness`` (old three-digit codes).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError

COMPARATOR_COLUMNS = ["measure_id", "time_period", "geographic_level", "area_code", "old_la_code", "area_name",
                      "breakdown_topic", "breakdown", "value", "numerator", "denominator", "source", "release"]
GROUP_COLUMNS = ["group_type", "vintage", "la_code", "member_code", "rank", "closeness"]


def read_comparators(folder: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(comparator table, groups table) from ``folder``'s comparators.csv and groups.csv (either may be absent)."""
    folder = Path(folder)
    table = pd.DataFrame(columns=COMPARATOR_COLUMNS)
    groups = pd.DataFrame(columns=GROUP_COLUMNS)
    if (folder / "comparators.csv").exists():
        table = pd.read_csv(folder / "comparators.csv", dtype={"time_period": str, "old_la_code": str,
                                                               "area_code": str}, keep_default_na=False,
                            na_values=[""])
        missing = set(COMPARATOR_COLUMNS) - set(table.columns)
        if missing:
            raise InputError(f"{folder / 'comparators.csv'} lacks the column(s) {', '.join(sorted(missing))} of the "
                             "comparator table.")
        for column in ("value", "numerator", "denominator"):
            table[column] = pd.to_numeric(table[column], errors="coerce")
        table["old_la_code"] = table["old_la_code"].fillna("").astype(str)
    if (folder / "groups.csv").exists():
        groups = pd.read_csv(folder / "groups.csv", dtype=str, keep_default_na=False)
    return table, groups


def write_comparators(table: pd.DataFrame | None, groups: pd.DataFrame | None, folder: str | Path) -> list[Path]:
    """Merge into ``folder``'s tables (new rows replace old rows with the same key) and write them."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    old_table, old_groups = read_comparators(folder)
    written = []
    if table is not None and not table.empty:
        key = ["measure_id", "time_period", "geographic_level", "area_code", "old_la_code", "area_name",
               "breakdown_topic", "breakdown"]
        merged = pd.concat([old_table, table[COMPARATOR_COLUMNS]], ignore_index=True)
        merged = merged.drop_duplicates(subset=key, keep="last").sort_values(key, ignore_index=True)
        merged.to_csv(folder / "comparators.csv", index=False)
        written.append(folder / "comparators.csv")
    if groups is not None and not groups.empty:
        merged = pd.concat([old_groups, groups[GROUP_COLUMNS].astype(str)], ignore_index=True)
        merged = merged.drop_duplicates(subset=["group_type", "vintage", "la_code", "member_code"], keep="last")
        merged.to_csv(folder / "groups.csv", index=False)
        written.append(folder / "groups.csv")
    return written


def la_code_lookup(las_csv: str | Path) -> pd.DataFrame:
    """DfE's LA lookup (``las.csv``): old code, new code, name, valid from / to."""
    las = pd.read_csv(las_csv, dtype=str, encoding="utf-8-sig")
    las["from"] = pd.to_datetime(las["date_of_operation"], format="%d/%m/%Y", errors="coerce")
    las["to"] = pd.to_datetime(las["date_of_termination"], format="%d/%m/%Y", errors="coerce")
    return las


def new_code_for(lookup: pd.DataFrame | None, old_codes: pd.Series, time_periods: pd.Series) -> pd.Series:
    """The 9-character code each old code had at the end of each academic year (codes change, e.g.
    Sheffield E08000019 -> E08000039 in May 2025, with the old code 373 kept)."""
    if lookup is None:
        return pd.Series("", index=old_codes.index)
    year_end = pd.to_datetime(time_periods.str[:4].astype(int).add(1).astype(str) + "-08-31", errors="coerce")
    out = pd.Series("", index=old_codes.index, dtype=object)
    by_old = {code: rows for code, rows in lookup.groupby("old_la_code")}
    for i, (code, end) in enumerate(zip(old_codes, year_end)):
        rows = by_old.get(code)
        if rows is None:
            continue
        live = rows[(rows["from"] <= end) & (rows["to"].isna() | (rows["to"] >= end))]
        pick = live if not live.empty else rows.sort_values("from")
        out.iloc[i] = pick["new_la_code"].iloc[-1]
    return out
