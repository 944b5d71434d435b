"""Importers for DfE's children's services statistical-neighbour models (2021 and 2025 files).

Each LA has ten neighbours, nearest first, with a closeness label. The group keeps its vintage:
SN averages over time must use one group throughout.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError
from .table import GROUP_COLUMNS


def read_neighbours(path: str | Path, vintage: str | None = None) -> pd.DataFrame:
    """The groups table from either DfE layout; ``vintage`` defaults to the model's year."""
    path = Path(path)
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    raw.columns = [c.strip() for c in raw.columns]
    rows = []
    if "old_la_code" in raw.columns:            # 2025 wide: SN_1, SN_1P, ...
        vintage = vintage or "2025"
        for _, r in raw.iterrows():
            for k in range(1, 11):
                rows.append((r["old_la_code"], r.get(f"SN_{k}"), k, r.get(f"SN_{k}P")))
    elif "LA num" in raw.columns:                # 2021: SN1, SNP, SN2, SNP.1 ... (pandas de-duplicates SNP)
        vintage = vintage or "2021"
        columns = list(raw.columns)
        for _, r in raw.iterrows():
            for k in range(1, 11):
                at = columns.index(f"SN{k}")
                rows.append((r["LA num"], r.iloc[at], k, r.iloc[at + 1]))
    else:
        raise InputError(f"{path} is not a DfE statistical-neighbour file (2021 or 2025 layout).")
    groups = pd.DataFrame(rows, columns=["la_code", "member_code", "rank", "closeness"]).dropna(subset=["member_code"])
    groups["la_code"] = groups["la_code"].str.strip()
    groups["member_code"] = groups["member_code"].str.strip()
    groups["closeness"] = groups["closeness"].fillna("").str.strip()
    groups["group_type"] = "statistical_neighbours"
    groups["vintage"] = vintage
    groups["rank"] = groups["rank"].astype(str)
    return groups[GROUP_COLUMNS]
