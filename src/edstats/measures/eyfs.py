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
from .result import CHARACTERISTIC_BREAKDOWNS, empty_result, mean_result, proportion_result

MEASURE_IDS = ("eyfs_gld_pct", "eyfs_avg_elg_expected", "eyfs_all_elg_expected_pct")
EXPECTED = "2"
NOT_ASSESSED = "A"


def eyfs_measures(eyfsp: pd.DataFrame | None, settings: Settings, topics=CHARACTERISTIC_BREAKDOWNS) -> pd.DataFrame:
    """Every EYFSP measure, by academic year and breakdown, in the common result shape."""
    if eyfsp is None or eyfsp.empty:
        return empty_result()
    judgements = eyfsp[list(ELG_COLUMNS)]
    not_assessed = judgements.eq(NOT_ASSESSED).all(axis=1)
    cohort = eyfsp if settings.methodology.eyfsp_include_not_assessed_in_denominator else eyfsp[~not_assessed]
    expected = cohort[list(ELG_COLUMNS)].eq(EXPECTED)
    return pd.concat([
        proportion_result(cohort, expected[list(GLD_ELGS)].all(axis=1), "eyfs_gld_pct", topics),
        mean_result(cohort, expected.sum(axis=1), "eyfs_avg_elg_expected", topics),
        proportion_result(cohort, expected.all(axis=1), "eyfs_all_elg_expected_pct", topics),
    ], ignore_index=True)
