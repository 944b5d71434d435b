"""The ``edstats`` command: parses arguments, calls the library, and turns errors into one paragraph.

Exit codes: 0 success; 2 invalid input data (validation failed) or bad options; 1 any other error.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import textwrap
import traceback
from pathlib import Path

from . import __version__
from .atomic import RunInProgress, plain_os_error
from .contract.identifiers import mask_identifiers
from .errors import EdstatsError, InputError, SettingsError, ValidationFailed

EXIT_INVALID = 2


def _progress(total: int, desc: str):
    """A progress bar on a terminal; one plain line per step when output goes to a log."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="step", file=sys.stderr, leave=True, disable=not sys.stderr.isatty(),
               bar_format="{desc}: {n}/{total} {bar:20} {elapsed} {postfix}")
    if bar.disable:
        bar.set_postfix_str = lambda text: print(f"{desc}: {text}", file=sys.stderr, flush=True)
    return bar


def cmd_synth(args) -> int:
    from .synth import write_synthetic

    from .synth.national import NATIONAL_LAS

    bar = _progress(NATIONAL_LAS + 1 if args.scale == "national" else 5, f"synthetic {args.scale} data")
    files = write_synthetic(args.out, args.scale, args.seed, args.with_sessions,
                            progress=lambda name: (bar.set_postfix_str(name),
                                                                                    bar.update(1)))
    bar.close()
    what = "every LA of a synthetic England" if args.scale == "national" else "a fictional LA"
    print(f"Wrote {len(files)} synthetic data files for {what} to {args.out}/ (scale {args.scale}, "
          f"seed {args.seed}).")
    return 0


def _data(args, settings) -> str:
    """Where the datasets are: ``--data``, else the settings' ``data.location``."""
    return args.data or settings.data.location


def cmd_validate(args) -> int:
    from .csv_output import write_csv
    from .settings import load_settings
    from .validate import summarise_problems, validate_data

    result = validate_data(_data(args, load_settings(args.settings)))
    print(mask_identifiers(summarise_problems(result.problems)))
    if args.report:
        write_csv(result.problems, args.report)
        print(f"The full table of problems is in {args.report}.")
    return 0 if result.is_valid else EXIT_INVALID


def _warn_about_data_folder(data: str) -> None:
    """Print what the data folder holds that will not be read (a near-miss folder name, a stray
    file): a third of the measures must not vanish without a word. (A database's tables are
    named by the contract's datasets: it has nothing else that would be read.)"""
    from .sources import is_database
    from .validate import check_data_folder

    if is_database(data):
        return
    for row in check_data_folder(Path(data)).itertuples():
        print(f"edstats: warning: {row.rule}. {row.fix}", file=sys.stderr)


def cmd_measures(args) -> int:
    from .runs import prepare_run, resolve_period
    from .publish import write_open_data
    from .settings import load_settings

    settings = load_settings(args.settings)
    data = _data(args, settings)
    _warn_about_data_folder(data)
    run = prepare_run(data, settings, args.cache, args.on_invalid_rows)
    period = resolve_period(run, args.period)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    data_path, _ = write_open_data(run.reportable, settings, out.parent)
    if data_path != out:
        data_path.replace(out)
        (out.parent / "measures.meta.csv").replace(out.with_name(out.stem + ".meta.csv"))
    print(f"Wrote {len(run.results)} measure rows (period {period}) to {out} and its .meta.csv.")
    return 0


