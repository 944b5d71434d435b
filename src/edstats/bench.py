"""``make bench``: time the pipeline's steps, medians of several runs, as a table and a CSV.

Each step runs in a fresh Python process (so its peak memory is its own) on synthetic data made
for the benchmark under ``build/bench/``. Wall times are medians of ``--runs`` runs; the machines
are shared and noisy, so read ratios against the baseline measured in the same run rather than
absolute seconds.

Steps: synth; validate and measures (with the daily feed); the whole pack from scratch (validate,
measures, execute and render both papers in HTML and PDF), on the termly extracts alone and again
with the daily feed, each with its parts from the report's manifest (validate, measures, the papers
executed and rendered side by side); a re-run with unchanged inputs (cache); and year-to-date
persistent absence from the daily feed: the library's route (every rule checked) as a multiple of
a hand-written DuckDB query of the same figure (:data:`YARDSTICK_QUERY` below); and rendering one executed paper with the
pip-only renderer and with Quarto (when installed), Quarto's time as a ratio of the other's.

Peak memory is that of the step's whole process tree (the kernels included), sampled.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path.cwd()


def _run(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it sets ``rows`` (and may set ``value``, a result to
    compare between routes); returns seconds, peak MB, rows, value."""
    wrapper = textwrap.dedent("""
        import json, resource, time
        from edstats.bench import TreeMemory
        memory = TreeMemory().start()
        t0 = time.perf_counter()
        rows, value, timings = 0, None, {{}}
        {code}
        seconds = time.perf_counter() - t0
        # the process's own largest resident size too, unless the step restarted the meter (the
        # resident size cannot be restarted: it would count the work before the part timed)
        peak_mb = memory.stop() if memory.restarted else max(
            memory.stop(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print("BENCH" + json.dumps({{"seconds": seconds, "peak_mb": peak_mb,
                                     "rows": rows, "value": value, "timings": timings}}))
    """).format(code=textwrap.dedent(code).strip("\n"))
    result = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, cwd=ROOT)
    line = next((l for l in result.stdout.splitlines() if l.startswith("BENCH")), None)
    if line is None:
        raise RuntimeError(f"benchmark step failed: {result.stderr[-2000:]}")
    return json.loads(line[5:])


class TreeMemory:
    """The peak memory of this process and every process it starts (the papers' kernels), summed,
    sampled from /proc every 50 ms (less often when a sample is slow). Each process counts its
    proportional set size (Linux's Pss: a page shared by n processes counts 1/n in each), so a
    forked process reading its parent's pages in place is not counted twice, as resident sizes
    would be."""

    def __init__(self, every: float = 0.05):
        self.every, self.peak_mb, self._running = every, 0.0, False
        self.restarted, self._generation = False, 0

    @staticmethod
    def _tree_mb() -> float:
        import os

        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as fh:
                        ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry))
        total, todo = 0, [os.getpid()]
        while todo:
            pid = todo.pop()
            todo.extend(children.get(pid, []))
            try:
                with open(f"/proc/{pid}/smaps_rollup") as fh:
                    total += next(int(line.split()[1]) for line in fh if line.startswith("Pss:"))   # kB
            except (OSError, StopIteration, IndexError, ValueError):
                continue
        return total / 1024

    def start(self) -> "TreeMemory":
        import threading

        if not Path("/proc/self/smaps_rollup").exists():
            return self
        self._running = True

        def sample():
            while self._running:
                started, generation = time.perf_counter(), self._generation
                sampled = self._tree_mb()
                if generation == self._generation:       # not a sample begun before a restart
                    self.peak_mb = max(self.peak_mb, sampled)
                # Reading a process's smaps walks its page tables: at national scale (processes of
                # 10-20 GB) a sample takes a fraction of a second and holds the processes' memory
                # maps, slowing the work it measures. It then runs at most a tenth of the time.
                time.sleep(max(self.every, 9 * (time.perf_counter() - started)))

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def restart(self) -> None:
        """Forget the peak so far: from here on (a step timed after work it needs, such as the
        measures after validation) the peak is this part's alone."""
        self._generation += 1
        self.restarted = True
        self.peak_mb = self._tree_mb()

    def stop(self) -> float:
        if self._running:
            self._running = False
            self._thread.join()
        return self.peak_mb


