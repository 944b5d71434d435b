"""The report, top to bottom: the run's measures -> execute notebooks -> render -> publish.

:func:`build_report` gets the run's measures (:func:`edstats.runs.prepare_run`, or
:func:`edstats.published_only.prepare_published`), saves the finished run once and hands its
folder to each paper's notebook as the ``run_folder`` parameter. It writes a report folder
atomically: everything is made in a staging folder and moved into ``reports/<period>/`` only when
every step succeeded, so a failure leaves the previous report as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pandas as pd
import yaml

from .atomic import one_run_at_a_time, partial_file, partial_folder, remove_stale, replace_folder
from .csv_output import write_csv
from .errors import EdstatsError, NotebookFailed, SettingsError
from .periods import Period
from .publish import write_open_data
from .published_only import prepare_published
from . import __version__
from .runs import code_fingerprint, git_commit, kpm_for, prepare_run, read_kpm, resolve_period, save_run
from .settings import Settings, with_sn_vintage
from .sources import is_postgres, without_password
from .workbook import write_workbook

PAPERS = ("council", "scrutiny")
FORMATS = ("html", "pdf")


def _previous_folder(out_dir: Path, meeting: Period) -> Path | None:
    earlier = sorted(p for p in Path(out_dir).glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]")
                     if p.name < str(meeting) and (p / "kpm.csv").exists())
    return earlier[-1] if earlier else None


def previous_kpm(out_dir: Path, meeting: Period) -> pd.DataFrame | None:
    """kpm.csv of the latest report folder before ``meeting`` in ``out_dir`` (the previous paper)."""
    folder = _previous_folder(out_dir, meeting)
    return read_kpm(folder) if folder else None


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
    # a folder is named by its full path; a database by its address (or its file's full path)
    if not is_postgres(data_dir):
        data_dir = Path(data_dir).resolve()
    out_dir, notebooks_dir = Path(out_dir).resolve(), Path(notebooks_dir).resolve()
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
        # The kernels read the very settings this run used (a caller's Settings object need not
        # come from any file; a published-only run's are the LA's own): written out once, whole,
        # beside the executed notebooks.
        executed_dir.mkdir(parents=True, exist_ok=True)
        run_settings = executed_dir / "settings.yml"
        part = partial_file(run_settings)
        part.write_text(yaml.safe_dump(json.loads(json.dumps(run.settings.as_dict())), sort_keys=False), encoding="utf-8")
        part.replace(run_settings)
        # The finished run, handed to each kernel: its entry in the measures cache, or (with no
        # cache, or a published-only run) a folder beside the executed notebooks.
        if run.cache_folder is None:
            shutil.rmtree(executed_dir / "run", ignore_errors=True)
            save_run(run, executed_dir / "run")
        run_parameters = {
            "data": without_password(str(data_dir)), "period": str(meeting), "on_invalid_rows": on_invalid_rows,
            "cache_dir": str(Path(cache_dir).resolve()) if cache_dir else "",
            "published_only_la": str(published_only_la or ""), "sn_vintage": sn_vintage or "",
            "comparator_sources": ";".join(str(Path(c).resolve()) for c in comparator_sources),
        }
        parameters = {          # what each kernel is handed
            "run_folder": str(Path(run.cache_folder).resolve()),
            "period": str(meeting),
            "settings_file": str(run_settings),
            "previous_paper": str(folder.resolve()) if (folder := _previous_folder(out_dir, meeting)) else "",
            "published_only_la": str(published_only_la or ""),
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
            "parameters": run_parameters | {"papers": list(papers)},
            "notebook_parameters": parameters,
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
