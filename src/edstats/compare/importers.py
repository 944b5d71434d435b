"""``edstats comparators import``: recognise each DfE file and import it into the comparator tables."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import InputError
from .ees import read_ees
from .lait import lait_regions, read_lait
from .neet_dashboard import is_neet_dashboard, read_neet_dashboard
from .neighbours import read_neighbours
from .table import la_code_lookup, write_comparators


def _header(path: Path) -> list[str]:
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_schema(path).names
    return [c.strip() for c in pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns]


def import_files(paths, lookup_path: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """(comparator rows, group rows, what each file was taken to be) for DfE files in any order.

    An LA lookup (``las.csv``) among the files, or given as ``lookup_path``, makes LAIT's LA codes
    current (the code each LA had at the end of each year).
    """
    paths = [Path(p) for p in paths]
    lookup = None
    kinds = []
    for path in paths:
        if path.suffix.lower() == ".csv" and {"new_la_code", "date_of_operation"} <= set(_header(path)):
            lookup = la_code_lookup(path)
            kinds.append(f"{path.name}: LA code lookup")
    if lookup is None and lookup_path:
        lookup = la_code_lookup(lookup_path)
    tables, groups = [], []
    for path in paths:
        if not path.exists():
            raise InputError(f"{path} does not exist.")
        header = _header(path)
        if {"new_la_code", "date_of_operation"} <= set(header):
            continue
        if {"Short Desc", "LA and Regions", "Values"} <= set(header):
            tables.append(read_lait(path, lookup))
            groups.append(lait_regions(path))
            kinds.append(f"{path.name}: LAIT bds_long")
        elif is_neet_dashboard(header):
            tables.append(read_neet_dashboard(path))
            kinds.append(f"{path.name}: DfE NEET and participation LA dashboard (16-17)")
        elif {"time_period", "geographic_level", "gld_percentage"} <= set(header):
            tables.append(read_ees(path))
            kinds.append(f"{path.name}: EES EYFSP open data")
        elif "SN1" in header or "SN_1" in header:
            groups.append(read_neighbours(path))
            kinds.append(f"{path.name}: statistical neighbours {groups[-1]['vintage'].iloc[0]}")
        else:
            raise InputError(f"{path.name} is not a file edstats can import: LAIT bds_long, an EES open-data CSV "
                             "(EYFSP headline measures), DfE's NEET and participation LA dashboard CSV, a DfE "
                             "statistical-neighbour file or DfE's LA lookup.")
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    group = pd.concat(groups, ignore_index=True) if groups else pd.DataFrame()
    return table, group, kinds


def import_into(paths, folder: str | Path) -> list[str]:
    table, groups, kinds = import_files(paths)
    write_comparators(table, groups, folder)
    return kinds


#: The two forms of an LA's code: DfE's old three-digit number, and the nine-character ONS code
#: (E06 unitary, E08 metropolitan, E09 London borough, E10 county ...).
OLD_LA_CODE = re.compile(r"\d{3}")
NEW_LA_CODE = re.compile(r"E\d{8}")
FIND_THE_CODE = ("Give the LA's old three-digit code (e.g. 330 for Birmingham) or its nine-character code (e.g. "
                 "E08000025): the comparators.csv made by 'edstats comparators import' has every LA's area_name "
                 "with its old_la_code and area_code, and DfE's LA lookup (las.csv) has both codes.")


def la_code_form(code: str) -> str | None:
    """'old' for a three-digit code, 'new' for a nine-character one, None for neither."""
    code = str(code).strip().upper()
    return "old" if OLD_LA_CODE.fullmatch(code) else "new" if NEW_LA_CODE.fullmatch(code) else None


def resolve_la_code(table: pd.DataFrame, code: str) -> str:
    """The old three-digit code of the LA given by either code, from the comparator table's rows
    (each LA row carries ``old_la_code`` and, where known, ``area_code``; an LA whose new code
    changed, such as Sheffield, is found by either). An unknown code is an :class:`InputError`."""
    given = str(code).strip()
    code = given.upper()
    form = la_code_form(code)
    if form is None:
        raise InputError(f"'{given}' is not an LA code. {FIND_THE_CODE}")
    las = table[table["geographic_level"] == "Local authority"]
    if form == "old":
        if (las["old_la_code"].astype(str) == code).any():
            return code
        raise InputError(f"The comparator figures hold no local authority with the old code {code}. {FIND_THE_CODE}")
    area_codes = las["area_code"].fillna("").astype(str).str.upper()
    old = las.loc[area_codes == code, "old_la_code"].astype(str)
    old = old[old != ""]
    if len(old):
        return old.mode().iloc[0]
    other = table[(table["geographic_level"] != "Local authority")
                  & (table["area_code"].fillna("").astype(str).str.upper() == code)]
    if len(other):
        level = other["geographic_level"].iloc[0]
        what = {"Regional": "a region", "National": "the whole country"}.get(level, f"a {level.lower()} area")
        raise InputError(f"{code} is {other['area_name'].iloc[0]}, {what}, not a local authority. {FIND_THE_CODE}")
    if not (area_codes != "").any():
        raise InputError(f"The comparator figures hold no local authority with the code {code}: they carry only "
                         "old three-digit codes (LAIT has no others). Give the LA's old code (las.csv, DfE's LA "
                         "lookup, has it beside the nine-character one), or import las.csv with the other files "
                         "('edstats comparators import ... las.csv') to add the nine-character codes.")
    raise InputError(f"The comparator figures hold no local authority with the code {code}. {FIND_THE_CODE}")