#: The yardstick: year-to-date persistent absence from the feed's files as one plain DuckDB query,
#: written by hand with no checks (kept here, not in the library). The library's route, which checks
#: every rule of the feed as well, is measured as a multiple of its time.
YARDSTICK_QUERY = """
    WITH feed AS (SELECT * FROM read_parquet($paths) WHERE date >= $since),
    enrolments AS (
        SELECT upn, school_urn,
               count(*) FILTER (WHERE mark NOT IN ('X', 'Y', 'Z', '#')) AS possible,
               count(*) FILTER (WHERE mark IN ('C', 'E', 'H', 'I', 'M', 'R', 'S', 'T', 'G', 'N', 'O', 'U')) AS absent,
               count(*) AS sessions
        FROM feed GROUP BY upn, school_urn)
    SELECT 100 * avg((10 * absent >= possible)::INTEGER) FILTER (WHERE possible > 0), sum(sessions) FROM enrolments"""


def duckdb_ytd_persistent_absence(folder: str) -> tuple[float, int]:
    """The yardstick (:data:`YARDSTICK_QUERY`) over this academic year's rows; (PA %, feed rows)."""
    import glob

    import duckdb

    paths = sorted(glob.glob(f"{folder}/attendance_sessions/*.parquet"))
    con = duckdb.connect()
    (last,) = con.execute("SELECT max(stats_max_value) FROM parquet_metadata($paths) WHERE path_in_schema = 'date'",
                          {"paths": paths}).fetchone()
    since = f"{int(last[:4]) - (last[5:7] < '09')}-09-01"
    value, rows = con.execute(YARDSTICK_QUERY, {"paths": paths, "since": since}).fetchone()
    return float(value), int(rows)


def library_ytd_persistent_absence(folder: str) -> tuple[float, int]:
    """The library's route to this year's PA so far: only the row groups of the current academic
    year are read (Parquet statistics), checked and reduced; every pupil in the feed in scope, as in
    the baseline. Returns (PA %, feed rows read)."""
    from .contract.sessions import last_date_in_statistics, read_sessions
    from .measures.attendance import session_enrolments
    from .periods import academic_year_of
    from .settings import Settings

    last = last_date_in_statistics(Path(folder, "attendance_sessions"))
    year = academic_year_of(last)
    feed, _, problems = read_sessions(Path(folder, "attendance_sessions"), since=f"{year[:4]}-09-01")
    enrol = session_enrolments(feed, None, None, Settings())
    enrol = enrol[enrol["academic_year"] == year]
    return float((10 * enrol["absent"] >= enrol["possible"]).mean() * 100), feed.rows


def steps(data: Path, scale: str, out: Path) -> dict[str, str]:
    d, o = str(data), str(out)
    return {
        "synth": f"""
            import shutil; from edstats.synth import write_synthetic
            shutil.rmtree("{d}-synth", ignore_errors=True)
            files = write_synthetic("{d}-synth", "{scale}", 2026)
            import pandas as pd, pyarrow.parquet as pq
            rows = sum(pq.read_metadata(f).num_rows if str(f).endswith(".parquet") else sum(1 for _ in open(f)) - 1
                       for f in files if str(f).endswith((".csv", ".parquet")))
            shutil.rmtree("{d}-synth", ignore_errors=True)""",
        "validate (with the daily feed)": f"""
            from edstats.validate import validate_data
            v = validate_data("{d}"); rows = sum(len(t) for t in v.tables.values())""",
        "measures (after validation, with the daily feed)": f"""
            from edstats.validate import validate_data
            from edstats.measures import compute_all
            from edstats.compare.p8_estimates import load_estimates_by_year
            from edstats.settings import load_settings
            v = validate_data("{d}")
            t0 = time.perf_counter()          # time the measures only, not the validation before them,
            memory.restart()                  # and take their peak memory alone
            r = compute_all(v.tables, load_settings("edstats.yml"), load_estimates_by_year("{d}/p8_estimates"),
                            sessions=v.sessions)
            rows = sum(len(t) for t in v.tables.values())""",
        "whole pack (validate, measures, execute, render HTML+PDF)": _whole_pack(termly_view(data), o),
        "whole pack with the daily feed": _whole_pack(d, o),
        "re-run, unchanged inputs (cache)": f"""
            from edstats.pipeline import build_report; from edstats.settings import load_settings
            build_report("{d}", "{o}/reports", load_settings("edstats.yml"), period="2026-01", build_dir="{o}/build",
                         cache_dir="{o}/cache", settings_file="edstats.yml")
            rows = 1""",
        RENDER_STEPS["builtin"]: _render(o, "builtin"),
        **({RENDER_STEPS["quarto"]: _render(o, "quarto")} if _quarto_installed() else {}),
    }


