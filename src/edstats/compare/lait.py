"""Importer for DfE's Local Authority Interactive Tool data (``bds_long``, Parquet or CSV).

The file is taken as published: values are text (``-`` for no data, float artefacts such as
``7.0000000000000007E-2``); ``Years`` is the calendar year in which the academic year ends
("2025" = 2024/25; for NEET, the year the December-February window ends) except exclusions,
written "2023/24"; England is LA number 970 and regions have no region of their own; LA names are
DfE's ("Bristol, City of"). LA codes are made current through DfE's LA lookup when given.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError
from .table import COMPARATOR_COLUMNS, new_code_for

#: LAIT measure code -> edstats measure id (the measures LAIT and edstats share).
LAIT_MEASURES = {
    "FSP_NEW_GOODDEV": "eyfs_gld_pct",
    "KS2RWM_Expected_STD": "ks2_rwm_exp_pct",
    "KS2R_Expected_STD": "ks2_read_exp_pct",
    "KS2M_Expected_STD": "ks2_mat_exp_pct",
    "KS2GPS_Expected_STD": "ks2_gps_exp_pct",
    "AVG_Attain8_Score": "ks4_att8_avg",
    "AVG_Prog8_Score": "ks4_p8_avg",
    "TotAbs": "abs_overall_pct",
    "TotPerAbNew": "abs_persistent_pct",
    "TotPermEx": "excl_perm_rate",
    "TotFixedEx": "excl_susp_rate",
    "16-17 NEET": "neet_pct",
    "16-17_not known": "nk_pct",
    "16-17_not known_NEET": "neet_nk_pct",
    "TotSevPerAbNew": "abs_severe_pct",
    "LAC_KS4_AVG_Attain8": "cla_ks4_att8_avg",
    "LAC_KS4_AVG_Prog8": "cla_ks4_p8_avg",
}
#: LAIT measure code -> (edstats measure id, breakdown topic, breakdown) for its pupil-group figures.
LAIT_BREAKDOWNS = {
    "DAP_NEW_KS2_RWM": ("ks2_rwm_exp_pct", "Disadvantage", "Disadvantaged"),
    "NonDAP_NEW_KS2_RWM": ("ks2_rwm_exp_pct", "Disadvantage", "Not disadvantaged"),
    "DAP_KS4_ATT8": ("ks4_att8_avg", "Disadvantage", "Disadvantaged"),
    "NonDAP_KS4_ATT8": ("ks4_att8_avg", "Disadvantage", "Not disadvantaged"),
    "DAP_KS4_Prog8": ("ks4_p8_avg", "Disadvantage", "Disadvantaged"),
    "NonDAP_KS4_Prog8": ("ks4_p8_avg", "Disadvantage", "Not disadvantaged"),
}
ENGLAND_NUMBER = 970
_COLUMNS = ["Short Desc", "Years", "LA and Regions", "Values", "LA Number", "Region"]


def lait_time_period(years: pd.Series) -> pd.Series:
    """'2025' -> '202425' (end-year label); '2023/24' -> '202324'."""
    years = years.astype(str).str.strip()
    slash = years.str.fullmatch(r"\d{4}/\d{2}")
    end = pd.to_numeric(years.where(~slash), errors="coerce")
    from_end = (end - 1).astype("Int64").astype(str) + (end % 100).astype("Int64").astype(str).str.zfill(2)
    return from_end.where(~slash, years.str[:4] + years.str[5:7])


def read_lait(path: str | Path, lookup: pd.DataFrame | None = None, release: str | None = None) -> pd.DataFrame:
    """The LAIT file's education measures as comparator-table rows."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        raw = pd.read_parquet(path)
    elif path.suffix.lower() == ".csv":
        raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    else:
        raise InputError(f"{path} is not a LAIT bds_long file (.parquet or .csv).")
    missing = set(_COLUMNS) - set(raw.columns)
    if missing:
        raise InputError(f"{path} is not a LAIT bds_long file: it lacks {', '.join(sorted(missing))}.")
    raw = raw[raw["Short Desc"].isin(LAIT_MEASURES.keys() | LAIT_BREAKDOWNS.keys())].copy()
    group = raw["Short Desc"].map(LAIT_BREAKDOWNS)
    measure = raw["Short Desc"].map(LAIT_MEASURES).fillna(group.str[0])
    value = pd.to_numeric(raw["Values"].astype(str).str.strip().replace({"-": None, "": None, "NA": None}),
                          errors="coerce")
    number = pd.to_numeric(raw["LA Number"], errors="coerce")
    region = raw["Region"].astype(str)
    level = pd.Series("Local authority", index=raw.index)
    level[number == ENGLAND_NUMBER] = "National"
    level[(number != ENGLAND_NUMBER) & region.isin(["NA", "nan", ""])] = "Regional"
    old = number.astype("Int64").astype(str).where(level == "Local authority", "")
    tp = lait_time_period(raw["Years"])
    out = pd.DataFrame({
        "measure_id": measure, "time_period": tp, "geographic_level": level,
        "area_code": "", "old_la_code": old, "area_name": raw["LA and Regions"].astype(str),
        "breakdown_topic": group.str[1].fillna("Total"), "breakdown": group.str[2].fillna("Total"), "value": value,
        "numerator": float("nan"),
        "denominator": float("nan"), "source": "DfE LAIT", "release": release or path.name,
    })
    out.loc[level == "National", "area_code"] = "E92000001"
    is_la = level == "Local authority"
    out.loc[is_la, "area_code"] = new_code_for(lookup, out.loc[is_la, "old_la_code"], out.loc[is_la, "time_period"])
    return out[COMPARATOR_COLUMNS].dropna(subset=["time_period"]).reset_index(drop=True)


def lait_regions(path: str | Path) -> pd.DataFrame:
    """Each LA's region as LAIT names it, as groups-table rows (group_type ``region``)."""
    raw = pd.read_parquet(path, columns=["LA Number", "Region"]) if Path(path).suffix.lower() == ".parquet" else \
        pd.read_csv(path, dtype=str, usecols=["LA Number", "Region"], encoding="utf-8-sig")
    raw = raw.dropna().drop_duplicates()
    raw = raw[~raw["Region"].astype(str).isin(["NA", "nan", ""])]
    code = pd.to_numeric(raw["LA Number"], errors="coerce").astype("Int64").astype(str)
    return pd.DataFrame({"group_type": "region", "vintage": "LAIT", "la_code": code,
                         "member_code": raw["Region"].astype(str), "rank": "1", "closeness": ""}).drop_duplicates(
        subset=["la_code"])
