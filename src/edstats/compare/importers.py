"""``edstats comparators import``: recognise each DfE file and import it into the comparator tables."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError
from .ees import read_ees
from .lait import lait_regions, read_lait
from .neet_dashboard import is_neet_dashboard, read_neet_dashboard
from .neighbours import read_neighbours
from .table import la_code_lookup, write_comparators


#: What ``edstats comparators import`` recognises, for the messages.
IMPORTABLE = ("LAIT bds_long (Parquet or CSV), an EES open-data CSV (EYFSP headline measures), DfE's NEET and "
              "participation LA dashboard CSV, a DfE statistical-neighbour file (2021 or 2025 model) or DfE's LA "
              "lookup (las.csv)")


def _header(path: Path) -> list[str]:
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_schema(path).names
    return [c.strip() for c in pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns]


def _kind(header: list[str]) -> str | None:
    """Which DfE file a header is, or None."""
    if {"new_la_code", "date_of_operation"} <= set(header):
        return "lookup"
    if {"Short Desc", "LA and Regions", "Values"} <= set(header):
        return "lait"
    if is_neet_dashboard(header):
        return "neet_dashboard"
    if {"time_period", "geographic_level", "gld_percentage"} <= set(header):
        return "ees"
    if "SN1" in header or "SN_1" in header:
        return "neighbours"
    return None


def _and(items) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass
class Imported:
    """What an import found: the rows, what each imported file was taken to be, and the files left out."""

    table: pd.DataFrame
    groups: pd.DataFrame
    kinds: list[str] = field(default_factory=list)          # "file: what it was taken to be"
    missing: list[Path] = field(default_factory=list)       # files that do not exist
    unrecognised: list[tuple[Path, str]] = field(default_factory=list)   # (file, why), left out with a warning
    unreadable: list[str] = field(default_factory=list)     # recognised files that could not be read: why

    def warnings(self) -> list[str]:
        """One sentence per unrecognised file."""
        return [f"{path} is not a file edstats can import ({why}), so it was left out. edstats can import "
                f"{IMPORTABLE}." for path, why in self.unrecognised]

    def errors(self) -> str:
        """The missing and unreadable files, in one paragraph ('' when there are none)."""
        parts = []
        if self.missing:
            parts.append(f"{_and(self.missing)} {'does' if len(self.missing) == 1 else 'do'} not exist: check "
                         f"the path{'s' if len(self.missing) > 1 else ''}.")
        parts += self.unreadable
        return " ".join(parts)

    def problems(self) -> str:
        """Every file left out, in one paragraph."""
        parts = [self.errors()] if self.errors() else []
        if self.unrecognised:
            parts.append(f"{_and(f'{p} ({why})' for p, why in self.unrecognised)} "
                         f"{'is not a file' if len(self.unrecognised) == 1 else 'are not files'} edstats can "
                         f"import: it can import {IMPORTABLE}.")
        return " ".join(parts)


def import_some(paths, lookup_path: str | Path | None = None) -> Imported:
    """Every recognised DfE file among ``paths``, in any order; the others are listed, not raised.

    An LA lookup (``las.csv``) among the files, or given as ``lookup_path``, makes LAIT's LA codes
    current (the code each LA had at the end of each year).
    """
    paths = [Path(p) for p in paths]
    result = Imported(pd.DataFrame(), pd.DataFrame())
    kinds = {}
    for path in paths:
        if not path.exists():
            result.missing.append(path)
        elif path.is_dir():
            result.unrecognised.append((path, "it is a folder: give the DfE files in it"))
        else:
            try:
                kinds[path] = _kind(_header(path))
            except (ValueError, OSError):      # empty, not text, not Parquet, unreadable
                result.unrecognised.append((path, "it is empty, or not a CSV or Parquet file"))
                continue
            if kinds[path] is None:
                result.unrecognised.append((path, "its columns are not those of any DfE file edstats knows"))
    lookup = None
    for path, kind in kinds.items():
        if kind == "lookup":
            lookup = la_code_lookup(path)
            result.kinds.append(f"{path.name}: LA code lookup")
    if lookup is None and lookup_path:
        lookup = la_code_lookup(lookup_path)
    tables, groups = [], []
    for path, kind in kinds.items():
        try:
            if kind == "lait":
                tables.append(read_lait(path, lookup))
                groups.append(lait_regions(path))
                result.kinds.append(f"{path.name}: LAIT bds_long")
            elif kind == "neet_dashboard":
                tables.append(read_neet_dashboard(path))
                result.kinds.append(f"{path.name}: DfE NEET and participation LA dashboard (16-17)")
            elif kind == "ees":
                tables.append(read_ees(path))
                result.kinds.append(f"{path.name}: EES EYFSP open data")
            elif kind == "neighbours":
                groups.append(read_neighbours(path))
                result.kinds.append(f"{path.name}: statistical neighbours {groups[-1]['vintage'].iloc[0]}")
        except InputError as exc:
            result.unreadable.append(str(exc))
    result.table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    result.groups = pd.concat(groups, ignore_index=True) if groups else pd.DataFrame()
    return result


def import_files(paths, lookup_path: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """(comparator rows, group rows, what each file was taken to be) for DfE files in any order;
    an :class:`InputError` naming every file that is missing or not recognised (a file named for
    a run must be one)."""
    result = import_some(paths, lookup_path)
    if result.problems():
        raise InputError(result.problems())
    return result.table, result.groups, result.kinds


def import_into(paths, folder: str | Path) -> Imported:
    """Import every recognised file into ``folder``'s tables; the files left out are in the result
    (an :class:`InputError` when no file could be imported)."""
    result = import_some(paths)
    if not result.kinds:
        raise InputError(f"Nothing was imported. {result.problems()}")
    write_comparators(result.table, result.groups, folder)
    return result


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
