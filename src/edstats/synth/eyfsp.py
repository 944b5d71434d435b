"""Synthetic EYFSP results: 17 ELG judgements per child, calibrated to a GLD trend."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..contract.eyfsp import ELG_COLUMNS
from .pupils import make_cohort

#: Academic years with an EYFSP collection (none in 2019/20 or 2020/21), and the LA's GLD
#: level the generator aims at (the synthetic city sits a little below England's ~68%).
GLD_TARGETS = {
    "2017/18": 69.0, "2018/19": 69.6,
    "2021/22": 62.4, "2022/23": 64.6, "2023/24": 64.9, "2024/25": 65.9,
}
# Relative difficulty of each ELG (writing hardest, as in DfE's published ELG results).
_DIFFICULTY = np.array([-0.35, -0.3, -0.3, -0.4, -0.45, -0.6, -0.2, -0.1, -0.05, 0.25, -0.1, -0.05,
                        -0.2, -0.3, -0.3, -0.4, -0.4])
_NOISE_SD = 0.45
NOT_ASSESSED_RATE = 0.004


def _gld_share(latent, noise, shift):
    expected = (latent[:, None] + shift - _DIFFICULTY[None, :12] + noise[:, :12]) > 0
    return expected.all(axis=1).mean() * 100


def make_eyfsp(schools: pd.DataFrame, children_per_year: int, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """One frame per academic year, in the contract's columns."""
    reception = schools[schools["phase"].isin(["PRI", "ALL"])]
    out = {}
    for k, (year, target) in enumerate(GLD_TARGETS.items()):
        entry = int(year[:4])
        n = int(children_per_year * (1 + 0.01 * (entry - 2021)) * rng.uniform(0.98, 1.02))
        cohort = make_cohort(entry, reception, n, rng)
        latent = cohort.pop("_latent").to_numpy()
        noise = rng.normal(0, _NOISE_SD, size=(n, 17))
        assessed = rng.random(n) >= NOT_ASSESSED_RATE
        # Find the overall level that gives the target GLD among assessed children (bisection).
        lo, hi = -3.0, 5.0
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if _gld_share(latent[assessed], noise[assessed], mid) < target else (lo, mid)
        expected = (latent[:, None] + hi - _DIFFICULTY[None, :] + noise) > 0
        judgements = np.where(expected, "2", "1")
        judgements[~assessed, :] = "A"
        elgs = pd.DataFrame(judgements, columns=list(ELG_COLUMNS))
        frame = pd.concat([
            cohort[["upn"]].assign(academic_year=year),
            cohort[["school_urn", "date_of_birth"]],
            elgs,
            cohort.drop(columns=["upn", "school_urn", "date_of_birth"]),
        ], axis=1)
        out[year] = frame
    return out
