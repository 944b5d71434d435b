"""The synthetic LA's children: one birth cohort per Reception entry year, followed through school.

A pupil keeps their UPN, characteristics and latent ability at every stage; their primary school
is chosen at Reception and their secondary school at Year 7 (mostly in their home district).
Pupils with an EHC plan are often placed in special schools. National curriculum year in academic
year Y is Y - entry_year (Reception = 0, Year 11 = 11).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..periods import academic_year
from .pupils import make_cohort

#: The characteristic columns every pupil-level dataset carries.
CHARACTERISTIC_COLUMNS = ["sex", "disadvantaged", "fsm", "sen_provision", "eal", "ethnicity_major",
                          "looked_after", "home_district", "home_ward"]


@dataclass
class Population:
    """All cohorts: ``pupils`` (one row per pupil) with hidden columns ``_entry``, ``_latent``,
    ``_primary`` and ``_secondary`` (school URNs)."""

    pupils: pd.DataFrame
    schools: pd.DataFrame


def _choose_schools(pupils: pd.DataFrame, schools: pd.DataFrame, rng: np.random.Generator,
                    same_district: float) -> np.ndarray:
    """A school for each pupil, weighted by headcount, in the home district with probability ``same_district``."""
    out = np.empty(len(pupils), dtype=object)
    weights = schools["headcount"].to_numpy(float)
    all_p = weights / weights.sum()
    local = rng.random(len(pupils)) < same_district
    for district, idx in pupils.groupby("home_district").indices.items():
        mask = (schools["district"] == district).to_numpy()
        pick_local = idx[local[idx]]
        if mask.any() and len(pick_local):
            w = weights[mask] / weights[mask].sum()
            out[pick_local] = schools["school_urn"].to_numpy()[mask][rng.choice(mask.sum(), len(pick_local), p=w)]
        rest = idx[~local[idx]] if mask.any() else idx
        out[rest] = schools["school_urn"].to_numpy()[rng.choice(len(schools), len(rest), p=all_p)]
    return out


def make_population(schools: pd.DataFrame, children_per_year: int, entry_years, rng) -> Population:
    """Cohorts for every Reception entry year in ``entry_years``, with their schools."""
    primary = schools[schools["phase"].isin(["PRI", "ALL"])]
    secondary = schools[schools["phase"].isin(["SEC", "ALL"])]
    special = schools[schools["phase"] == "SPE"]
    frames = []
    for entry in entry_years:
        n = int(children_per_year * (1 + 0.01 * (entry - 2021)) * rng.uniform(0.98, 1.02))
        cohort = make_cohort(entry, primary, n, rng)
        cohort["_entry"] = entry
        cohort["_primary"] = cohort["school_urn"]
        cohort["_secondary"] = _choose_schools(cohort, secondary, rng, same_district=0.7)
        if len(special):
            to_special = (cohort["sen_provision"] == "E").to_numpy() & (rng.random(n) < 0.45)
            urns = special["school_urn"].to_numpy()[rng.integers(len(special), size=to_special.sum())]
            cohort.loc[to_special, "_primary"] = urns
            cohort.loc[to_special, "_secondary"] = urns
        frames.append(cohort.drop(columns=["school_urn"]))
    pupils = pd.concat(frames, ignore_index=True)
    # Categoricals: a pupil's UPN and characteristics repeat in every term and month of the data,
    # so the large datasets are built (and written to Parquet) from codes, not strings.
    urns = pd.CategoricalDtype(sorted(schools["school_urn"]))
    pupils["_primary"] = pupils["_primary"].astype(urns)
    pupils["_secondary"] = pupils["_secondary"].astype(urns)
    for column in ["upn", *CHARACTERISTIC_COLUMNS]:
        pupils[column] = pupils[column].astype("category")
    return Population(pupils, schools)


def enrolled(population: Population, academic_year: int, ncyears=range(0, 12)) -> pd.DataFrame:
    """Pupils on roll in the academic year starting ``academic_year``, with ``ncyear`` and ``school_urn``."""
    p = population.pupils
    ncyear = academic_year - p["_entry"]
    out = p[ncyear.isin(list(ncyears))].copy()
    out["ncyear"] = academic_year - out["_entry"]
    out["school_urn"] = out["_primary"].where(out["ncyear"] <= 6, out["_secondary"])
    return out


def january_census(population: Population, schools: pd.DataFrame, years) -> pd.DataFrame:
    """Each school's January census headcount in each academic year starting in ``years``: its
    pupils on roll that year (Reception to Year 11: the synthetic population places no nursery
    children, so nurseries have no census rows); a school with nobody on roll has none that year."""
    rows = []
    for year in years:
        on_roll = enrolled(population, year)["school_urn"].value_counts()
        rows.append(pd.DataFrame({"school_urn": on_roll.index, "academic_year": academic_year(year),
                                  "headcount": on_roll.to_numpy()}))
    return pd.concat(rows, ignore_index=True).sort_values(["academic_year", "school_urn"], ignore_index=True)
