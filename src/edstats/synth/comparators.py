"""A synthetic England for benchmarking: regions and about 150 LAs, with statistical-neighbour and
core-cities groups, in the published-comparator layout of the data contract.

The fictional city's own rows are its headline figures computed from its pupil-level data; every
other LA's figures are drawn around England's level with an LA effect that follows deprivation.
Regions and England are the aggregates (sum of numerators over sum of denominators) of their LAs,
so England's figure includes the city, as DfE's does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..measures import measure_dictionary

REGIONS = (("E12999991", "Northern Fells"), ("E12999992", "Eastern Marches"), ("E12999993", "Western Vales"),
           ("E12999994", "Southern Downs"), ("E12999995", "Capital"), ("E12999996", "Coastal Reach"),
           ("E12999997", "Northern Dales"), ("E12999998", "Central Lowlands"), ("E12999999", "Middle Shires"))
_STEMS = ("Ash", "Bar", "Bright", "Cold", "Dun", "East", "Fair", "Glen", "Hart", "Hol", "Kings", "Lang", "Mar",
          "Nor", "Oak", "Pen", "Red", "Sal", "Stan", "Thorn", "Wal", "West", "Whit", "Wood", "Wyn")
_ENDS = ("bury", "ford", "ham", "ley", "mere", "moor", "stead", "ton", "well", "wick", "worth", "dale")
#: Between-LA spread of each measure (in its unit) and how far England sits from the city.
SPREAD = {"eyfs_gld_pct": 3.0, "eyfs_avg_elg_expected": 0.4, "eyfs_all_elg_expected_pct": 3.0, "ks2_rwm_exp_pct": 3.5,
          "ks2_rwm_high_pct": 1.5, "ks2_read_exp_pct": 3.0, "ks2_writ_exp_pct": 3.0, "ks2_mat_exp_pct": 3.0,
          "ks2_gps_exp_pct": 3.0, "ks2_read_avg_ss": 0.8, "ks2_mat_avg_ss": 0.8, "ks2_gps_avg_ss": 0.8,
          "ks4_att8_avg": 2.5, "ks4_p8_avg": 0.15, "ks4_em95_pct": 5.0, "ks4_em94_pct": 5.0, "ks4_ebacc_aps": 0.3,
          "abs_overall_pct": 0.6, "abs_persistent_pct": 2.5, "abs_severe_pct": 0.6, "neet_pct": 1.0, "nk_pct": 1.2,
          "neet_nk_pct": 1.6, "excl_perm_rate": 0.05, "excl_susp_rate": 4.0}
ENGLAND_GAP = 0.6          # England sits a little more than half a spread better than the city ...
#: ... except where the city does better than England (Birmingham suspends far fewer pupils).
ENGLAND_GAP_BY_MEASURE = {"excl_susp_rate": -1.0}
CORE_CITY_COUNT = 8


def make_las(n: int, rng) -> pd.DataFrame:
    """n - 1 fictional LAs plus the city (old code 999), with region, size and deprivation."""
    names, seen = [], set()
    while len(names) < n - 1:
        name = str(rng.choice(_STEMS)) + str(rng.choice(_ENDS))
        if name not in seen:
            seen.add(name)
            names.append(name)
    las = pd.DataFrame({
        "old_la_code": [f"{i + 1:03d}" for i in range(n - 1)],
        "area_code": [f"E0{6 + i % 4}99{i + 1:04d}" for i in range(n - 1)],
        "area_name": names,
        "region": [REGIONS[i % len(REGIONS)][0] for i in range(n - 1)],
        "size": rng.lognormal(np.log(3800), 0.55, n - 1),
        "deprivation": rng.normal(0, 1, n - 1),
    })
    city = pd.DataFrame([{"old_la_code": "999", "area_code": "E08999999", "area_name": "Wyvern City",
                          "region": "E12999999", "size": 16000.0, "deprivation": 1.4}])
    # the largest, most deprived LAs are cities: make a few of them so the core-cities group is realistic
    big = las.nlargest(CORE_CITY_COUNT - 1, "size").index
    las.loc[big, "deprivation"] = np.abs(las.loc[big, "deprivation"]) + 0.8
    las.loc[big, "area_name"] = las.loc[big, "area_name"] + " City"
    return pd.concat([las, city], ignore_index=True)


def make_groups(las: pd.DataFrame, vintage: str = "synthetic 2025") -> pd.DataFrame:
    """Ten statistical neighbours for every LA (nearest on deprivation and log size) and the
    core-cities group (the city and the seven largest city LAs)."""
    x = np.column_stack([las["deprivation"], np.log(las["size"]) * 1.5])
    rows = []
    for i, la in las.iterrows():
        d = np.sqrt(((x - x[i]) ** 2).sum(axis=1))
        d[i] = np.inf
        for rank, j in enumerate(np.argsort(d)[:10], start=1):
            rows.append({"group_type": "statistical_neighbours", "vintage": vintage, "la_code": la["old_la_code"],
                         "member_code": las.loc[j, "old_la_code"], "rank": rank,
                         "closeness": "Very close" if rank <= 3 else "Close"})
    core = las[las["area_name"].str.endswith("City")]
    for rank, code in enumerate(core["old_la_code"], start=1):
        rows.append({"group_type": "core_cities", "vintage": "configured", "la_code": "999", "member_code": code,
                     "rank": rank, "closeness": ""})
    return pd.DataFrame(rows)


def _denominator(measure_id: str, size: np.ndarray, city_den: float, city_size: float) -> np.ndarray:
    return np.maximum(np.rint(size * city_den / city_size), 30)


def make_comparators(city: pd.DataFrame, las: pd.DataFrame, rng) -> pd.DataFrame:
    """Comparator rows (LA, region, England) for every measure with comparators and every year the
    city has, from ``city`` (its Total results); every other LA's figures are drawn."""
    dictionary = measure_dictionary()
    others = las[las["old_la_code"] != "999"]
    city_row = las[las["old_la_code"] == "999"].iloc[0]
    effect = -0.6 * others["deprivation"].to_numpy() + rng.normal(0, 0.8, len(others))
    rows = []
    for (measure_id, tp), c in city.groupby(["measure_id", "time_period"]):
        if measure_id not in SPREAD:
            continue
        c = c.iloc[0]
        info = dictionary.loc[measure_id]
        sign = 1 if info["polarity"] == "higher" else -1
        spread = SPREAD[measure_id]
        centre = c["value"] + sign * ENGLAND_GAP_BY_MEASURE.get(measure_id, ENGLAND_GAP) * spread
        value = centre + sign * effect * spread * 0.8 + rng.normal(0, 0.3 * spread, len(others))
        if info["unit"] in ("%", "per 100"):
            value = np.clip(value, 0.05, 99.5)
        den = _denominator(measure_id, others["size"].to_numpy(), c["denominator"], city_row["size"])
        if info["unit"] in ("%", "per 100"):
            num = np.rint(value / 100 * den)
            value = 100 * num / den
        else:
            num = value * den
        rows.append(pd.DataFrame({"measure_id": measure_id, "time_period": tp,
                                  "old_la_code": others["old_la_code"].to_numpy(), "value": value,
                                  "numerator": num, "denominator": den}))
        rows.append(pd.DataFrame([{"measure_id": measure_id, "time_period": tp, "old_la_code": "999",
                                   "value": c["value"], "numerator": c["numerator"], "denominator": c["denominator"]}]))
    return comparator_table(pd.concat(rows, ignore_index=True), las)


