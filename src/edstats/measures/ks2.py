"""Key stage 2: expected and higher standards and average scaled scores (methodology section 2).

Who is counted (section 2.2):

* In every denominator, as not meeting the standard: pupils with a code instead of a scaled
  score for a reason that does not remove them — A absent, B working below the test, N sat but
  no scaled score, U unable to access, J just arrived, H annulled, Q maladministration, D
  disapplied, F/P taken in another year — and writing judgements below EXS.
* Out of every denominator: pupils who left (L) or whose results are missing (M).
* Average scaled scores use only pupils with a scaled score (80-120).
"""

from __future__ import annotations

import pandas as pd

from ..settings import Settings
from .result import CHARACTERISTIC_BREAKDOWNS, empty_result, grouping_columns, mean_result, proportion_result

MEASURE_IDS = ("ks2_rwm_exp_pct", "ks2_rwm_high_pct", "ks2_read_exp_pct", "ks2_writ_exp_pct", "ks2_mat_exp_pct",
               "ks2_gps_exp_pct", "ks2_read_avg_ss", "ks2_mat_avg_ss", "ks2_gps_avg_ss")
REMOVED_CODES = ("L", "M")
EXPECTED, HIGHER = 100, 110
WRITING_EXPECTED = ("EXS", "GDS")
WRITING_HIGHER = ("GDS",)


def _removed(ks2: pd.DataFrame, subject: str) -> pd.Series:
    return ks2[f"{subject}_code"].isin(REMOVED_CODES).fillna(False).astype(bool)


def ks2_measures(ks2: pd.DataFrame | None, settings: Settings, topics=CHARACTERISTIC_BREAKDOWNS) -> pd.DataFrame:
    """Every KS2 measure, by academic year and breakdown."""
    if ks2 is None or ks2.empty:
        return empty_result()
    ss = {s: ks2[f"{s}_ss"].astype("Float64") for s in ("read", "mat", "gps")}
    meets = {s: (ss[s] >= EXPECTED).fillna(False).astype(bool) for s in ss}
    high = {s: (ss[s] >= HIGHER).fillna(False).astype(bool) for s in ss}
    writing = ks2["writ_ta"].astype("string")
    meets["writ"] = writing.isin(WRITING_EXPECTED).fillna(False).astype(bool)
    high["writ"] = writing.isin(WRITING_HIGHER).fillna(False).astype(bool)
    removed = {s: _removed(ks2, s) for s in ("read", "mat", "gps")}
    removed["writ"] = writing.isin(REMOVED_CODES).fillna(False).astype(bool)
    # A pupil is in the combined measures unless removed (left or missing) from any of the three.
    rwm_removed = removed["read"] | removed["mat"] | removed["writ"]
    pupils = grouping_columns(ks2, topics)          # the results need these only
    rwm = pupils[~rwm_removed]
    parts = [
        proportion_result(rwm, (meets["read"] & meets["mat"] & meets["writ"])[~rwm_removed], "ks2_rwm_exp_pct", topics),
        proportion_result(rwm, (high["read"] & high["mat"] & high["writ"])[~rwm_removed], "ks2_rwm_high_pct", topics),
    ]
    for subject in ("read", "writ", "mat", "gps"):
        cohort = pupils[~removed[subject]]
        parts.append(proportion_result(cohort, meets[subject][~removed[subject]], f"ks2_{subject}_exp_pct", topics))
    for subject in ("read", "mat", "gps"):
        scored = ss[subject].notna()
        parts.append(mean_result(pupils[scored], ss[subject][scored], f"ks2_{subject}_avg_ss", topics))
    return pd.concat(parts, ignore_index=True)
