"""Synthetic EYFSP results: 17 ELG judgements per child, calibrated to a GLD trend."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..periods import academic_year
from ..contract.eyfsp import ELG_COLUMNS
from .population import CHARACTERISTIC_COLUMNS, Population

#: Academic years with an EYFSP collection (none in 2019/20 or 2020/21), and the LA's GLD
#: level the generator aims at (the synthetic city sits a little below England's ~68%).
GLD_TARGETS = {2017: 69.0, 2018: 69.6, 2021: 62.4, 2022: 64.6, 2023: 64.9, 2024: 65.9}
# Relative difficulty of each ELG (writing hardest, as in DfE's published ELG results).
_DIFFICULTY = np.array([-0.35, -0.3, -0.3, -0.4, -0.45, -0.6, -0.2, -0.1, -0.05, 0.25, -0.1, -0.05,
                        -0.2, -0.3, -0.3, -0.4, -0.4])
_NOISE_SD = 0.45
NOT_ASSESSED_RATE = 0.004


def calibrate(share, target: float, lo: float = -4.0, hi: float = 6.0) -> float:
    """The shift at which ``share(shift)`` (increasing in shift) reaches ``target`` (bisection)."""
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if share(mid) < target else (lo, mid)
    return hi


def make_eyfsp(population: Population, rng: np.random.Generator, targets=GLD_TARGETS,
               calibration: dict | None = None) -> dict[str, pd.DataFrame]:
    """One frame per academic year, in the contract's columns.

    Each year's level is calibrated so that this LA reaches ``targets``; with ``calibration`` (a
    dict shared across LAs) the first LA's levels are recorded and reused by the others, whose
    results then differ from the first LA's as their pupils do."""
    calibration = {} if calibration is None else calibration
    out = {}
    for year, target in targets.items():
        cohort = population.pupils[population.pupils["_entry"] == year].reset_index(drop=True)
        n = len(cohort)
        latent = cohort["_latent"].to_numpy()
        noise = rng.normal(0, _NOISE_SD, size=(n, 17))
        assessed = rng.random(n) >= NOT_ASSESSED_RATE

        def gld_share(shift):
            expected = (latent[assessed, None] + shift - _DIFFICULTY[None, :12] + noise[assessed, :12]) > 0
            return expected.all(axis=1).mean() * 100

        if ("eyfsp", year) not in calibration:
            calibration[("eyfsp", year)] = calibrate(gld_share, target)
        shift = calibration[("eyfsp", year)]
        judgements = np.where((latent[:, None] + shift - _DIFFICULTY[None, :] + noise) > 0, "2", "1")
        judgements[~assessed, :] = "A"
        out[academic_year(year)] = pd.concat([
            pd.DataFrame({"upn": cohort["upn"], "academic_year": academic_year(year),
                          "school_urn": cohort["_primary"], "date_of_birth": cohort["date_of_birth"]}),
            pd.DataFrame(judgements, columns=list(ELG_COLUMNS)),
            cohort[CHARACTERISTIC_COLUMNS],
        ], axis=1)
    return out
