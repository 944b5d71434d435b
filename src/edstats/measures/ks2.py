"""Key stage 2: expected and higher standards and average scaled scores (methodology section 2).

Who is counted (section 2.2), in ``sql/ks2.sql``:

* In every denominator, as not meeting the standard: pupils with a code instead of a scaled
  score for a reason that does not remove them — A absent, B working below the test, N sat but
  no scaled score, U unable to access, J just arrived, H annulled, Q maladministration, D
  disapplied, F/P taken in another year — and writing judgements below EXS.
* Out of every denominator: pupils who left (L) or whose results are missing (M).
* Average scaled scores use only pupils with a scaled score (80-120).
"""

from __future__ import annotations

import pandas as pd

from ..engine import sql
from ..settings import Settings
from .result import CHARACTERISTIC_BREAKDOWNS, Mean, Proportion, empty_result, measures_over

MEASURE_IDS = ("ks2_rwm_exp_pct", "ks2_rwm_high_pct", "ks2_read_exp_pct", "ks2_writ_exp_pct", "ks2_mat_exp_pct",
               "ks2_gps_exp_pct", "ks2_read_avg_ss", "ks2_mat_avg_ss", "ks2_gps_avg_ss")

MEASURES = [
    Proportion("ks2_rwm_exp_pct", "rwm_expected", denominator="rwm_in"),
    Proportion("ks2_rwm_high_pct", "rwm_higher", denominator="rwm_in"),
    *[Proportion(f"ks2_{subject}_exp_pct", f"{subject}_expected", denominator=f"NOT {subject}_out")
      for subject in ("read", "writ", "mat", "gps")],
    *[Mean(f"ks2_{subject}_avg_ss", f"{subject}_ss") for subject in ("read", "mat", "gps")],
]


def ks2_measures(ks2: pd.DataFrame | None, settings: Settings, topics=CHARACTERISTIC_BREAKDOWNS) -> pd.DataFrame:
    """Every KS2 measure, by academic year and breakdown."""
    if ks2 is None or ks2.empty:
        return empty_result()
    return measures_over(sql("ks2"), {"ks2": ks2}, MEASURES, topics, ks2.columns)