#: Rendering one executed paper (the council paper of the whole pack, HTML and PDF) with each renderer.
RENDER_STEPS = {"builtin": "render the council paper, HTML and PDF (pip-only renderer)",
                "quarto": "render the council paper, HTML and PDF (Quarto)"}


def _quarto_installed() -> bool:
    from .render.quarto import quarto_executable

    return quarto_executable() is not None


def _render(o: str, renderer: str) -> str:
    """Render the whole pack's executed council notebook again, with ``renderer`` only."""
    return f"""
            import os, shutil, tempfile
            from pathlib import Path
            os.environ["EDSTATS_RENDERER"] = "{renderer}"
            from edstats.render import render_paper
            out = Path(tempfile.mkdtemp())
            render_paper(Path("{o}/build/2026-01/council.ipynb"), out, "council", ["html", "pdf"],
                         {{"meeting": "January 2026", "council_name": "Wyvern City Council", "synthetic": True}})
            shutil.rmtree(out)
            rows = 1"""


def termly_view(data: Path) -> str:
    """The city's extracts without the daily feed (termly attendance only, as most LAs send): a
    folder beside ``data`` whose files are hard links to its files (the data folder never follows a
    symbolic link, so a folder of those would hold no dataset)."""
    import os
    import shutil

    view = data.with_name(data.name + "-termly")
    view.mkdir(exist_ok=True)
    for entry in data.iterdir():
        target = view / entry.name
        if entry.name == "attendance_sessions" or target.exists():
            continue
        if entry.is_dir():
            shutil.copytree(entry, target, copy_function=os.link)
        else:
            os.link(entry, target)
    return str(view)


def _whole_pack(d: str, o: str) -> str:
    """From scratch (no cached measures, no report to reuse); the manifest's step times come back."""
    return f"""
            import json, shutil; from edstats.pipeline import build_report; from edstats.settings import load_settings
            for folder in ("cache", "reports", "build"):
                shutil.rmtree("{o}/" + folder, ignore_errors=True)
            folder = build_report("{d}", "{o}/reports", load_settings("edstats.yml"), period="2026-01",
                                  build_dir="{o}/build", cache_dir="{o}/cache", settings_file="edstats.yml")
            timings = json.loads((folder / "manifest.json").read_text())["timings_seconds"]
            rows = 1"""


#: Steps of the whole pack reported from its manifest (medians over the runs), as rows of their own.
PACK_PARTS = {"validate": "validate", "measures": "measures",
              "papers_side_by_side": "execute and render both papers (side by side)"}


