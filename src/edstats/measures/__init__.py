"""Measures: one module per area, each returning the common result shape (see ``result.py``).

:func:`compute_all` runs every area over the validated frames; an absent dataset gives no rows
for its measures (papers show them as ``x``, not available).
"""

from __future__ import annotations

import pandas as pd

from ..settings import Settings
from .dictionary import measure_dictionary, measure_info
from .eyfs import eyfs_measures
from .result import RESULT_COLUMNS, time_period


def compute_all(frames: dict[str, pd.DataFrame], settings: Settings) -> pd.DataFrame:
    """Every measure the library builds, over the validated frames, in one result frame."""
    results = [
        eyfs_measures(frames.get("eyfsp"), settings),
    ]
    out = pd.concat([r for r in results if not r.empty], ignore_index=True) if any(
        not r.empty for r in results) else pd.DataFrame(columns=RESULT_COLUMNS)
    return out[RESULT_COLUMNS].sort_values(["measure_id", "time_period", "breakdown_topic", "breakdown"],
                                           ignore_index=True)


__all__ = ["compute_all", "measure_dictionary", "measure_info", "time_period", "RESULT_COLUMNS"]
