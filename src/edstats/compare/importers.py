"""``edstats comparators import``: recognise each DfE file and import it into the comparator tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError
from .ees import read_ees
from .lait import lait_regions, read_lait
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
        elif {"time_period", "geographic_level", "gld_percentage"} <= set(header):
            tables.append(read_ees(path))
            kinds.append(f"{path.name}: EES EYFSP open data")
        elif "SN1" in header or "SN_1" in header:
            groups.append(read_neighbours(path))
            kinds.append(f"{path.name}: statistical neighbours {groups[-1]['vintage'].iloc[0]}")
        else:
            raise InputError(f"{path.name} is not a file edstats can import: LAIT bds_long, an EES open-data CSV "
                             "(EYFSP headline measures), a DfE statistical-neighbour file or DfE's LA lookup.")
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    group = pd.concat(groups, ignore_index=True) if groups else pd.DataFrame()
    return table, group, kinds


def import_into(paths, folder: str | Path) -> list[str]:
    table, groups, kinds = import_files(paths)
    write_comparators(table, groups, folder)
    return kinds
