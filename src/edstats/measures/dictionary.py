"""The measure dictionary: label, polarity, unit and decimal places of every measure id.

It is one CSV (``dictionary.csv`` beside this module) so an analyst can read it, and it is the
single place papers look up how to present and compare a measure. ``status`` says whether the
library computes the measure yet (``built``) or only reserves its id (``planned``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

_PATH = Path(__file__).with_name("dictionary.csv")


@lru_cache(maxsize=1)
def measure_dictionary() -> pd.DataFrame:
    """The dictionary as a frame indexed by ``measure_id``."""
    frame = pd.read_csv(_PATH, dtype={"dp": int, "series_breaks": str}, keep_default_na=False)
    return frame.set_index("measure_id")


def measure_info(measure_id: str) -> pd.Series:
    """One measure's row; raises KeyError for an unknown id."""
    return measure_dictionary().loc[measure_id]


def series_breaks(measure_id: str) -> list[str]:
    """The time periods that start a new series of the measure (not comparable with the year before)."""
    return [b for b in str(measure_info(measure_id)["series_breaks"]).split(";") if b]


def not_published(measure_id: str) -> dict[str, str]:
    """Years DfE did not publish the measure -> why ('COVID-19'), from the ``not_published`` column."""
    text = str(measure_info(measure_id)["not_published"])
    return dict(part.split("=", 1) for part in text.split(";") if "=" in part)
