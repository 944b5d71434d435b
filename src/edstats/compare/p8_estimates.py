"""DfE Progress 8 estimates: national A8 and element averages for each KS2 prior-attainment group.

Reads the files DfE publishes with its KS4 ready reckoner, as published:

* ``p8_att8_splits.csv`` — group number, "KS2 average scaled score range" written like
  ``82.5 to 86``, and the Attainment 8, English, maths, EBacc and open averages (later editions
  add slot-fill columns and multi-line quoted headers);
* ``p8_stdev_file.csv`` — national pupil-level standard deviations of P8 and its elements, by
  column name (``p8stdev, p8engstdev, p8matstdev, p8ebacstdev, p8openstdev``). The ``_named``
  variant lists open before EBacc under swapped labels, so it is not used;
* optionally ``p8_outlier_floors.csv`` (``pag, floor``): the per-group floor of the outlier
  adjustment that DfE publishes in its guide. Without it no adjustment is applied, and the
  estimates say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputError

ELEMENTS = ("a8", "eng", "mat", "ebacc", "open")
_SPLIT_COLUMNS = {"Attainment 8 average": "a8", "English average": "eng", "Maths average": "mat",
                  "EBacc average": "ebacc", "Open average": "open"}
_SD_COLUMNS = {"p8stdev": "a8", "p8engstdev": "eng", "p8matstdev": "mat", "p8ebacstdev": "ebacc",
               "p8openstdev": "open"}


@dataclass(frozen=True)
class P8Estimates:
    """One year's estimates: ``groups`` (pag, low, high, a8, eng, mat, ebacc, open), national
    SDs by element, optional outlier floors by group, and where they came from."""

    groups: pd.DataFrame
    sd: dict
    floors: dict | None
    source: str

    def group_of(self, ks2_mean: pd.Series) -> pd.Series:
        """The prior-attainment group of each KS2 average (NaN outside every range)."""
        bins = self.groups.sort_values("low")
        out = pd.Series(float("nan"), index=ks2_mean.index)
        for row in bins.itertuples():
            out[(ks2_mean >= row.low) & (ks2_mean <= row.high)] = row.pag
        return out


def _clean_header(name: str) -> str:
    return re.sub(r"\s+", " ", str(name).replace("\ufeff", "")).strip()


def read_p8_estimates(folder: str | Path) -> P8Estimates:
    """Read one year's DfE estimates folder. Raises :class:`InputError` naming what is wrong."""
    folder = Path(folder)
    splits_path, sd_path = folder / "p8_att8_splits.csv", folder / "p8_stdev_file.csv"
    for path in (splits_path, sd_path):
        if not path.exists():
            raise InputError(f"{folder} has no {path.name}: copy DfE's Progress 8 estimates files for that year there.")
    splits = pd.read_csv(splits_path, encoding="utf-8-sig")
    splits.columns = [_clean_header(c) for c in splits.columns]
    missing = [c for c in ["KS2 prior attainment group", "KS2 average scaled score range", *_SPLIT_COLUMNS]
               if c not in splits.columns]
    if missing:
        raise InputError(f"{splits_path} lacks the column(s) {', '.join(missing)} of DfE's estimates file.")
    ranges = splits["KS2 average scaled score range"].astype(str).str.extract(r"^\s*([\d.]+)\s+to\s+([\d.]+)\s*$")
    if ranges.isna().any().any():
        bad = splits.loc[ranges.isna().any(axis=1), "KS2 average scaled score range"].iloc[0]
        raise InputError(f"{splits_path}: a score range reads {bad!r}; expected e.g. '82.5 to 86'.")
    groups = pd.DataFrame({"pag": splits["KS2 prior attainment group"].astype(int),
                           "low": ranges[0].astype(float), "high": ranges[1].astype(float)})
    for column, element in _SPLIT_COLUMNS.items():
        groups[element] = splits[column].astype(float)
    sd_frame = pd.read_csv(sd_path, encoding="utf-8-sig")
    sd_frame.columns = [_clean_header(c) for c in sd_frame.columns]
    if set(_SD_COLUMNS) - set(sd_frame.columns):
        raise InputError(f"{sd_path} must have the columns {', '.join(_SD_COLUMNS)}.")
    sd = {element: float(sd_frame[column].iloc[0]) for column, element in _SD_COLUMNS.items()}
    floors_path = folder / "p8_outlier_floors.csv"
    floors = None
    if floors_path.exists():
        f = pd.read_csv(floors_path)
        floors = dict(zip(f["pag"].astype(int), f["floor"].astype(float)))
    return P8Estimates(groups=groups, sd=sd, floors=floors, source=str(folder))


def load_estimates_by_year(root: str | Path) -> dict[str, P8Estimates]:
    """Estimates folders under ``root`` named by time period (``202324/``), read into a dict."""
    root = Path(root)
    if not root.is_dir():
        return {}
    return {p.name: read_p8_estimates(p) for p in sorted(root.iterdir())
            if p.is_dir() and re.fullmatch(r"\d{6}", p.name)}


def write_p8_estimates(estimates: P8Estimates, folder: str | Path) -> None:
    """Write estimates in DfE's layout (used for the synthetic world's own estimates)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    g = estimates.groups
    pd.DataFrame({
        "KS2 prior attainment group": g["pag"],
        "KS2 average scaled score range": [f"{lo:g} to {hi:g}" for lo, hi in zip(g["low"], g["high"])],
        **{column: g[element].round(2) for column, element in _SPLIT_COLUMNS.items()},
    }).to_csv(folder / "p8_att8_splits.csv", index=False, lineterminator="\n")
    pd.DataFrame([{column: round(estimates.sd[element], 6) for column, element in _SD_COLUMNS.items()}]).to_csv(
        folder / "p8_stdev_file.csv", index=False, lineterminator="\n")
    if estimates.floors:
        pd.DataFrame({"pag": list(estimates.floors), "floor": [round(v, 4) for v in estimates.floors.values()]}).to_csv(
            folder / "p8_outlier_floors.csv", index=False, lineterminator="\n")
