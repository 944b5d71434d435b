"""A run's measures: validated and computed from a data folder, or loaded from the measures cache.

:func:`prepare_run` is the one way to compute a run's measures: the command line and the pipeline
call it, and a cache keyed on the input files' hashes, the settings and the code makes the second
and later calls cheap. :func:`save_run` writes a finished run to a folder and :func:`load_run`
reads it back: the pipeline hands each paper's kernel that folder (its ``run_folder`` parameter),
so a kernel never validates or hashes the inputs again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from . import __version__
from .atomic import partial_file, partial_folder, remove_stale
from .compare.p8_estimates import load_estimates_by_year
from .compare.table import read_comparators
from .contract import DATASETS
from .contract.reader import file_sha256
from .disclosure import parents_of
from .errors import SettingsError, ValidationFailed
from .measures import add_school_district, compute_all, data_as_at, present_datasets, unavailable_measures
from .measures.monthly import compute_series
from .periods import Period, latest_supported_period, time_period_of
from .settings import Settings
from .sources import is_database, without_password
from .validate import REFERENCE_FOLDERS, SYNTHETIC_MARKER, check_data_folder, summarise_problems, validate_data

_PACKAGE_DIR = Path(__file__).parent


@dataclass
class PreparedRun:
    """A validated run's measures and what they were computed from."""

    results: pd.DataFrame
    settings: Settings
    synthetic: bool
    inputs: list[dict]
    warnings: pd.DataFrame
    cache_key: str
    from_cache: bool = False
    timings: dict = field(default_factory=dict)
    row_counts: dict = field(default_factory=dict)
    #: the nested topics' parent rows (school -> school district, ward -> district), for disclosure control
    parents: dict = field(default_factory=dict)
    comparators: pd.DataFrame = field(default_factory=pd.DataFrame)
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    published_only: bool = False
    series: dict = field(default_factory=dict)   # name -> frame, for the monthly and distribution charts
    as_at: str | None = None                     # the data's last date (exclusions, provision, daily feed)
    #: ``results`` with the ``suppressed`` flag of disclosure control: worked out once per run (it is
    #: kept in the measures cache), for the papers, the KPM table and the open data alike
    marked: pd.DataFrame | None = None
    cache_folder: Path | None = None             # this run's entry in the measures cache, if any
    #: measures that cannot be computed -> why (a dataset they need is missing or empty)
    unavailable: dict = field(default_factory=dict)
    #: time period -> whether its Progress 8 is outlier-adjusted (DfE's floors were supplied)
    p8_outlier_adjusted: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.marked is None:
            from .disclosure import suppress
            from .measures import measure_dictionary

            self.marked = suppress(self.results, self.settings.suppression_threshold,
                                   measure_dictionary()["unit"], self.parents)

    @cached_property
    def reportable(self) -> pd.DataFrame:
        """``marked`` without the rows of a year still under way for a figure counted from events
        (exclusion rates to December are no year's rate): what the papers, the KPM table and the
        open data all report."""
        from .measures import measure_dictionary
        from .periods import incomplete_year

        dataset = measure_dictionary()["dataset"]
        pairs = self.marked[["measure_id", "time_period"]].drop_duplicates()
        part = pairs[[incomplete_year(dataset[m], tp, self.as_at) for m, tp in pairs.itertuples(index=False)]]
        if part.empty:
            return self.marked
        keys = pd.MultiIndex.from_frame(self.marked[["measure_id", "time_period"]])
        return self.marked[~keys.isin(pd.MultiIndex.from_frame(part))]

    @property
    def available(self) -> dict[str, list[str]]:
        """Complete years present, by dataset: the year still in progress at the data's last date
        (e.g. exclusions to December) does not count."""
        current = time_period_of(self.as_at) if self.as_at else None
        out = {}
        for name in DATASETS:
            ids = _measure_ids_for(name)
            tps = self.results.loc[self.results["measure_id"].isin(ids), "time_period"].unique().tolist()
            tps = [tp for tp in tps if tp != current or name == "ccis"]   # a NEET window is complete when present
            if tps:
                out[name] = sorted(tps)
        return out