def cmd_report(args) -> int:
    from .pipeline import build_report, check_notebooks
    from .settings import load_settings

    if not args.published_only and args.la is not None:
        raise SettingsError("--la only applies with --published-only (a paper from DfE's published figures "
                            "alone). A run on pupil-level data takes the LA from the la: block of the settings "
                            f"file ({args.settings}); leave out --la, or add --published-only and --comparators.")
    if not args.published_only and args.comparators is not None:
        raise SettingsError("--comparators only applies with --published-only (a paper from DfE's published "
                            "figures alone). A run on pupil-level data takes its comparator figures from the "
                            "data folder's comparators/ folder or the folder named in edstats.yml's comparators: "
                            "block (made by 'edstats comparators import'); leave out --comparators, or add "
                            "--published-only and --la.")
    settings = load_settings(args.settings)
    if args.published_only and not (args.la and args.comparators):
        raise SettingsError("--published-only needs --la (the LA's old code, e.g. 330) and --comparators (DfE files "
                            "such as LAIT's bds_long, or a folder made by 'edstats comparators import').")
    if args.published_only:
        from .compare.importers import FIND_THE_CODE, la_code_form

        if la_code_form(args.la) is None:
            raise SettingsError(f"--la '{args.la}' is not an LA code. {FIND_THE_CODE}")
    papers = [p.strip() for p in args.audience.split(",") if p.strip()]
    check_notebooks(Path(args.notebooks).resolve(), papers)     # before the data: run outside the checkout
    data = _data(args, settings)
    if not args.published_only:
        _warn_about_data_folder(data)
    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    bar = _progress(2 + 2 * len(papers), "report")

    started = []

    def step(name):
        if started:
            bar.update(1)
        started.append(name)
        bar.set_postfix_str(name)

    folder = build_report(data, args.out, settings, period=args.period, papers=papers, formats=formats,
                          notebooks_dir=args.notebooks, build_dir=args.build, cache_dir=args.cache,
                          settings_file=args.settings if Path(args.settings).exists() else None,
                          on_invalid_rows=args.on_invalid_rows,
                          published_only_la=args.la if args.published_only else None,
                          comparator_sources=args.comparators or [], sn_vintage=args.sn_vintage or "", step=step)
    bar.update(bar.total - bar.n)
    bar.close()
    files = sorted(p.name for p in folder.iterdir())
    print(f"The papers are in {folder}/: {', '.join(files)}")
    return 0


