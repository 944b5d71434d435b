"""The synthetic local authority: every dataset of the data contract, seeded and deterministic.

``write_synthetic(out_dir, scale, seed)`` writes ``<out_dir>/<dataset>/`` files (CSV, or Parquet
for the large attendance and CCIS datasets) and a ``SYNTHETIC.md`` marker that makes every paper
carry the synthetic-data notice. Results cover 2017/18 to 2024/25 (none in 2019/20 and 2020/21),
attendance and exclusions run to the end of the 2025/26 autumn term, CCIS to February 2026.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ..errors import InputError
from ..periods import academic_year
from ..validate import SYNTHETIC_MARKER
from .attendance import make_attendance, write_sessions
from .calendar import make_calendar
from ..measures import compute_all
from ..settings import Settings
from .ccis import make_ccis
from .comparators import make_comparators, make_groups, make_las
from .exclusions import make_exclusions
from .eyfsp import make_eyfsp
from .ks2 import make_ks2, subject_abilities
from ..compare.p8_estimates import write_p8_estimates
from .ks4 import make_ks4, make_national_estimates
from .population import enrolled, january_census, make_population
from .national import NATIONAL_LAS, write_national
from .world import SCALES, make_schools

SCALE_NAMES = (*SCALES, "national")

DATASETS_WRITTEN = ("schools", "school_census", "calendar", "eyfsp", "ks2", "ks4_pupils", "ks4_results", "attendance",
                    "ccis", "exclusions", "provision")
FIRST_YEAR, LAST_YEAR = 2017, 2025          # academic years by their start
LAST_CCIS_MONTH = "2026-02"


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """One CSV file, unquoted like a typical MIS export: pyarrow's writer (about 15 times faster
    than pandas' at a million rows), or pandas' when a value needs quoting."""
    try:
        body = io.BytesIO()
        pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), body,
                        pacsv.WriteOptions(include_header=False, quoting_style="none"))
    except pa.ArrowInvalid:      # a comma or quote in a value
        frame.to_csv(path, index=False, lineterminator="\n")
        return
    path.write_bytes((",".join(frame.columns) + "\n").encode() + body.getvalue())


def _write_csv(frames: dict[str, pd.DataFrame], folder: Path, stem: str) -> None:
    folder.mkdir()
    for label, frame in frames.items():
        if frame.empty:   # e.g. no permanent exclusion that year at small scale: no file
            continue
        write_csv(frame, folder / f"{stem}_{label.replace('/', '-')}.csv")


def _write_parquet(frames: dict[str, pd.DataFrame], folder: Path, stem: str) -> None:
    folder.mkdir()
    for label, frame in frames.items():
        frame.to_parquet(folder / f"{stem}_{label.replace('/', '-')}.parquet", index=False, compression="zstd")


def write_synthetic(out_dir: str | Path, scale: str = "city", seed: int = 2026, with_sessions: bool = False,
                    progress=None, national_size_factor: float = 1.0,
                    national_las: int = NATIONAL_LAS) -> list[Path]:
    """Generate the synthetic LA into ``out_dir``; the same seed gives byte-identical files.

    Datasets are made in a temporary folder and moved into place at the end, so an interrupted
    run leaves no half-written dataset. ``with_sessions`` adds the daily attendance feed
    (Parquet) for 2024/25 and 2025/26 to date. Scale ``national`` writes every LA of the synthetic
    England (``national_las`` of them, each shrunk by ``national_size_factor`` — both for tests
    only). Returns the files written.
    """
    if scale not in SCALE_NAMES:
        raise InputError(f"Unknown scale {scale!r}: choose one of {', '.join(SCALE_NAMES)}.")
    if scale == "national" and with_sessions:
        raise InputError("The daily session feed is made at small and city scale only (national scale would be "
                         "billions of rows): drop --with-sessions, or choose --scale city.")
    out_dir = Path(out_dir)
    names = DATASETS_WRITTEN + (("attendance_sessions",) if with_sessions else ())
    clashes = [name for name in names + ("p8_estimates", "comparators") if (out_dir / name).exists()]
    if clashes:
        raise InputError(
            f"{out_dir} already holds dataset folder(s) {', '.join(clashes)}. Synthetic data is only "
            "written into an empty folder, so real extracts are never overwritten: choose another --out or "
            "empty the folder first."
        )
    step = progress or (lambda name: None)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".synth-") as tmp:
        tmp = Path(tmp)
        if scale == "national":
            calendar = make_calendar(FIRST_YEAR, LAST_YEAR)
            write_national(tmp, seed, FIRST_YEAR, LAST_YEAR, LAST_CCIS_MONTH, calendar, _data_end(calendar), step,
                           n_las=national_las, size_factor=national_size_factor)
            _finish(tmp, out_dir, scale, seed)
            return _written(out_dir, names)
        spec = SCALES[scale]
        schools = make_schools(spec, rng)
        calendar = make_calendar(FIRST_YEAR, LAST_YEAR)
        data_end = _data_end(calendar)
        population = make_population(schools, spec.children_per_year, range(FIRST_YEAR - 13, LAST_YEAR + 1), rng)
        # January census headcount: the pupils on roll in the last full year (nurseries keep theirs).
        on_roll = enrolled(population, LAST_YEAR - 1)["school_urn"].value_counts()
        schools["headcount"] = schools["school_urn"].map(on_roll).fillna(schools["headcount"]).astype(int)
        schools.loc[schools["phase"] == "NUR", "headcount"] = schools.loc[schools["phase"] == "NUR", "headcount"]
        (tmp / "schools").mkdir()
        schools.drop(columns=[c for c in schools if c.startswith("_")]).to_csv(
            tmp / "schools" / "schools.csv", index=False, lineterminator="\n")
        census = january_census(population, schools, range(FIRST_YEAR, LAST_YEAR + 1))
        (tmp / "school_census").mkdir()
        census.to_csv(tmp / "school_census" / "school_census.csv", index=False, lineterminator="\n")
        (tmp / "calendar").mkdir()
        calendar.to_csv(tmp / "calendar" / "calendar.csv", index=False, lineterminator="\n")
        step("schools and calendar")

        eyfsp = make_eyfsp(population, rng)
        _write_csv(eyfsp, tmp / "eyfsp", "eyfsp")
        abilities = subject_abilities(population.pupils, rng)
        ks2, ks2_levels = make_ks2(population, abilities, rng)
        _write_csv(ks2, tmp / "ks2", "ks2")
        ks4_pupils, ks4_results = make_ks4(population, abilities, ks2_levels, rng)
        _write_csv(ks4_pupils, tmp / "ks4_pupils", "ks4_pupils")
        _write_csv(ks4_results, tmp / "ks4_results", "ks4_results")
        estimates = make_national_estimates(population, abilities, ks2_levels, rng)
        for period, one_year in estimates.items():
            write_p8_estimates(one_year, tmp / "p8_estimates" / period)
        step("results")

        attendance = make_attendance(population, calendar, rng)
        _write_parquet(attendance, tmp / "attendance", "attendance")
        if with_sessions:
            (tmp / "attendance_sessions").mkdir()
            for label in (academic_year(LAST_YEAR - 1), academic_year(LAST_YEAR)):
                write_sessions(attendance[label], calendar, int(label[:4]), tmp / "attendance_sessions", rng)
        step("attendance")

        ccis = make_ccis(population, FIRST_YEAR, LAST_CCIS_MONTH, rng)
        _write_parquet(ccis, tmp / "ccis", "ccis")
        exclusions, provision = make_exclusions(population, calendar, data_end, rng)
        _write_csv(exclusions, tmp / "exclusions", "exclusions")
        _write_csv(provision, tmp / "provision", "provision")
        step("NEET and exclusions")

        # The synthetic England: the city's own headline figures (computed by the library from
        # the frames just made) among ~150 synthetic LAs, regions and England.
        def stacked(frames):
            return pd.concat(frames.values(), ignore_index=True)

        city_frames = {"schools": schools.drop(columns=[c for c in schools if c.startswith("_")]),
                       "school_census": census, "calendar": calendar, "eyfsp": stacked(eyfsp), "ks2": stacked(ks2),
                       "ks4_pupils": stacked(ks4_pupils), "ks4_results": stacked(ks4_results),
                       "attendance": stacked(attendance), "ccis": stacked(ccis), "exclusions": stacked(exclusions)}
        headline = compute_all(city_frames, Settings(), estimates=estimates, topics={})
        las = make_las(150, rng)
        (tmp / "comparators").mkdir()
        make_comparators(headline, las, rng).to_csv(tmp / "comparators" / "comparators.csv", index=False,
                                                     lineterminator="\n")
        make_groups(las).to_csv(tmp / "comparators" / "groups.csv", index=False, lineterminator="\n")
        step("comparators")

        _finish(tmp, out_dir, scale, seed)
    return _written(out_dir, names)


def _data_end(calendar: pd.DataFrame) -> str:
    """The last school day of the autumn term of the last academic year: the data's end."""
    return calendar.loc[(calendar["term"] == "AUT") & (calendar["is_school_day"] == "Y")
                        & (calendar["date"] >= f"{LAST_YEAR}-09-01"), "date"].max()


def _finish(tmp: Path, out_dir: Path, scale: str, seed: int) -> None:
    """Add the synthetic-data marker and move every dataset folder into place."""
    (tmp / SYNTHETIC_MARKER).write_text(
        "# Synthetic data\n\nMade by `edstats synth` "
        f"(scale {scale}, seed {seed}) for a fictional local authority. Not real pupils, not real figures.\n"
        "While this file is in the data folder every paper carries a synthetic-data notice.\n",
        encoding="utf-8")
    for item in sorted(tmp.iterdir()):
        shutil.move(str(item), out_dir / item.name)


def _written(out_dir: Path, names) -> list[Path]:
    written = [out_dir / SYNTHETIC_MARKER, *sorted((out_dir / "p8_estimates").rglob("*.csv")),
               *sorted((out_dir / "comparators").glob("*.csv"))]
    for name in names:
        if (out_dir / name).exists():
            written.extend(sorted(p for p in (out_dir / name).iterdir() if p.is_file()))
    return written