def _measure_ids_for(dataset: str) -> list[str]:
    from .measures import measure_dictionary

    d = measure_dictionary()
    return d.index[d["dataset"] == dataset].tolist()


def code_fingerprint() -> str:
    """Version plus a hash of the library's source: any code change invalidates the cache."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(_PACKAGE_DIR.rglob("*")):
        if path.suffix in (".py", ".csv", ".sql") and "__pycache__" not in path.parts and path.name != "bench.py":
            digest.update(path.relative_to(_PACKAGE_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def git_commit() -> str:
    """The project's git commit, or '' outside a checkout."""
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=_PACKAGE_DIR, capture_output=True,
                              text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def list_inputs(data_dir: Path, folders=(*DATASETS, *REFERENCE_FOLDERS)) -> list[dict]:
    """Every file read of every dataset (the files directly in its folder, not links) and reference
    folder (every file below it) of ``folders`` with its SHA-256 (no parsing)."""
    inputs = []
    for name in folders:
        folder = data_dir / name
        if folder.is_dir():
            files = folder.rglob("*") if name in REFERENCE_FOLDERS else folder.iterdir()
            for path in sorted(p for p in files if p.is_file() and not p.is_symlink() and p.name != ".gitkeep"):
                inputs.append({"dataset": name, "file": path.relative_to(data_dir).as_posix(),
                               "sha256": file_sha256(path)})
    return inputs


def reference_folder(data: str | Path, settings: Settings) -> Path | None:
    """Where the run's reference folders (``p8_estimates/``, ``comparators/``) and ``SYNTHETIC.md``
    are: the data folder itself, or for a database the settings' ``data.reference_folder`` (None
    when not set)."""
    if not is_database(data):
        return Path(data)
    return Path(settings.data.reference_folder) if settings.data.reference_folder else None


def comparator_folder(data_dir: Path | None, settings: Settings) -> Path | None:
    """The comparator tables to use: ``<data>/comparators`` when present, else the imported folder."""
    for folder in ([data_dir / "comparators"] if data_dir else []) + [Path(settings.comparators.folder)]:
        if (folder / "comparators.csv").exists() or (folder / "groups.csv").exists():
            return folder
    return None