def cmd_comparators_import(args) -> int:
    from .compare.importers import import_into

    result = import_into(args.files, args.out)
    for warning in result.warnings():
        print(_paragraph(f"edstats {args.command}: warning: {warning}"), file=sys.stderr)
    print("Imported: " + "; ".join(result.kinds) + f". The comparator tables are in {args.out}/.")
    if result.errors():            # the others are imported; the missing or unreadable ones are still an error
        raise InputError(f"{result.errors()} The other files were imported.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edstats", description="Education performance papers for English local "
                                     "authorities, from pupil-level extracts.")
    parser.add_argument("--version", action="version", version=f"edstats {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("synth", help="write synthetic data for a fictional LA",
                       description="Write every dataset of the data contract for a fictional LA. The same seed "
                       "gives identical files. Refuses to write over existing dataset folders.")
    p.add_argument("--out", default="data/raw", help="folder to write into (default: data/raw)")
    p.add_argument("--scale", default="city", choices=["small", "city", "national"],
                   help="small (a few schools, for tests), city (Birmingham-sized, the default) or national "
                        "(every LA of a synthetic England at pupil level, ~650k per year group, for benchmarks)")
    p.add_argument("--seed", type=int, default=2026, help="random seed (default: 2026)")
    p.add_argument("--with-sessions", action="store_true",
                   help="also write the daily attendance feed (Parquet, tens of millions of rows at city scale)")
    p.set_defaults(func=cmd_synth)

    def data_options(p):
        p.add_argument("--data", default=None,
                       help="data folder (one subfolder per dataset), DuckDB database file or postgresql://... "
                            "database (default: the settings' data.location, data/raw)")
        p.add_argument("--settings", default="edstats.yml", help="settings file (default: edstats.yml)")

    def run_options(p):
        data_options(p)
        p.add_argument("--period", default=None, help="meeting month YYYY-MM (default: latest the data support)")
        p.add_argument("--cache", default="data/processed/cache", help="measures cache folder")
        p.add_argument("--on-invalid-rows", default="stop", choices=["stop", "quarantine"],
                       help="stop (default) on any invalid row, or set invalid rows aside in "
                            "data/processed/rejects/<dataset>.csv and go on; the papers then say how many")

    p = sub.add_parser("validate", help="check the data against the data contract",
                       description="Check every file against the data contract; exit 0 when valid, 2 when not.")
    data_options(p)
    p.add_argument("--report", default=None, help="write the full problem table to this CSV file")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("measures", help="validate and compute every measure into measures.csv",
                       description="Validate, then compute every measure into measures.csv (EES open-data "
                       "layout, small numbers suppressed) and measures.meta.csv, without rendering papers.")
    run_options(p)
    p.add_argument("--out", default="measures.csv", help="output CSV (default: measures.csv)")
    p.set_defaults(func=cmd_measures)

    p = sub.add_parser("report", help="validate, compute, execute the notebooks and render the papers",
                       description="Validate, compute, execute each paper's notebook with papermill and render "
                       "HTML and PDF into <out>/<period>/. Nothing is written there unless every step succeeds.")
    run_options(p)
    p.add_argument("--out", default="reports", help="reports folder (default: reports)")
    p.add_argument("--audience", default="council,scrutiny", help="papers to make (default: council,scrutiny)")
    p.add_argument("--format", default="html,pdf", help="formats (default: html,pdf)")
    p.add_argument("--notebooks", default="notebooks", help="folder of paper notebooks (default: notebooks)")
    p.add_argument("--build", default="build", help="folder for executed notebooks (default: build)")
    p.add_argument("--sn-vintage", default=None,
                   help="statistical-neighbour model to compare with (e.g. 2021 or 2025; default: edstats.yml)")
    p.add_argument("--published-only", action="store_true",
                   help="make the papers from DfE's published figures alone (no pupil-level data)")
    p.add_argument("--la", default=None, help="with --published-only: the LA's old three-digit code (e.g. 330) or its "
                   "nine-character code (e.g. E08000025)")
    p.add_argument("--comparators", nargs="+", default=None, metavar="PATH",
                   help="with --published-only: DfE files (LAIT bds_long, statistical neighbours, EES CSVs) or "
                        "folders made by 'edstats comparators import'")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("comparators", help="import DfE's published files into the comparator tables")
    csub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = csub.add_parser("import", help="import LAIT bds_long, EES CSVs, the NEET dashboard, statistical-neighbour "
                        "files, the LA lookup",
                        description="Recognise each DfE file and merge it into comparators.csv and groups.csv. "
                        "Give DfE's LA lookup (las.csv) too to make LAIT's LA codes current. A file edstats does "
                        "not recognise is left out with a warning; a file that does not exist is an error (exit 2) "
                        "once the others are imported; nothing imported at all is exit 2.")
    q.add_argument("files", nargs="+", metavar="FILE")
    q.add_argument("--out", default="data/processed/comparators", help="folder (default: data/processed/comparators)")
    q.set_defaults(func=cmd_comparators_import)
    return parser


def _paragraph(message: str) -> str:
    """An error as the command prints it: identifiers masked, wrapped at 100 characters without
    breaking a path or a word."""
    return "\n".join(textwrap.wrap(mask_identifiers(message), width=100, break_on_hyphens=False,
                                   break_long_words=False))


def main(argv=None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ValidationFailed as exc:
        print(f"edstats {args.command}: {mask_identifiers(str(exc))}", file=sys.stderr)
        return EXIT_INVALID
    except EdstatsError as exc:
        print(_paragraph(f"edstats {args.command}: {exc}"), file=sys.stderr)
        return EXIT_INVALID if isinstance(exc, (SettingsError, InputError, RunInProgress)) else 1
    except BrokenPipeError:       # the output was piped into a command that stopped reading (| head)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("edstats: interrupted; nothing half-written was left in the reports folder.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so plainly, keep the detail for the issue report
        plain = plain_os_error(exc, getattr(args, "out", None)) if isinstance(exc, OSError) else None
        if plain:               # a full disk or a folder that cannot be written is not a bug
            print(_paragraph(f"edstats {args.command}: {plain}"), file=sys.stderr)
            return 1
        if os.environ.get("EDSTATS_DEBUG"):
            traceback.print_exc()
        print(f"edstats {args.command}: an unexpected error ({type(exc).__name__}: {mask_identifiers(str(exc))}). "
              "This is a bug in "
              "edstats, not in your data; run again with EDSTATS_DEBUG=1 to see the details and report them.",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
