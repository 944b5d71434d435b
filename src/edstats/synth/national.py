"""The national scale: every LA of the synthetic England at pupil level, for benchmarks.

About 150 LAs (the fictional city among them, at its city size) with ~650k children per year
group in all. Each LA is made like the city — its own schools (``laestab`` and UPNs start with its
old LA code), districts, cohorts, results, attendance, CCIS and exclusions — from its own seeded
random stream, and its deprivation moves its pupils' attainment, absence and NEET. Pupil-level
datasets are Parquet, one file per academic year with one row group per LA, written as each LA is
made so memory holds one LA at a time.

Consistency with the comparators: Progress 8 estimates are derived from all LAs' pupils (so P8 is
0 nationally by construction), and the comparator table holds every LA's own headline figures,
computed by the library from its pupils, with regions and England as their aggregates.

Termly attendance and CCIS cover 2023/24 to the autumn of 2025/26 and February 2026 (~55M and
~40M rows); results and exclusions cover the same years as the city. There is no daily feed.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..compare.p8_estimates import write_p8_estimates
from ..measures import compute_all
from ..measures.ks4 import add_progress8, estimates_from_pupils, progress8_results, pupil_scores
from ..periods import time_period
from ..settings import Settings
from .attendance import make_attendance
from .ccis import make_ccis
from .comparators import SPREAD, comparator_table, make_groups, make_las
from .exclusions import make_exclusions
from .eyfsp import make_eyfsp
from .ks2 import make_ks2, subject_abilities
from .ks4 import make_ks4, prior_attainment_groups
from .population import enrolled, january_census, make_population
from .world import DISTRICTS, SCALES, Scale, make_schools

NATIONAL_LAS = 150
#: How far an LA's deprivation (relative to the city's) moves its districts' deprivation.
DEPRIVATION_WEIGHT = 0.3
ATTENDANCE_FROM = 2023
_COMPASS = ("North", "South", "East", "West", "Central", "Vale", "Heath", "Park", "Green", "Moor")
_P8_COLUMNS = ["academic_year", "prior", "a8", "eng", "mat", "ebacc", "open"]


def la_scale(size: float) -> Scale:
    """An LA's size: children per year group, schools in proportion to the city's, districts."""
    city = SCALES["city"]
    factor = size / city.children_per_year
    phases = {p: max(1 if p in ("PRI", "SEC", "SPE") else 0, int(round(n * factor)))
              for p, n in city.schools_by_phase.items()}
    return Scale("la", int(size), phases, int(np.clip(round(size / 1600), 2, 10)), 4)


class _ParquetSink:
    """One Parquet file per dataset and academic year; each LA's frame is appended as row groups."""

    def __init__(self, folder: Path):
        self.folder, self.writers = folder, {}

    def write(self, dataset: str, label: str, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        table = pa.Table.from_pandas(frame, preserve_index=False)
        fields = []
        for field in table.schema:       # one schema for every LA: text as dictionary<int32, string>
            if pa.types.is_dictionary(field.type) or pa.types.is_string(field.type) or pa.types.is_null(field.type) \
                    or pa.types.is_large_string(field.type):
                fields.append(pa.field(field.name, pa.dictionary(pa.int32(), pa.string())))
            elif pa.types.is_integer(field.type):
                fields.append(pa.field(field.name, pa.int64()))
            else:
                fields.append(field)
        key = (dataset, label)
        if key not in self.writers:
            (self.folder / dataset).mkdir(exist_ok=True)
            path = self.folder / dataset / f"{dataset}_{label}.parquet"
            self.writers[key] = pq.ParquetWriter(path, pa.schema(fields), compression="zstd", store_schema=False)
        writer = self.writers[key]
        writer.write_table(table.cast(writer.schema, safe=True) if table.schema != writer.schema else table)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


def _stacked(frames: dict) -> pd.DataFrame:
    return pd.concat(frames.values(), ignore_index=True) if frames else pd.DataFrame()


def write_national(tmp: Path, seed: int, first_year: int, last_year: int, last_ccis_month: str, calendar,
                   data_end: str, step, n_las: int = NATIONAL_LAS, size_factor: float = 1.0) -> None:
    """Write every LA's datasets, the P8 estimates and the comparator table into ``tmp``.

    ``size_factor`` shrinks every LA (tests use a tiny England; benchmarks use 1.0).
    """
    rng = np.random.default_rng(seed)
    las = make_las(n_las, rng)
    sink = _ParquetSink(tmp)
    schools_all, census_all, scores, headlines, used_urns = [], [], [], [], set()
    calibration = {}        # the city's levels (made first), shared by every LA
    order = [*las.index[las["old_la_code"] == "999"], *las.index[las["old_la_code"] != "999"]]
    try:
        for done, i in enumerate(order, start=1):
            la = las.loc[i]
            code = la["old_la_code"]
            la_rng = np.random.default_rng([seed, i])
            spec = SCALES["city"] if code == "999" else la_scale(la["size"])
            spec = dataclasses.replace(spec, children_per_year=max(30, int(spec.children_per_year * size_factor)),
                                       schools_by_phase={p: max(1, int(round(n * size_factor))) if n else 0
                                                         for p, n in spec.schools_by_phase.items()})
            names = DISTRICTS if code == "999" else tuple(f"{la['area_name']} {c}" for c in _COMPASS)
            # the city's own districts span -1..1 around its deprivation; other LAs shift with theirs
            schools = make_schools(spec, la_rng, la_code=code, district_names=names,
                                   deprivation_shift=DEPRIVATION_WEIGHT * (la["deprivation"] - 1.4), used_urns=used_urns)
            population = make_population(schools, spec.children_per_year, range(first_year - 13, last_year + 1), la_rng)
            on_roll = enrolled(population, last_year - 1)["school_urn"].value_counts()
            schools["headcount"] = schools["school_urn"].map(on_roll).fillna(schools["headcount"]).astype(int)
            public_schools = schools.drop(columns=[c for c in schools if c.startswith("_")])
            schools_all.append(public_schools)
            census = january_census(population, schools, range(first_year, last_year + 1))
            census_all.append(census)

            eyfsp = make_eyfsp(population, la_rng, calibration=calibration)
            abilities = subject_abilities(population.pupils, la_rng)
            ks2, ks2_levels = make_ks2(population, abilities, la_rng, calibration=calibration)
            ks4_pupils, ks4_results = make_ks4(population, abilities, ks2_levels, la_rng)
            attendance = make_attendance(population, calendar, la_rng, first_year=ATTENDANCE_FROM,
                                         calibration=calibration)
            ccis = make_ccis(population, ATTENDANCE_FROM, last_ccis_month, la_rng, la_code=code, calibration=calibration)
            # the city suspends less than England does (as Birmingham does): other LAs suspend more
            exclusions, provision = make_exclusions(population, calendar, data_end, la_rng, id_prefix=code,
                                                    suspension_factor=1.0 if code == "999" else 1.7,
                                                    calibration=calibration)
            datasets = {"eyfsp": eyfsp, "ks2": ks2, "ks4_pupils": ks4_pupils, "ks4_results": ks4_results,
                        "attendance": attendance, "ccis": ccis, "exclusions": exclusions, "provision": provision}
            for dataset, by_year in datasets.items():
                for label, frame in by_year.items():
                    sink.write(dataset, label.replace("/", "-"), frame)

            frames = {name: _stacked(by_year) for name, by_year in datasets.items()}
            frames.update(schools=public_schools, school_census=census, calendar=calendar)
            settings = dataclasses.replace(Settings(), la=dataclasses.replace(Settings().la, old_la_code=code))
            headline = compute_all(frames, settings, estimates={}, topics={})
            headlines.append(headline[headline["breakdown_topic"] == "Total"].assign(old_la_code=code))
            la_scores = pupil_scores(frames["ks4_pupils"], frames["ks4_results"], settings, {})
            scores.append(la_scores[_P8_COLUMNS].assign(old_la_code=code))
            step(f"LA {done} of {len(las)}")
    finally:
        sink.close()

    # Progress 8: estimates from every LA's pupils, then each LA's P8 against them.
    scores = pd.concat(scores, ignore_index=True)
    estimates = {}
    for year, one in scores.groupby("academic_year"):
        usable = one.dropna(subset=["prior"])
        if len(usable):
            estimates[time_period(str(year))] = estimates_from_pupils(usable, prior_attainment_groups())
    for period, one_year in estimates.items():
        write_p8_estimates(one_year, tmp / "p8_estimates" / period)
    for code, one in scores.groupby("old_la_code", sort=False):
        p8 = progress8_results(add_progress8(one, estimates), estimates, {})
        headlines.append(p8.assign(old_la_code=code))

    (tmp / "schools").mkdir()
    from . import write_csv

    write_csv(pd.concat(schools_all, ignore_index=True), tmp / "schools" / "schools.csv")
    (tmp / "school_census").mkdir()
    write_csv(pd.concat(census_all, ignore_index=True), tmp / "school_census" / "school_census.csv")
    (tmp / "calendar").mkdir()
    write_csv(calendar, tmp / "calendar" / "calendar.csv")
    la_rows = pd.concat(headlines, ignore_index=True)
    la_rows = la_rows[la_rows["measure_id"].isin(list(SPREAD))]
    (tmp / "comparators").mkdir()
    write_csv(comparator_table(la_rows[["measure_id", "time_period", "old_la_code", "value", "numerator",
                                        "denominator"]], las), tmp / "comparators" / "comparators.csv")
    write_csv(make_groups(las), tmp / "comparators" / "groups.csv")
    step("P8 estimates and comparators")
