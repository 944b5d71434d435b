"""Early years: Good Level of Development and the other EYFSP measures (methodology section 1).

GLD: a child at the expected level (code 2) in all 12 GLD early learning goals, as a % of
children. Average ELGs: the mean number of the 17 ELGs at expected. All-17: % at expected in
every ELG. Whole-child "A" (not assessed) records are left out of every denominator unless
``methodology.eyfsp_include_not_assessed_in_denominator`` is set, in which case they count as
not reaching any ELG.
"""

from __future__ import annotations

import pandas as pd

from ..contract.eyfsp import ELG_COLUMNS, GLD_ELGS
from ..settings import Settings
from .result import CHARACTERISTIC_BREAKDOWNS, Mean, Proportion, empty_result, measures_over

MEASURE_IDS = ("eyfs_gld_pct", "eyfs_avg_elg_expected", "eyfs_all_elg_expected_pct")


def _goals_at(goals, code: str) -> str:
    """SQL: how many of ``goals`` a child has at ``code``."""
    return " + ".join(f"(CASE WHEN {goal} = '{code}' THEN 1 ELSE 0 END)" for goal in goals)


#: One row per child: of the 17 goals, how many at expected and how many not assessed; of the 12
#: GLD goals, how many at expected.
CHILDREN = f"""
    SELECT *, {_goals_at(ELG_COLUMNS, '2')} AS goals_expected,
           {_goals_at(GLD_ELGS, '2')} AS gld_goals_expected,
           {_goals_at(ELG_COLUMNS, 'A')} AS goals_not_assessed
    FROM eyfsp"""


def eyfs_measures(eyfsp: pd.DataFrame | None, settings: Settings, topics=CHARACTERISTIC_BREAKDOWNS) -> pd.DataFrame:
    """Every EYFSP measure, by academic year and breakdown, in the common result shape."""
    if eyfsp is None or eyfsp.empty:
        return empty_result()
    cohort = ("TRUE" if settings.methodology.eyfsp_include_not_assessed_in_denominator
              else f"goals_not_assessed < {len(ELG_COLUMNS)}")
    return measures_over(f"SELECT * FROM ({CHILDREN}) AS children WHERE {cohort}", {"eyfsp": eyfsp}, [
        Proportion("eyfs_gld_pct", f"gld_goals_expected = {len(GLD_ELGS)}"),
        Mean("eyfs_avg_elg_expected", "goals_expected"),
        Proportion("eyfs_all_elg_expected_pct", f"goals_expected = {len(ELG_COLUMNS)}"),
    ], topics, eyfsp.columns)
