"""The run, top to bottom: validate -> measures -> execute notebooks -> render -> publish.

:func:`prepare_run` is the one way to get a run's measures: the command line, the pipeline and
the notebooks all call it, and a cache keyed on the input files' hashes, the settings and the
code makes the second and later calls cheap. :func:`build_report` writes a report folder
atomically: everything is made in a staging folder and moved into ``reports/<period>/`` only
when every step succeeded, so a failure leaves the previous report as it was.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import nbformat
import pandas as pd
import yaml

from . import __version__
from .contract import DATASETS
from .contract.reader import file_sha256
from .atomic import one_run_at_a_time, partial_file, partial_folder, remove_stale, replace_folder
from .csv_output import write_csv
from .disclosure import parents_of
from .errors import EdstatsError, NotebookFailed, SettingsError, ValidationFailed
from .compare.importers import import_files
from .compare.p8_estimates import load_estimates_by_year
from .compare.table import read_comparators
from .measures import add_school_district, compute_all, data_as_at, present_datasets, unavailable_measures
from .measures.monthly import compute_series
from .periods import Period, latest_supported_period, time_period_of
from .publish import write_open_data
from .settings import Settings, for_la, with_sn_vintage
from .validate import REFERENCE_FOLDERS, SYNTHETIC_MARKER, check_data_folder, summarise_problems, validate_data
from .workbook import write_workbook

PAPERS = ("council", "scrutiny")
FORMATS = ("html", "pdf")
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


def list_inputs(data_dir: Path) -> list[dict]:
    """Every file read of every dataset (the files directly in its folder, not links) and reference
    folder (every file below it) with its SHA-256 (no parsing)."""
    inputs = []
    for name in (*DATASETS, *REFERENCE_FOLDERS):
        folder = data_dir / name
        if folder.is_dir():
            files = folder.rglob("*") if name in REFERENCE_FOLDERS else folder.iterdir()
            for path in sorted(p for p in files if p.is_file() and not p.is_symlink() and p.name != ".gitkeep"):
                inputs.append({"dataset": name, "file": path.relative_to(data_dir).as_posix(),
                               "sha256": file_sha256(path)})
    return inputs


def comparator_folder(data_dir: Path, settings: Settings) -> Path | None:
    """The comparator tables to use: ``<data>/comparators`` when present, else the imported folder."""
    for folder in (data_dir / "comparators", Path(settings.comparators.folder)):
        if (folder / "comparators.csv").exists() or (folder / "groups.csv").exists():
            return folder
    return None


def _cache_key(inputs: list[dict], settings: Settings, synthetic: bool, on_invalid_rows: str) -> str:
    payload = json.dumps({"inputs": inputs, "settings": settings.as_dict(), "synthetic": synthetic,
                          "on_invalid_rows": on_invalid_rows, "code": code_fingerprint()}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def prepare_run(data_dir: str | Path, settings: Settings, cache_dir: str | Path | None = None,
                on_invalid_rows: str = "stop", rejects_dir: str | Path | None = None,
                step=lambda name: None) -> PreparedRun:
    """Validate ``data_dir`` and compute every measure, or load them from the cache (``step`` is
    called with "compute the measures" as they start).

    Raises :class:`ValidationFailed` (with every problem) when the data break the contract; with
    ``on_invalid_rows="quarantine"`` invalid rows are set aside instead (see ``validate_data``).
    """
    data_dir = Path(data_dir)
    check_data_folder(data_dir)
    t0 = time.perf_counter()
    inputs = list_inputs(data_dir)
    synthetic = (data_dir / SYNTHETIC_MARKER).exists()
    folder = comparator_folder(data_dir, settings)
    if folder is not None and folder != data_dir / "comparators":
        inputs += [{"dataset": "comparators", "file": str(path), "sha256": file_sha256(path)}
                   for path in sorted(folder.glob("*.csv"))]
    key = _cache_key(inputs, settings, synthetic, on_invalid_rows)
    cache = Path(cache_dir) / key if cache_dir else None
    if cache:
        remove_stale(cache.parent)          # what a run killed while writing the cache left there
    comparators, groups = read_comparators(folder) if folder is not None else (pd.DataFrame(), pd.DataFrame())
    if cache and (cache / "results.parquet").exists():
        meta = json.loads((cache / "run.json").read_text())
        return PreparedRun(results=pd.read_parquet(cache / "results.parquet"), settings=settings,
                           marked=pd.read_parquet(cache / "marked.parquet") if (cache / "marked.parquet").exists()
                           else None, cache_folder=cache,
                           comparators=comparators, groups=groups,
                           synthetic=synthetic, inputs=meta["inputs"],
                           warnings=pd.DataFrame(meta["warnings"]), cache_key=key, from_cache=True,
                           row_counts=meta["row_counts"], parents=meta["parents"],
                           as_at=meta.get("as_at"), unavailable=meta["unavailable"],
                           p8_outlier_adjusted=meta["p8_outlier_adjusted"],
                           series={p.stem[len("series_"):]: pd.read_parquet(p) for p in cache.glob("series_*.parquet")},
                           timings={"load_cache": time.perf_counter() - t0})
    validated = validate_data(data_dir, on_invalid_rows, rejects_dir)
    t1 = time.perf_counter()
    if not validated.is_valid:
        raise ValidationFailed(
            f"The data in {data_dir} break the data contract, so no measure was computed and no report "
            f"was written. {summarise_problems(validated.problems)}\nRun 'edstats validate --data {data_dir} "
            "--report problems.csv' for the full list.", validated.problems)
    step("compute the measures")
    rows = {f.path: f.rows for files in validated.files.values() for f in files}
    for item in inputs:
        item["rows"] = rows.get(str(data_dir / item["file"]), 0)
    estimates = load_estimates_by_year(data_dir / "p8_estimates")
    results = compute_all(validated.frames, settings, estimates=estimates, sessions=validated.sessions)
    as_at = data_as_at(validated.frames, validated.sessions)
    series = compute_series(add_school_district(validated.frames), validated.sessions, settings, as_at)
    t2 = time.perf_counter()
    warnings = validated.problems[validated.problems["severity"] == "warning"]
    parents = parents_of(validated.frames)
    p8_outlier_adjusted = {tp: one_year.floors is not None for tp, one_year in estimates.items()}
    unavailable = {measure: why_unavailable(data_dir, datasets) for measure, datasets in
                   unavailable_measures(present_datasets(validated.frames, validated.sessions)).items()}
    run = PreparedRun(results=results, settings=settings, synthetic=synthetic, inputs=inputs,
                      comparators=comparators, groups=groups,
                      warnings=warnings, cache_key=key, row_counts=validated.row_counts,
                      parents=parents, series=series, as_at=as_at, unavailable=unavailable,
                      p8_outlier_adjusted=p8_outlier_adjusted,
                      timings={"validate": t1 - t0, "measures": t2 - t1})
    if cache:
        _mkdir(cache.parent)
        tmp = partial_folder(cache)
        results.to_parquet(tmp / "results.parquet", index=False)
        run.marked.to_parquet(tmp / "marked.parquet", index=False)
        for name, frame in series.items():
            frame.to_parquet(tmp / f"series_{name}.parquet", index=False)
        (tmp / "run.json").write_text(json.dumps({"inputs": inputs, "warnings": warnings.to_dict("records"),
                                                  "row_counts": validated.row_counts,
                                                  "parents": parents, "as_at": as_at,
                                                  "unavailable": unavailable,
                                                  "p8_outlier_adjusted": p8_outlier_adjusted}))
        try:
            tmp.rename(cache)
        except OSError:  # another process wrote the same entry first
            shutil.rmtree(tmp, ignore_errors=True)
        run.cache_folder = cache
    return run


def why_unavailable(data_dir: Path, datasets: list[str]) -> str:
    """'no provision data: provision/ is empty' (or not in the data folder), for the papers."""
    return "no " + " or ".join(datasets) + " data: " + "; ".join(
        f"{d}/ {'holds no rows' if (data_dir / d).is_dir() else 'is not in the data folder'}" for d in datasets)


def prepare_published(la_code: str, sources, settings: Settings, sn_vintage: str = "") -> PreparedRun:
    """A run from DfE's published figures alone: the LA's values come from the comparator table.

    ``sources`` are comparator folders (made by ``edstats comparators import``) or DfE files,
    imported on the fly. Pupil-level sections of the papers are left out and say so. The
    settings' targets, contact and comparator choices are used only when they are this LA's
    (:func:`edstats.settings.for_la`); ``sn_vintage`` (a run parameter) applies either way.
    """
    import dataclasses

    from .compare.importers import resolve_la_code

    tables, groups = [], []
    files = []
    for source in sources:
        source = Path(source)
        if source.is_dir():
            t, g = read_comparators(source)
            files += sorted(source.glob("*.csv"))
        else:
            t, g, _ = import_files([source])
            files.append(source)
        tables.append(t)
        groups.append(g)
    table = pd.concat([t for t in tables if not t.empty], ignore_index=True) if any(not t.empty for t in tables) \
        else pd.DataFrame()
    group = pd.concat([g for g in groups if not g.empty], ignore_index=True) if any(not g.empty for g in groups) \
        else pd.DataFrame(columns=["group_type", "vintage", "la_code", "member_code", "rank", "closeness"])
    if table.empty:
        raise EdstatsError("No comparator figures were found in " + ", ".join(map(str, sources)) + ".")
    la_code = resolve_la_code(table, la_code)   # the old code, given either code; an unknown code is refused
    own_rows = table[(table["geographic_level"] == "Local authority") & (table["old_la_code"] == str(la_code))]
    own = own_rows[own_rows["breakdown_topic"] == "Total"]
    if own.empty:
        raise EdstatsError(f"The comparator figures hold no local authority with the old code {la_code}.")
    name = own["area_name"].mode().iloc[0]
    region = group[(group["group_type"] == "region") & (group["la_code"] == str(la_code))]["member_code"]
    new_code = own["area_code"].dropna().iloc[-1] if own["area_code"].notna().any() else ""
    settings, own_settings = for_la(settings, str(la_code), new_code)
    if not own_settings:
        logging.getLogger("edstats").warning(
            f"edstats: warning: the settings file is for another LA, so its targets, contact officer and comparator "
            f"choices are not used for {name} ({la_code}); the papers show 'no target set'. Give --settings a file "
            f"whose la: block has old_la_code: \"{la_code}\" to use {name}'s own.")
    settings = with_sn_vintage(settings, sn_vintage)
    la = dataclasses.replace(settings.la, name=name, old_la_code=str(la_code), new_la_code=new_code,
                             region_code="", region_name=region.iloc[0] if len(region) else "",
                             council_name=name)     # the papers say, on their first page, that the figures are DfE's
    settings = dataclasses.replace(settings, la=la)
    # the LA's own figures, Total and the pupil groups DfE publishes (disadvantaged pupils in LAIT);
    # a figure with counts (an EES file) is preferred to the same figure without (LAIT)
    results = pd.DataFrame({"measure_id": own_rows["measure_id"], "time_period": own_rows["time_period"],
                            "breakdown_topic": own_rows["breakdown_topic"], "breakdown": own_rows["breakdown"],
                            "numerator": own_rows["numerator"], "denominator": own_rows["denominator"],
                            "value": own_rows["value"], "ci_lower": float("nan"),
                            "ci_upper": float("nan")}).dropna(subset=["value"])
    results = (results.sort_values("denominator", na_position="first", kind="stable")
               .drop_duplicates(subset=["measure_id", "time_period", "breakdown_topic", "breakdown"], keep="last")
               .sort_values(["measure_id", "breakdown_topic", "breakdown", "time_period"]).reset_index(drop=True))
    from .measures import measure_dictionary

    dictionary = measure_dictionary()
    present = set(results.loc[results["breakdown_topic"] == "Total", "measure_id"])
    unavailable = {m: "not in the DfE files supplied" for m in dictionary.index[dictionary["status"] == "built"]
                   if m not in present}
    inputs = [{"dataset": "comparators", "file": str(p), "sha256": file_sha256(p)} for p in files]
    return PreparedRun(results=results, settings=settings, synthetic=False, inputs=inputs, warnings=pd.DataFrame(),
                       cache_key="published", comparators=table, groups=group, published_only=True,
                       unavailable=unavailable)


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


def _previous_folder(out_dir: Path, meeting: Period) -> Path | None:
    earlier = sorted(p for p in Path(out_dir).glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]")
                     if p.name < str(meeting) and (p / "kpm.csv").exists())
    return earlier[-1] if earlier else None


def previous_kpm(out_dir: Path, meeting: Period) -> pd.DataFrame | None:
    """kpm.csv of the latest report folder before ``meeting`` in ``out_dir`` (the previous paper)."""
    folder = _previous_folder(out_dir, meeting)
    return read_kpm(folder) if folder else None


def read_kpm(folder: str | Path) -> pd.DataFrame | None:
    path = Path(folder) / "kpm.csv"
    return pd.read_csv(path, dtype={"time_period": str, "previous_period": str}) if path.exists() else None


#: Cell tags that say which runs a paper's section is for: a published-only run leaves out the
#: sections that need pupil-level data, and a pupil-level run the ones written for DfE's figures.
SECTION_TAGS = {"pupil-level": "pupil-level data", "published-only": "published figures only"}


def sections_for(nb, published_only: bool):
    """``nb`` without the cells its run's data cannot support (by :data:`SECTION_TAGS`)."""
    leave_out = "pupil-level" if published_only else "published-only"
    nb.cells = [c for c in nb.cells if leave_out not in c.metadata.get("tags", [])]
    return nb