def national_steps(data: Path) -> dict[str, str]:
    """At national scale: validation, then every measure for every LA (timed after validation), each
    as the pipeline runs them (DuckDB on every core)."""
    d = str(data)
    return {
        "validate (every LA)": f"""
            from edstats.validate import validate_data
            v = validate_data("{d}"); rows = sum(len(t) for t in v.tables.values())""",
        "every measure for every LA (after validation)": f"""
            from edstats.validate import validate_data
            from edstats.measures import compute_by_la
            from edstats.compare.p8_estimates import load_estimates_by_year
            from edstats.settings import load_settings
            v = validate_data("{d}")
            t0 = time.perf_counter()          # time the measures only, not the validation before them,
            memory.restart()                  # and take their peak memory alone
            r = compute_by_la(v.tables, load_settings("edstats.yml"), load_estimates_by_year("{d}/p8_estimates"))
            rows = sum(len(t) for t in v.tables.values())
            value = int(r.loc[r["breakdown_topic"] == "Local authority", "breakdown"].nunique())""",
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edstats.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="city", choices=["small", "city", "national"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sessions", action="store_true", help="also benchmark year-to-date absence on the daily feed")
    parser.add_argument("--out", default="build/bench")
    parser.add_argument("--steps", default="", help="only the steps whose names contain this text, e.g. 'whole pack'")
    args = parser.parse_args(argv)
    out = ROOT / args.out
    out.mkdir(parents=True, exist_ok=True)
    data = out / f"data-{args.scale}"
    if not (data / "schools").exists():
        from .synth import write_synthetic

        print(f"making {args.scale} data for the benchmark in {data} ...", flush=True)
        write_synthetic(data, args.scale, 2026, with_sessions=args.sessions and args.scale != "national")
    plan = national_steps(data) if args.scale == "national" else steps(data, args.scale, out)
    if args.sessions and (data / "attendance_sessions").exists():
        plan["year-to-date PA, daily feed (library: this year's row groups)"] = f"""
            from edstats.bench import library_ytd_persistent_absence
            value, rows = library_ytd_persistent_absence("{data}")"""
        plan["whole daily feed checked and reduced (library, as in validation)"] = f"""
            from pathlib import Path
            from edstats.contract.sessions import read_sessions
            feed, files, problems = read_sessions(Path("{data}/attendance_sessions")); rows = feed.rows"""
        plan["year-to-date PA, daily feed (hand-written DuckDB query: the yardstick)"] = f"""
            from edstats.bench import duckdb_ytd_persistent_absence
            value, rows = duckdb_ytd_persistent_absence("{data}")"""
    plan = {name: code for name, code in plan.items() if args.steps in name}
    table = []
    for name, code in plan.items():
        runs = [_run(code) for _ in range(args.runs)]
        seconds = statistics.median(r["seconds"] for r in runs)
        peak = max(r["peak_mb"] for r in runs)
        rows = runs[0]["rows"]
        table.append({"scale": args.scale, "step": name, "median_s": round(seconds, 2),
                      "runs": args.runs, "peak_mb": round(peak), "rows_per_s": round(rows / seconds) if rows > 1 else "",
                      "result": "" if runs[0]["value"] is None else round(runs[0]["value"], 6)})
        print(f"  {name}: {seconds:.2f} s", flush=True)
        if name.startswith("whole pack") and runs[0]["timings"]:
            for key, label in PACK_PARTS.items():
                table.append({"scale": args.scale, "step": f"  {label}, in the {name.split(' (')[0]}",
                              "median_s": round(statistics.median(r["timings"][key] for r in runs), 2),
                              "runs": args.runs, "peak_mb": "", "rows_per_s": "", "result": ""})
    base = next((r for r in table if "yardstick" in r["step"]), None)
    lib = next((r for r in table if "library" in r["step"]), None)
    if base and lib:
        lib["vs_baseline"] = f"{lib['median_s'] / base['median_s']:.2f}x the yardstick's time"
        if abs(base["result"] - lib["result"]) > 1e-9:
            lib["vs_baseline"] += f" BUT RESULTS DIFFER ({lib['result']} vs {base['result']})"
    builtin = next((r for r in table if r["step"] == RENDER_STEPS["builtin"]), None)
    quarto = next((r for r in table if r["step"] == RENDER_STEPS["quarto"]), None)
    if builtin and quarto:
        quarto["vs_baseline"] = f"{quarto['median_s'] / builtin['median_s']:.1f}x the pip-only renderer's time"
    written = out / f"bench-{args.scale}{'-' + args.steps.replace(' ', '-') if args.steps else ''}.csv"
    with open(written, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["scale", "step", "median_s", "runs", "peak_mb", "rows_per_s",
                                                "result", "vs_baseline"])
        writer.writeheader()
        writer.writerows(table)
    width = max(len(r["step"]) for r in table)
    print(f"\n{'step':<{width}}  median s  peak MB  rows/s")
    for r in table:
        print(f"{r['step']:<{width}}  {r['median_s']:>8}  {r['peak_mb']:>7}  {r['rows_per_s']:>9} {r.get('vs_baseline', '')}")
    print(f"\n(medians of {args.runs} runs; written to {written})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