def _cache_key(inputs: list[dict], settings: Settings, synthetic: bool, on_invalid_rows: str) -> str:
    payload = json.dumps({"inputs": inputs, "settings": settings.as_dict(), "synthetic": synthetic,
                          "on_invalid_rows": on_invalid_rows, "code": code_fingerprint()}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def prepare_run(data: str | Path, settings: Settings, cache_dir: str | Path | None = None,
                on_invalid_rows: str = "stop", rejects_dir: str | Path | None = None,
                step=lambda name: None) -> PreparedRun:
    """Validate ``data`` and compute every measure, or load them from the cache (``step`` is
    called with "compute the measures" as they start).

    ``data`` is a data folder, a DuckDB database file or a PostgreSQL database
    (:mod:`edstats.sources`). A folder's run is cached under the hashes of its files; a database's
    tables have nothing to hash until they are read, so its run is computed every time (its inputs
    then carry each table's fingerprint, and an unchanged report is still not made again).

    Raises :class:`ValidationFailed` (with every problem) when the data break the contract; with
    ``on_invalid_rows="quarantine"`` invalid rows are set aside instead (see ``validate_data``).
    """
    database = is_database(data)
    shown = without_password(str(data))
    folder = reference_folder(data, settings)
    if not database:
        check_data_folder(folder)
    t0 = time.perf_counter()
    inputs = list_inputs(folder, REFERENCE_FOLDERS if database else (*DATASETS, *REFERENCE_FOLDERS)) if folder else []
    synthetic = folder is not None and (folder / SYNTHETIC_MARKER).exists()
    comparators_at = comparator_folder(folder, settings)
    if comparators_at is not None and comparators_at != (folder and folder / "comparators"):
        inputs += [{"dataset": "comparators", "file": str(path), "sha256": file_sha256(path)}
                   for path in sorted(comparators_at.glob("*.csv"))]
    key = _cache_key(inputs, settings, synthetic, on_invalid_rows)
    cache = Path(cache_dir) / key if cache_dir and not database else None
    if cache:
        remove_stale(cache.parent)          # what a run killed while writing the cache left there
    if cache and (cache / "results.parquet").exists():       # the comparators are saved with the run
        run = load_run(cache, settings)
        run.from_cache, run.timings = True, {"load_cache": time.perf_counter() - t0}
        return run
    comparators, groups = read_comparators(comparators_at) if comparators_at is not None else (pd.DataFrame(), pd.DataFrame())
    validated = validate_data(data, on_invalid_rows, rejects_dir)
    t1 = time.perf_counter()
    if not validated.is_valid:
        raise ValidationFailed(
            f"The data in {shown} break the data contract, so no measure was computed and no report "
            f"was written. {summarise_problems(validated.problems)}\nRun 'edstats validate --data {shown} "
            "--report problems.csv' for the full list.", validated.problems)
    step("compute the measures")
    if database:
        inputs = [{"dataset": name, "kind": "table", "source": shown, "file": f.path, "rows": f.rows, "sha256": f.sha256}
                  for name, files in validated.files.items() for f in files] + inputs
        key = _cache_key(inputs, settings, synthetic, on_invalid_rows)
    else:
        rows = {f.path: f.rows for files in validated.files.values() for f in files}
        for item in inputs:
            item["rows"] = rows.get(str(folder / item["file"]), 0)
    estimates = load_estimates_by_year(folder / "p8_estimates") if folder else {}
    results = compute_all(validated.tables, settings, estimates=estimates, sessions=validated.sessions)
    as_at = data_as_at(validated.tables, validated.sessions)
    series = compute_series(add_school_district(validated.tables), validated.sessions, settings, as_at)
    t2 = time.perf_counter()
    warnings = validated.problems[validated.problems["severity"] == "warning"]
    parents = parents_of(validated.tables)
    p8_outlier_adjusted = {tp: one_year.floors is not None for tp, one_year in estimates.items()}
    unavailable = {measure: why_unavailable(data, datasets, set(validated.files)) for measure, datasets in
                   unavailable_measures(present_datasets(validated.tables, validated.sessions)).items()}
    run = PreparedRun(results=results, settings=settings, synthetic=synthetic, inputs=inputs,
                      comparators=comparators, groups=groups,
                      warnings=warnings, cache_key=key,
                      row_counts=validated.row_counts,
                      parents=parents, series=series, as_at=as_at, unavailable=unavailable,
                      p8_outlier_adjusted=p8_outlier_adjusted,
                      timings={"validate": t1 - t0, "measures": t2 - t1})
    if cache:
        save_run(run, cache)
    return run


def save_run(run: PreparedRun, folder: Path) -> None:
    """Write the finished run to ``folder``, whole or not at all (made beside it, then renamed): its
    results, their suppression marks, the monthly series, the comparators and what the papers need
    to know of the run. It is then the run's ``cache_folder``; another process that wrote the same
    folder first wins."""
    _mkdir(folder.parent)
    tmp = partial_folder(folder)
    run.results.to_parquet(tmp / "results.parquet", index=False)
    run.marked.to_parquet(tmp / "marked.parquet", index=False)
    for name, frame in run.series.items():
        frame.to_parquet(tmp / f"series_{name}.parquet", index=False)
    for name in ("comparators", "groups"):
        frame = getattr(run, name)
        if not frame.empty:
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
    (tmp / "run.json").write_text(json.dumps({
        "inputs": run.inputs, "warnings": run.warnings.to_dict("records"), "row_counts": run.row_counts,
        "parents": run.parents, "as_at": run.as_at, "unavailable": run.unavailable,
        "p8_outlier_adjusted": run.p8_outlier_adjusted, "synthetic": run.synthetic, "cache_key": run.cache_key,
        "published_only": run.published_only, "timings": run.timings}, default=str))
    try:
        tmp.rename(folder)
    except OSError:  # another process wrote the same folder first
        shutil.rmtree(tmp, ignore_errors=True)
    run.cache_folder = folder


def load_run(folder: str | Path, settings: Settings) -> PreparedRun:
    """The run :func:`save_run` wrote to ``folder``, with ``settings`` (the run's own, which the
    caller passes: a kernel is handed the settings file the run used)."""
    folder = Path(folder)
    meta = json.loads((folder / "run.json").read_text())

    def frame(name: str) -> pd.DataFrame:
        return pd.read_parquet(folder / f"{name}.parquet") if (folder / f"{name}.parquet").exists() else pd.DataFrame()
    return PreparedRun(results=frame("results"), settings=settings, marked=frame("marked"), cache_folder=folder,
                       comparators=frame("comparators"), groups=frame("groups"), synthetic=meta["synthetic"],
                       inputs=meta["inputs"], warnings=pd.DataFrame(meta["warnings"]), cache_key=meta["cache_key"],
                       row_counts=meta["row_counts"], parents=meta["parents"], as_at=meta["as_at"],
                       unavailable=meta["unavailable"], p8_outlier_adjusted=meta["p8_outlier_adjusted"],
                       published_only=meta["published_only"], timings=meta["timings"],
                       series={p.stem[len("series_"):]: pd.read_parquet(p) for p in folder.glob("series_*.parquet")})


def why_unavailable(data: str | Path, datasets: list[str], read: set[str]) -> str:
    """'no provision data: provision/ holds no rows' (or is not in the data folder, or the
    database has no such table), for the papers; ``read`` names the datasets read."""
    if is_database(data):
        return "no " + " or ".join(datasets) + " data: " + "; ".join(
            f"the table {d} {'holds no rows' if d in read else 'is not in the database'}" for d in datasets)
    return "no " + " or ".join(datasets) + " data: " + "; ".join(
        f"{d}/ {'holds no rows' if (Path(data) / d).is_dir() else 'is not in the data folder'}" for d in datasets)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


#: How far after the latest month the data support a meeting month may be: a paper a year on
#: still reports the same figures; one for 2099 is a typing mistake.
MONTHS_PAST_THE_DATA = 12


def resolve_period(run: PreparedRun, period: str | None) -> Period:
    """The meeting month: as given, or the latest month the data support. A month more than
    :data:`MONTHS_PAST_THE_DATA` after the latest the data support is refused."""
    latest = latest_supported_period(run.available)
    if not period:
        return latest
    meeting = Period.parse(period)
    if (meeting.year - latest.year) * 12 + meeting.month - latest.month > MONTHS_PAST_THE_DATA:
        raise SettingsError(f"The period {meeting} is more than {MONTHS_PAST_THE_DATA} months after {latest}, the latest "
                            "month the data support: a paper for it would report figures a year or more old as "
                            "current. Check --period, or bring newer data.")
    return meeting


def kpm_for(run: PreparedRun, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """The comparison table of a run (suppression applied to the LA's own values).

    With a measures cache it is kept there, one per previous paper, so that the pipeline works it
    out once for the KPM file and both papers' kernels (each would otherwise build it again).
    """
    from .compare.kpm import build_kpm

    stored = None
    if run.cache_folder is not None:
        previous_hash = "none" if previous is None else hashlib.sha256(
            previous.to_csv(index=False).encode()).hexdigest()[:16]
        stored = run.cache_folder / f"kpm-{previous_hash}.parquet"
        if stored.exists():
            return pd.read_parquet(stored)
    table = run.comparators if not run.comparators.empty else pd.DataFrame(
        columns=["measure_id", "time_period", "geographic_level", "area_code", "old_la_code", "area_name",
                 "breakdown_topic", "breakdown", "value", "numerator", "denominator", "source", "release"])
    groups = run.groups if not run.groups.empty else pd.DataFrame(
        columns=["group_type", "vintage", "la_code", "member_code", "rank", "closeness"])
    kpm = build_kpm(run.reportable, table, groups, run.settings, previous, run.as_at)
    if stored is not None:
        part = partial_file(stored)
        kpm.to_parquet(part, index=False)
        part.replace(stored)          # whole or not at all: a kernel reading it never sees half a file
    return kpm


def read_kpm(folder: str | Path) -> pd.DataFrame | None:
    """The KPM table (kpm.csv) of a report folder, if it has one."""
    path = Path(folder) / "kpm.csv"
    return pd.read_csv(path, dtype={"time_period": str, "previous_period": str}) if path.exists() else None