def execute_notebook(source: Path, target: Path, parameters: dict) -> None:
    """Run one paper's notebook with papermill into ``target`` (never in place), with the sections
    its run supports (:func:`sections_for`)."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_file(target)          # a run killed meanwhile leaves no truncated notebook at target
    nb = sections_for(nbformat.read(source, as_version=4), bool(parameters.get("published_only_la")))
    try:
        pm.execute_notebook(nb, str(partial), parameters=parameters, kernel_name="python3",
                            progress_bar=False, log_output=False,
                            # the kernel starts in the notebook's folder; papermill's own cwd= would
                            # chdir this whole process, which papers run side by side cannot share
                            resources={"metadata": {"path": str(source.parent)}},
                            # the kernel warns on every start that it uses local TCP, and logs the interrupt that
                            # jupyter_client sends on every shutdown: noise here (failures come back as exceptions)
                            extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
        os.replace(partial, target)
    except PapermillExecutionError as exc:
        os.replace(partial, target)         # kept, with the error in place, for the analyst to open
        # papermill counts its injected-parameters cell (placed after the parameters cell);
        # name the cell as the analyst sees it in the source notebook.
        cells = nb.cells
        params_at = next((i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])), None)
        index = exc.cell_index - (1 if params_at is not None and exc.cell_index > params_at else 0)
        body = [line for line in cells[index].source.splitlines() if line.strip() and not line.startswith("#|")]
        first_line = (body[0] if body else "")[:80]
        raise NotebookFailed(
            f"The notebook {source.name} failed in cell {index + 1} (counting from 1), "
            f"which starts '{first_line}': {exc.ename}: {exc.evalue}. No report was written for this period and "
            f"any previous report was left as it was. The executed notebook, with the error in place, is {target}."
        ) from None


def check_notebooks(folder: Path, papers) -> None:
    """Refuse, before any work, a notebooks folder without the papers' notebooks: one with none at
    all (edstats run outside its checkout, where the default notebooks/ is not there) is a
    :class:`SettingsError` saying where they are; a paper not among them names those that are."""
    available = sorted(p.stem for p in folder.glob("*.ipynb")) if folder.is_dir() else []
    if not available:
        own = Path(__file__).resolve().parents[2] / "notebooks"   # the checkout this edstats was installed from
        hint = f" (for this edstats, {own})" if own != folder and any(own.glob("*.ipynb")) else ""
        missing = "" if folder.is_dir() else ", and there is no such folder"
        raise SettingsError(f"The notebooks folder {folder} holds no paper notebooks (none of "
                            f"{', '.join(f'{p}.ipynb' for p in papers)}{missing}): the papers are made from the "
                            "notebooks in the edstats checkout's notebooks/ folder. Run edstats from the edstats "
                            f"checkout, or pass --notebooks with that folder{hint}.")
    for paper in papers:
        if paper not in available:
            raise EdstatsError(f"There is no notebook for the paper '{paper}' in {folder}. "
                               f"Papers available: {', '.join(available)}.")


def build_report(data_dir: str | Path, out_dir: str | Path, settings: Settings, *, period: str | None = None,
                 papers=PAPERS, formats=FORMATS, notebooks_dir: str | Path = "notebooks",
                 build_dir: str | Path = "build", cache_dir: str | Path | None = "data/processed/cache",
                 settings_file: str | Path | None = None, on_invalid_rows: str = "stop",
                 published_only_la: str | None = None, comparator_sources=(), sn_vintage: str = "",
                 step=lambda name: None) -> Path:
    """Validate, compute, execute each paper's notebook and render it; returns the report folder.

    ``step(name)`` is called as each step starts (the command line shows it as progress).
    """
    data_dir, out_dir, notebooks_dir = Path(data_dir).resolve(), Path(out_dir).resolve(), Path(notebooks_dir).resolve()
    check_notebooks(notebooks_dir, papers)
    with one_run_at_a_time(out_dir):
        remove_stale(out_dir)               # a report killed part-way: its staging folder, or the previous one put back
        return _build_report(data_dir, out_dir, settings, period=period, papers=papers, formats=formats,
                             notebooks_dir=notebooks_dir, build_dir=build_dir, cache_dir=cache_dir,
                             settings_file=settings_file, on_invalid_rows=on_invalid_rows,
                             published_only_la=published_only_la, comparator_sources=comparator_sources,
                             sn_vintage=sn_vintage, step=step)


def _build_report(data_dir: Path, out_dir: Path, settings: Settings, *, period, papers, formats, notebooks_dir,
                  build_dir, cache_dir, settings_file, on_invalid_rows, published_only_la, comparator_sources,
                  sn_vintage, step) -> Path:
    """:func:`build_report` once it holds the reports folder's run lock."""
    from .render import renderer_name, renderer_version

    started = time.perf_counter()
    timings = {}
    step("validate the data")
    given = settings                # what the kernels are handed, whatever file (if any) it was read from
    if published_only_la:
        run = prepare_published(published_only_la, comparator_sources, settings, sn_vintage)
        settings = run.settings
    else:
        settings = with_sn_vintage(settings, sn_vintage)
        run = prepare_run(data_dir, settings, cache_dir, on_invalid_rows, step=step)
    timings.update(run.timings)
    meeting = resolve_period(run, period)
    out_dir.mkdir(parents=True, exist_ok=True)
    # A report whose inputs, parameters, settings, notebooks and code are all unchanged is not made again.
    report_key = hashlib.sha256(json.dumps({
        "run": run.cache_key, "inputs": run.inputs, "period": str(meeting), "papers": list(papers),
        "formats": list(formats), "settings": settings.as_dict(), "renderer": renderer_name(),
        "notebooks": [hashlib.sha256((notebooks_dir / f"{p}.ipynb").read_bytes()).hexdigest() for p in papers],
        "previous": str(_previous_folder(out_dir, meeting) or ""), "code": code_fingerprint(),
        "published_only": str(published_only_la or ""), "on_invalid_rows": on_invalid_rows,
    }, sort_keys=True, default=str).encode()).hexdigest()[:24]
    existing = out_dir / str(meeting) / "manifest.json"
    if existing.exists() and json.loads(existing.read_text()).get("report_key") == report_key:
        step("unchanged: the existing report is up to date")
        return out_dir / str(meeting)
    staging = partial_folder(out_dir / str(meeting))
    try:
        executed_dir = Path(build_dir).resolve() / str(meeting)
        remove_stale(executed_dir)          # notebooks of a run killed while executing them
        # The kernels read the very settings this run uses (a caller's Settings object need not
        # come from any file): written out once, whole, beside the executed notebooks.
        executed_dir.mkdir(parents=True, exist_ok=True)
        run_settings = executed_dir / "settings.yml"
        part = partial_file(run_settings)
        part.write_text(yaml.safe_dump(json.loads(json.dumps(given.as_dict())), sort_keys=False), encoding="utf-8")
        part.replace(run_settings)
        parameters = {
            "data_dir": str(data_dir),
            "period": str(meeting),
            "settings_file": str(run_settings),
            "cache_dir": str(Path(cache_dir).resolve()) if cache_dir else "",
            "previous_paper": str(folder.resolve()) if (folder := _previous_folder(out_dir, meeting)) else "",
            "on_invalid_rows": on_invalid_rows,
            "published_only_la": str(published_only_la or ""),
            "sn_vintage": sn_vintage or "",
            "comparator_sources": ";".join(str(Path(c).resolve()) for c in comparator_sources),
        }
        extra = {"meeting": meeting.label, "synthetic": run.synthetic, "council_name": settings.la.council_name}

        from .render import render_paper

        def make_paper(paper: str) -> dict:
            """Execute one paper's notebook (its own kernel) and render it; returns its timings."""
            t = time.perf_counter()
            executed = executed_dir / f"{paper}.ipynb"
            execute_notebook(notebooks_dir / f"{paper}.ipynb", executed, parameters | {"audience": paper})
            t_render = time.perf_counter()
            render_paper(executed, staging, paper, formats, extra)
            return {f"execute_{paper}": t_render - t, f"render_{paper}": time.perf_counter() - t_render}

        # The papers are independent: each runs in its own kernel, side by side, while this process
        # writes the open data, the KPM table and the workbook (the kernels read the measures from the
        # cache, not from these files). Waiting for them is idle time here, so threads are enough.
        step(f"execute and render {', '.join(papers)} ({', '.join(formats)}), side by side")
        t_papers = time.perf_counter()
        with ThreadPoolExecutor(max_workers=max(1, len(papers))) as pool:
            made = [pool.submit(make_paper, paper) for paper in papers]
            step("write the KPM table, the open data and the workbook")
            t = time.perf_counter()
            # first: the kernels take theirs from the measures cache when it is there before they need it
            kpm = kpm_for(run, previous_kpm(out_dir, meeting))
            write_csv(kpm, staging / "kpm.csv")
            write_open_data(run.reportable, settings, staging)
            write_workbook(staging / "measures.xlsx", kpm, pd.read_csv(staging / "measures.csv", dtype=str),
                           settings.la.council_name, meeting.label,
                           sorted(run.comparators["release"].dropna().unique()) if "release" in run.comparators else [])
            timings["open_data_kpm_workbook"] = time.perf_counter() - t
            for future in made:              # in paper order: the first failure is the one reported
                timings.update(future.result())
        timings["papers_side_by_side"] = time.perf_counter() - t_papers
        timings["total"] = time.perf_counter() - started
        manifest = {
            "report_key": report_key,
            "edstats_version": __version__,
            "code_fingerprint": code_fingerprint(),
            "git_commit": git_commit(),
            "period": str(meeting),
            "papers": list(papers),
            "formats": list(formats),
            "renderer": renderer_name(),
            "renderer_version": renderer_version(),
            "synthetic_data": run.synthetic,
            "published_only": run.published_only,
            "comparators": {"releases": sorted(run.comparators["release"].dropna().unique().tolist())
                            if "release" in run.comparators else [],
                            "sn_vintage": sorted(set(kpm["sn_vintage"].dropna()) - {""})},
            "parameters": parameters | {"papers": list(papers)},
            "settings": settings.as_dict(),
            "inputs": run.inputs,
            "rows": run.row_counts,
            "measures_from_cache": run.from_cache,
            "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        final = out_dir / str(meeting)
        replace_folder(staging, final)
        return final
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
