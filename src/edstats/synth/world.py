"""The fictional local authority: its size, districts, wards and schools.

Nothing here names a real LA. Sizes by scale: ``city`` is a Birmingham-sized LA
(~16k children per year group, ~450 schools, 10 districts, ~70 wards); ``small`` is a few
schools, for tests, made in well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LA_OLD_CODE = "999"

DISTRICTS = (
    "Ashgrove", "Brackenhurst", "Castlemead", "Dunholm", "Elmstead",
    "Fernley", "Greywell", "Harrowdene", "Ivybridge Vale", "Juniper Heath",
)
_WARD_SUFFIXES = ("North", "South", "East", "West", "Central", "Park", "Green")
_NAME_STEMS = (
    "Oakfield", "Willow", "St Aidan's", "Meadowbank", "Holly Lane", "Kingsway", "Riverside",
    "Beacon", "Foxhill", "Larkrise", "Moorcroft", "Northbrook", "Orchard", "Primrose", "Queensbury",
    "Rosewood", "Stonebridge", "Thornbury", "Upton", "Victoria", "Westfield", "Yew Tree",
)


@dataclass(frozen=True)
class Scale:
    """How big the synthetic LA is."""

    name: str
    children_per_year: int
    schools_by_phase: dict
    districts: int
    wards_per_district: int


SCALES = {
    "small": Scale("small", 320, {"NUR": 1, "PRI": 8, "SEC": 2, "ALL": 1, "SPE": 1, "PRU": 1}, 3, 2),
    "city": Scale("city", 16000, {"NUR": 25, "PRI": 305, "SEC": 76, "ALL": 8, "SPE": 27, "PRU": 5, "AP": 6}, 10, 7),
}

_HEADCOUNT = {"NUR": (90, 20), "PRI": (400, 120), "SEC": (1100, 250), "ALL": (1600, 300),
              "SPE": (140, 40), "PRU": (60, 20), "AP": (40, 15)}
_TYPE = {"NUR": ["LA_MAINTAINED"], "PRI": ["LA_MAINTAINED", "ACADEMY", "FREE"],
         "SEC": ["ACADEMY", "LA_MAINTAINED", "FREE"], "ALL": ["ACADEMY", "FREE"], "SPE": ["SPECIAL"],
         "PRU": ["PRU"], "AP": ["PRU", "ACADEMY"]}
_SUFFIX = {"NUR": "Nursery School", "PRI": "Primary School", "SEC": "Academy", "ALL": "All-Through School",
           "SPE": "Special School", "PRU": "Pupil Referral Unit", "AP": "Alternative Provision"}
_ESTAB_BASE = {"NUR": 1000, "PRI": 2000, "SEC": 4000, "ALL": 4500, "SPE": 7000, "PRU": 1100, "AP": 1200}


def make_geography(scale: Scale, district_names=DISTRICTS) -> pd.DataFrame:
    """Districts and their wards."""
    rows = []
    for d in district_names[: scale.districts]:
        for s in _WARD_SUFFIXES[: scale.wards_per_district]:
            rows.append({"district": d, "ward": f"{d} {s}"})
    return pd.DataFrame(rows)


def make_schools(scale: Scale, rng: np.random.Generator, la_code: str = LA_OLD_CODE, district_names=DISTRICTS,
                 deprivation_shift: float = 0.0, used_urns: set | None = None) -> pd.DataFrame:
    """The schools dataset (data contract columns) plus hidden columns starting with '_'.

    ``_effect`` is the school's effect on attainment (in standard deviations of the pupil
    latent); ``_deprivation`` is its district's deprivation (``deprivation_shift`` moves the whole
    LA). Both are dropped before writing. ``used_urns`` keeps URNs unique across LAs.
    """
    geography = make_geography(scale, district_names)
    district_names = geography["district"].unique()
    deprivation = dict(zip(district_names, deprivation_shift + np.linspace(-1.0, 1.0, len(district_names))[
        rng.permutation(len(district_names))]))
    rows = []
    used_urns = set() if used_urns is None else used_urns
    for phase, count in scale.schools_by_phase.items():
        for i in range(count):
            urn = int(rng.integers(100000, 150000))
            while urn in used_urns:
                urn = int(rng.integers(100000, 150000))
            used_urns.add(urn)
            ward = geography.iloc[int(rng.integers(len(geography)))]
            mean, sd = _HEADCOUNT[phase]
            effect = rng.normal(0, 0.22) - 0.12 * deprivation[ward["district"]]
            # Ofsted grade follows the school's effect loosely; a few schools never inspected.
            grade_score = effect + rng.normal(0, 0.25)
            ofsted = "1" if grade_score > 0.3 else "2" if grade_score > -0.36 else "3" if grade_score > -0.6 else "4"
            inspected = rng.random() > 0.02
            stem = _NAME_STEMS[i % len(_NAME_STEMS)]
            rows.append({
                "school_urn": f"{urn:06d}",
                "laestab": f"{la_code}{_ESTAB_BASE[phase] + i:04d}",
                "school_name": f"{stem} {_SUFFIX[phase]}" + (f" ({ward['ward']})" if i >= len(_NAME_STEMS) else ""),
                "phase": phase,
                "school_type": _TYPE[phase][int(rng.integers(len(_TYPE[phase])))],
                "district": ward["district"],
                "ward": ward["ward"],
                "ofsted_rating": ofsted if inspected else "",
                "ofsted_date": (pd.Timestamp("2019-09-01") + pd.Timedelta(days=int(rng.integers(0, 2000)))).strftime("%Y-%m-%d") if inspected else "",
                "headcount": max(15, int(rng.normal(mean, sd))),
                "open_date": (pd.Timestamp("1950-09-01") + pd.Timedelta(days=int(rng.integers(0, 24000)))).strftime("%Y-%m-%d"),
                "close_date": "",
                "_effect": effect,
                "_deprivation": deprivation[ward["district"]],
            })
    return pd.DataFrame(rows)