def comparator_table(la_rows: pd.DataFrame, las: pd.DataFrame) -> pd.DataFrame:
    """The published-comparator layout from LA figures (``measure_id, time_period, old_la_code, value,
    numerator, denominator``): the LAs, then each region and England as the sum of their LAs'
    numerators over the sum of their denominators (so England includes the city, as DfE's does)."""
    dictionary = measure_dictionary()
    names = dict(REGIONS)
    all_las = la_rows.merge(las[["old_la_code", "area_code", "area_name", "region"]], on="old_la_code", how="left")
    all_las["geographic_level"] = "Local authority"
    rows = [all_las]
    for (measure_id, tp), one in all_las.groupby(["measure_id", "time_period"], sort=True):
        scale = _scaled(dictionary.loc[measure_id, "unit"])
        regional = one.groupby("region")[["numerator", "denominator"]].sum().reset_index()
        rows.append(pd.DataFrame({"measure_id": measure_id, "time_period": tp, "geographic_level": "Regional",
                                  "area_code": regional["region"], "old_la_code": "",
                                  "area_name": regional["region"].map(names), "region": regional["region"],
                                  "numerator": regional["numerator"], "denominator": regional["denominator"],
                                  "value": scale * regional["numerator"] / regional["denominator"]}))
        total = one[["numerator", "denominator"]].sum()
        rows.append(pd.DataFrame([{"measure_id": measure_id, "time_period": tp, "geographic_level": "National",
                                   "area_code": "E92000001", "old_la_code": "", "area_name": "England", "region": "",
                                   "numerator": total["numerator"], "denominator": total["denominator"],
                                   "value": scale * total["numerator"] / total["denominator"]}]))
    out = pd.concat(rows, ignore_index=True).drop(columns="region")
    level = out["geographic_level"].map({"Local authority": 0, "Regional": 1, "National": 2})
    out = out.assign(_level=level).sort_values(["measure_id", "time_period", "_level"], kind="stable",
                                               ignore_index=True).drop(columns="_level")
    out["breakdown_topic"] = "Total"
    out["breakdown"] = "Total"
    out["source"] = "edstats synthetic England"
    out["release"] = "synthetic"
    return out[["measure_id", "time_period", "geographic_level", "area_code", "old_la_code", "area_name",
                "breakdown_topic", "breakdown", "value", "numerator", "denominator", "source", "release"]]


def _scaled(unit: str) -> float:
    return 100.0 if unit in ("%", "per 100") else 1.0
