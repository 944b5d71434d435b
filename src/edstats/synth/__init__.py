"""The synthetic local authority: every dataset of the data contract, seeded and deterministic.

``write_synthetic(out_dir, scale, seed)`` writes ``<out_dir>/<dataset>/*.csv`` and a
``SYNTHETIC.md`` marker that makes every paper carry the synthetic-data notice.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..validate import SYNTHETIC_MARKER
from .eyfsp import make_eyfsp
from .world import SCALES, make_schools

DATASETS_WRITTEN = ("schools", "eyfsp")


def write_synthetic(out_dir: str | Path, scale: str = "city", seed: int = 2026, progress=None) -> list[Path]:
    """Generate the synthetic LA into ``out_dir``; the same seed gives byte-identical files.

    Datasets are written to a temporary folder first and moved into place at the end, so an
    interrupted run leaves no half-written dataset. Returns the files written.
    """
    if scale not in SCALES:
        raise InputError(f"Unknown scale {scale!r}: choose one of {', '.join(SCALES)}.")
    out_dir = Path(out_dir)
    clashes = [name for name in DATASETS_WRITTEN if (out_dir / name).exists()]
    if clashes:
        raise InputError(
            f"{out_dir} already holds dataset folder(s) {', '.join(clashes)}. Synthetic data is only "
            "written into an empty folder, so real extracts are never overwritten: choose another --out or "
            "empty the folder first."
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    spec = SCALES[scale]
    written = []
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".synth-") as tmp:
        tmp = Path(tmp)
        schools = make_schools(spec, rng)
        (tmp / "schools").mkdir()
        schools.drop(columns=[c for c in schools if c.startswith("_")]).to_csv(
            tmp / "schools" / "schools.csv", index=False, lineterminator="\n")
        if progress:
            progress("schools")
        (tmp / "eyfsp").mkdir()
        for year, frame in make_eyfsp(schools, spec.children_per_year, rng).items():
            frame.to_csv(tmp / "eyfsp" / f"eyfsp_{year.replace('/', '-')}.csv", index=False, lineterminator="\n")
        if progress:
            progress("eyfsp")
        (tmp / SYNTHETIC_MARKER).write_text(
            "# Synthetic data\n\nMade by `edstats synth` "
            f"(scale {scale}, seed {seed}) for a fictional local authority. Not real pupils, not real figures.\n"
            "While this file is in the data folder every paper carries a synthetic-data notice.\n",
            encoding="utf-8")
        for item in sorted(tmp.iterdir()):
            shutil.move(str(item), out_dir / item.name)
            written.extend(sorted((out_dir / item.name).rglob("*")) if (out_dir / item.name).is_dir() else [out_dir / item.name])
    return [p for p in written if p.is_file()]
