"""Check raw data against the contract and turn it into typed frames.

Every rule runs on every row (nothing stops at the first problem), and each problem is one row of
a table: dataset, file, line, column, value, rule, fix, severity. The datasets are read into DuckDB
(:mod:`edstats.contract.reader`) and every rule of the contract is a query there: a column's rules
are generated from its kind (:func:`column_rules`), a rule across columns is the contract's own SQL
condition, and the checks between datasets are queries of two tables.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from .contract import DATASETS, Column, Dataset, RawDataset, read_dataset
from .contract.identifiers import PERSONAL_COLUMNS, mask_identifiers, mask_personal
from .contract.reader import (FILE_COL, LINE_COL, ROW_COL, WHOLE_NUMBER_TYPES, InputFile, is_number_type, literal,
                              quoted)
from .contract.sessions import read_sessions
from .csv_output import write_csv
from .engine import Relation, as_frame, connect, register
from .errors import InputError
from .sources import Database, attach, dataset_tables, is_database, read_table

PROBLEM_COLUMNS = ["dataset", "file", "line", "column", "value", "rule", "fix", "severity"]
SYNTHETIC_MARKER = "SYNTHETIC.md"
#: Folders of the data folder that are not datasets: reference tables the run reads as they are.
REFERENCE_FOLDERS = ("p8_estimates", "comparators")
_TOP_LEVEL_FILES = {SYNTHETIC_MARKER.lower(), ".gitkeep", "readme.md", ".ds_store", "thumbs.db"}


def check_data_folder(data_dir: Path) -> pd.DataFrame:
    """The data folder's layout: raises :class:`InputError` when it does not exist or holds no
    dataset folder; returns a warning for everything else it holds that is not read — an unknown
    folder (naming the dataset it nearly matches: case, plural, a typo), a file at the top level,
    a subfolder or a link inside a dataset folder."""
    if not data_dir.is_dir():
        raise InputError(f"The data folder {data_dir} does not exist. Give the folder that holds schools/, eyfsp/, "
                         f"... with --data, run 'edstats synth --out {data_dir}' for synthetic data, or see docs/data.md.")
    known = {*DATASETS, *REFERENCE_FOLDERS}
    entries = sorted(data_dir.iterdir())
    if not any(p.is_dir() and not p.is_symlink() and p.name in DATASETS for p in entries):
        raise InputError(f"The data folder {data_dir} holds no dataset folder (schools/, eyfsp/, ks2/, ...). See "
                         "docs/data.md for the layout, or run 'make report' to use the synthetic data.")
    warnings = []

    def warn(path: Path, rule: str, fix: str):
        warnings.append({"dataset": "data folder", "file": str(path), "line": "", "column": "", "value": "", "rule": rule,
                         "fix": fix, "severity": "warning"})

    for path in entries:
        if path.is_symlink():
            warn(path, f"{path.name} is a link and is not read", "Copy the folder or file itself into the data folder.")
        elif path.is_dir() and path.name not in known:
            near = [n for n in known if n.lower() == path.name.lower() or n.lower() == path.name.lower().rstrip("s")
                    or n.lower() + "s" == path.name.lower()] or difflib.get_close_matches(path.name.lower(), known, n=1)
            warn(path, f"the folder {path.name}/ is not a dataset of the data contract and is not read",
                 f"Rename it to {near[0]}/ if that is what it holds." if near else
                 "Move it out of the data folder, or see docs/data.md for the datasets' folder names.")
        elif path.is_file() and path.name.lower() not in _TOP_LEVEL_FILES:
            warn(path, f"the file {path.name} is at the top of the data folder and is not read",
                 "Put each file in its dataset's folder (e.g. ks2/), or move it out of the data folder.")
        elif path.is_dir() and path.name == "p8_estimates":
            for year in sorted(p for p in path.iterdir() if p.is_dir()):
                if not (year / "p8_outlier_floors.csv").exists():
                    warn(year, f"p8_estimates/{year.name}/ has no p8_outlier_floors.csv, so that year's Progress 8 is "
                         "not outlier-adjusted (DfE's headline is)", "Add DfE's floors for each prior-attainment group "
                         "(pag, floor) as p8_outlier_floors.csv; the papers say the figure is unadjusted meanwhile.")
        elif path.is_dir() and path.name in DATASETS:
            for inner in sorted(path.iterdir()):
                if inner.is_symlink():
                    warn(inner, f"{path.name}/{inner.name} is a link and is not read",
                         "Copy the file itself into the dataset folder.")
                elif inner.is_dir():
                    warn(inner, f"the subfolder {path.name}/{inner.name}/ is not read: a dataset's files sit directly "
                         f"in {path.name}/", f"Move its files up into {path.name}/, or move it out.")
    return pd.DataFrame(warnings, columns=PROBLEM_COLUMNS)


@dataclass
class ValidatedData:
    """The valid rows of each dataset with rows, typed, as a table of one DuckDB connection that
    the measures query where it is (:class:`~edstats.engine.Relation`); every problem found; and
    the files read."""

    tables: dict[str, Relation]
    problems: pd.DataFrame
    files: dict[str, list[InputFile]] = field(default_factory=dict)
    synthetic: bool = False
    sessions: object = None   # the daily feed reduced to enrolment-months (SessionFeed), when present
    row_counts: dict = field(default_factory=dict)   # dataset -> read, accepted, rejected

    def frame(self, name: str) -> pd.DataFrame:
        """A dataset's valid rows as a pandas frame, in the order they were read (for a reader of
        one small dataset; the measures query :attr:`tables`)."""
        return self.tables[name].to_pandas().drop(columns=ROW_COL)

    def to_pandas(self) -> dict[str, pd.DataFrame]:
        """Every dataset's valid rows as pandas frames (:meth:`frame`): for small data only."""
        return {name: self.frame(name) for name in self.tables}

    @property
    def errors(self) -> pd.DataFrame:
        return self.problems[self.problems["severity"] == "error"]

    @property
    def is_valid(self) -> bool:
        return self.errors.empty


# -- the rules of one column, as SQL ----------------------------------------------------------------------



def column_rules(col: Column, stored_as_number: bool) -> list[tuple[str, str, str]]:
    """The rules of one column, as (SQL condition on a value ``v`` that breaks it, rule, fix).

    ``v`` is the cell trimmed, as text; a number stored as a number (from Parquet) in a column of
    numbers is ``v`` as it is, compared as a number. Blank cells are the ``must not be blank`` rule's."""
    rules = []
    if col.kind == "code":
        rules.append((f"v NOT IN ({', '.join(literal(c) for c in col.codes)})",
                      f"{col.name} must be one of {', '.join(col.codes)}",
                      "Recode the value to the contract's code list (docs/data.md)."))
    elif col.kind == "upn":
        rules.append(("NOT upn_is_valid(v)", "UPN must be 13 characters with a valid DfE check letter",
                      "Check the UPN against the school's record; a mistyped digit changes the check letter."))
    elif col.kind == "urn":
        rules.append(("NOT regexp_full_match(v, '[0-9]{6}')", f"{col.name} must be a 6-digit URN",
                      "Use the school's 6-digit unique reference number."))
    elif col.kind in ("integer", "number"):
        whole = col.kind == "integer"
        if stored_as_number:
            well_formed, number = ("v % 1 = 0" if whole else "true"), "v::DOUBLE"
        else:
            well_formed = f"regexp_full_match(v, '{'-?[0-9]+' if whole else '-?[0-9]+([.][0-9]+)?'}')"
            number = f"CASE WHEN {well_formed} THEN try_cast(v AS DOUBLE) END"
        rules.append((f"NOT ({well_formed})", f"{col.name} must be a {'whole ' if whole else ''}number",
                      "Remove text, spaces or thousands separators from the number."))
        if whole:
            rules.append((f"abs({number}) >= 9223372036854775808.0",
                          f"{col.name} is too large: a whole number must be below 2^63 (about 9.2 x 10^18)",
                          "Check the value at source: it may be two numbers run together."))
        if col.minimum is not None:
            rule = f"{col.name} must not be negative" if col.minimum == 0 else f"{col.name} must be at least {col.minimum:g}"
            rules.append((f"{number} < {col.minimum!r}", rule, "Correct the value at source."))
        if col.maximum is not None:
            rules.append((f"{number} > {col.maximum!r}", f"{col.name} must be at most {col.maximum:g}",
                          "Correct the value at source."))
    elif col.kind == "date":
        rules.append(("iso_date(v) IS NULL", f"{col.name} must be a date written YYYY-MM-DD",
                      "Write dates as ISO dates, e.g. 2025-01-31 (Excel often rewrites them as 31/01/2025)."))
        if not col.future_allowed:
            rules.append(("iso_date(v) > $today::DATE", f"{col.name} is in the future",
                          "Check the date; data cannot describe days that have not happened."))
    elif col.kind == "month":
        well_formed = "regexp_full_match(v, '[0-9]{4}-(0[1-9]|1[0-2])')"
        rules.append((f"NOT {well_formed}", f"{col.name} must be a month written YYYY-MM",
                      "Write the month of the snapshot as YYYY-MM, e.g. 2025-01."))
        if not col.future_allowed:
            rules.append((f"{well_formed} AND v > left($today, 7)", f"{col.name} is in the future",
                          "Check the month; a snapshot cannot describe a month to come."))
    elif col.kind == "academic_year":
        rules.append(("NOT coalesce(regexp_full_match(v, '[0-9]{4}/[0-9]{2}') "
                      "AND (try_cast(v[1:4] AS INTEGER) + 1) % 100 = try_cast(v[6:7] AS INTEGER), false)",
                      f"{col.name} must be written like 2024/25",
                      "Write the academic year as the start year, a slash and the next year's last two digits."))
    return rules


# -- finding the rows at fault ----------------------------------------------------------------------------

def _masked(column: str, value) -> str:
    if value is None:
        return ""
    return mask_personal(str(value)) if column in PERSONAL_COLUMNS else mask_identifiers(str(value), dates=False)


def _rows(con, table: str, where: str, dataset: str, column: str, rule: str, fix: str, parameters=None,
          value_column: str | None = None) -> pd.DataFrame:
    """A problem row for every row of ``table`` where ``where`` holds, in the order the rows were
    read, with the cell of ``value_column`` (default ``column``) masked."""
    shown = value_column or column
    rows = con.execute(f"SELECT {FILE_COL}, {LINE_COL}, {quoted(shown)}::VARCHAR FROM {table} WHERE {where} "
                       f"ORDER BY {FILE_COL}, {LINE_COL}", parameters or {}).fetchall()
    if not rows:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    files, lines, values = zip(*rows)
    return pd.DataFrame({"dataset": dataset, "file": files, "line": lines, "column": column,
                         "value": [_masked(shown, v) for v in values], "rule": rule, "fix": fix, "severity": "error"})


def _problem_row(dataset, file, line, column, rule, fix, severity="error") -> pd.DataFrame:
    return pd.DataFrame([{"dataset": dataset, "file": file, "line": line, "column": column, "value": "", "rule": rule,
                          "fix": fix, "severity": severity}])


def _check_column(con, table: str, col: Column, kind: str, dataset: str, clean: set | None = None
                  ) -> list[pd.DataFrame]:
    """Every rule of one column. One query works each condition out once per distinct value (a UPN
    repeats once a term, a code thousands of times); the rows holding a value that breaks a rule
    are found only then. The column's name goes into ``clean`` when no cell has white space to trim."""
    name = quoted(col.name)
    number = col.kind in ("integer", "number") and is_number_type(kind)
    value = "raw" if number else "stripped(raw::VARCHAR)"
    blank = "raw IS NULL" if number else "(raw IS NULL OR stripped(raw::VARCHAR) = '')"
    rules = column_rules(col, number)
    # the distinct values first, then each condition on them as an aggregate's filter (as a WHERE,
    # DuckDB would push it below the DISTINCT and work it out on every row)
    found = con.execute(
        f"SELECT bool_or(raw IS NOT NULL AND raw::VARCHAR <> v::VARCHAR), bool_or(blank), "
        f"{', '.join(f'list(raw) FILTER (WHERE NOT blank AND ({c}))' for c, _, _ in rules) or 'NULL'} "
        f"FROM (SELECT raw, {value} AS v, {blank} AS blank FROM (SELECT DISTINCT {name} AS raw FROM {table}))",
        {"today": date.today().isoformat()} if any("$today" in c for c, _, _ in rules) else {}).fetchone()
    trimmed, found = found[0], found[1:]
    if clean is not None and not trimmed:
        clean.add(col.name)
    out = []
    if found[0] and not col.nullable:
        out.append(_rows(con, table, blank.replace("raw", name), dataset, col.name, f"{col.name} must not be blank",
                         "Fill in the value; every row needs one."))
    for (_, rule, fix), bad in zip(rules, found[1:]):
        if bad:
            out.append(_rows(con, table, f"{name} IN (SELECT unnest($bad))", dataset, col.name, rule, fix,
                             {"bad": bad}))
    return out


def _columns_of(con, table: str) -> dict[str, str]:
    return {name: kind for name, kind, *_ in con.execute(f"DESCRIBE {table}").fetchall()}


def _table(con, raw: RawDataset) -> str:
    """The DuckDB table of ``raw``'s rows (a frame given instead is registered as one)."""
    if isinstance(raw.frame, str):
        return raw.frame
    register(con, f"frame_{raw.name}", raw.frame)
    return f"frame_{raw.name}"


def check_dataset(spec: Dataset, raw: RawDataset, con=None, clean: set | None = None) -> pd.DataFrame:
    """Every contract problem in one dataset, as a problem table (possibly empty). The columns
    with no white space to trim go into ``clean`` (their typed values need no trimming)."""
    con = con or connect()
    table = _table(con, raw)
    parts = [pd.DataFrame(raw.problems, columns=PROBLEM_COLUMNS)]
    stored = _columns_of(con, table)
    present = set(stored) - {FILE_COL, LINE_COL, ROW_COL}
    (rows,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    if not rows:
        return pd.concat(parts, ignore_index=True)
    (first_file,) = con.execute(f"SELECT {FILE_COL} FROM {table} ORDER BY {FILE_COL}, {LINE_COL} LIMIT 1").fetchone()
    known = set(spec.column_names)
    for col in spec.columns:
        if col.name not in present:
            if col.required:
                near = difflib.get_close_matches(col.name, sorted(present - known), n=1)
                hint = f" The file has '{near[0]}': is that it, misspelt?" if near else ""
                parts.append(_problem_row(spec.name, first_file, 1, col.name, f"required column {col.name} is missing",
                                          f"Add the column {col.name} to the header.{hint}"))
            continue
        parts.extend(_check_column(con, table, col, stored[col.name], spec.name, clean))
    for extra in sorted(present - known):
        near = difflib.get_close_matches(extra, spec.column_names, n=1)
        parts.append(_problem_row(spec.name, first_file, 1, extra,
                                  f"column {extra} is not in the data contract and is ignored",
                                  f"Did you mean {near[0]}? Rename it." if near else
                                  "Remove the column or ignore this warning.", severity="warning"))
    # the rules across columns: which any row breaks, in one pass; then the rows of those
    row_checks = [check for check in spec.row_checks if set(check.columns) <= present]   # (a missing column: above)
    broken = con.execute(f"SELECT {', '.join(f'bool_or(coalesce({c.condition}, false))' for c in row_checks)} "
                         f"FROM {table}").fetchone() if row_checks else ()
    for check, any_row in zip(row_checks, broken):
        if any_row:
            parts.append(_rows(con, table, f"coalesce({check.condition}, false)", spec.name, check.column,
                               check.rule, check.fix))
    key = ", ".join(quoted(c) for c in spec.key)
    # a repeated key has a repeated hash: when no hash repeats, no key does; otherwise the keys are
    # compared only among the rows whose key's hash repeats (a number each, where grouping every row
    # by its key held them all: 55 million attendance rows took 32 s and gigabytes)
    repeated_hashes = f"SELECT h FROM (SELECT hash({key}) AS h FROM {table}) GROUP BY h HAVING count(*) > 1"
    repeats = f"(SELECT * FROM {table} WHERE hash({key}) IN ({repeated_hashes}))"
    if spec.key and set(spec.key) <= present and con.execute(
            f"SELECT count(*) FROM ({repeated_hashes})").fetchone()[0] and con.execute(
            f"SELECT count(*) FROM (SELECT {key} FROM {repeats} GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]:
        what = " and ".join(spec.key)
        parts.append(_rows(con, f"(SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY {FILE_COL}, {LINE_COL}) "
                                f"AS repeat FROM {repeats})", "repeat > 1", spec.name, spec.key[0],
                           f"duplicate row: the same {what} appears earlier in the dataset",
                           "Remove the repeated record, or correct the identifier if two records were merged."))
    return pd.concat([p for p in parts if not p.empty] or parts[:1], ignore_index=True)


# -- typed rows -------------------------------------------------------------------------------------------

def _typed_column(col: Column, kind: str, clean: bool = False) -> str:
    """SQL for one column's typed value: a blank, malformed or out-of-range cell is missing (the
    checks report it). A ``clean`` column has no white space to trim."""
    name = quoted(col.name)
    text = f"{name}::VARCHAR" if clean else f"stripped({name}::VARCHAR)"
    if col.kind == "integer":
        if kind in WHOLE_NUMBER_TYPES:
            return f"{name}::BIGINT"
        if is_number_type(kind):
            return f"CASE WHEN {name} % 1 = 0 AND abs({name}) < 9223372036854775808.0 THEN {name}::BIGINT END"
        return f"try_cast({text} AS BIGINT)"
    if col.kind == "number":
        return f"{name}::DOUBLE" if is_number_type(kind) else f"try_cast({text} AS DOUBLE)"
    if col.kind == "date":
        return f"iso_date({text})"
    return f"nullif({text}, '')"


def typed_query(spec: Dataset, con, table: str, clean: set = frozenset()) -> str:
    """A query of ``table``'s rows typed (with ``_file`` and ``_line``): text trimmed (but not in the
    ``clean`` columns, which need none), numbers as numbers, dates as dates, blanks missing."""
    stored = _columns_of(con, table)
    columns = [f"{_typed_column(col, stored[col.name], col.name in clean)} AS {quoted(col.name)}"
               for col in spec.columns if col.name in stored]
    row = ROW_COL if ROW_COL in stored else f"{LINE_COL} AS {ROW_COL}"      # a frame the tests give the checks
    return f"SELECT {', '.join(columns + [FILE_COL, LINE_COL, row])} FROM {table}"


def to_typed(spec: Dataset, frame) -> pd.DataFrame:
    """A frame of rows as read, typed (see :func:`typed_query`)."""
    con = connect()
    register(con, "rows_read", frame)
    typed = as_frame(con, typed_query(spec, con, "rows_read"))
    return typed.drop(columns=[FILE_COL, LINE_COL, ROW_COL])


# -- checks between datasets ------------------------------------------------------------------------------

def _urns_known(name: str):
    def check(con, typed: dict, raw: dict) -> list[pd.DataFrame]:
        if "schools" not in typed or "school_urn" not in _columns_of(con, raw[name]):
            return []
        urn = "stripped(school_urn::VARCHAR)"
        return [_rows(con, raw[name], f"{urn} <> '' AND {urn} NOT IN (SELECT school_urn FROM {typed['schools']} "
                                      "WHERE school_urn IS NOT NULL)", name, "school_urn",
                      "school_urn is not in the schools dataset", "Add the school to schools/ or correct the URN.")]
    return check


def _provision_follows_exclusions(con, typed: dict, raw: dict) -> list[pd.DataFrame]:
    if "provision" not in raw or "exclusions" not in typed or "exclusion_id" not in _columns_of(con, raw["provision"]):
        return []
    provision, exclusions, cited = raw["provision"], typed["exclusions"], "stripped(exclusion_id::VARCHAR)"
    parts = [_rows(con, provision, f"{cited} <> '' AND {cited} NOT IN (SELECT exclusion_id FROM {exclusions} "
                                   "WHERE exclusion_id IS NOT NULL)", "provision", "exclusion_id",
                   "exclusion_id is not in the exclusions dataset",
                   "Every placement must belong to a recorded exclusion; check the id.")]
    if "start_date" in _columns_of(con, provision):
        # each exclusion's first record (a repeat is reported as a duplicate)
        first = (f"(SELECT exclusion_id, arg_min(start_date, ({FILE_COL}, {LINE_COL})) AS excluded_from "
                 f"FROM {exclusions} GROUP BY exclusion_id)")
        parts.append(_rows(con, f"(SELECT p.*, e.excluded_from FROM {provision} p JOIN {first} e "
                                f"ON e.exclusion_id = stripped(p.exclusion_id::VARCHAR))",
                           "iso_date(stripped(start_date::VARCHAR)) < excluded_from", "provision", "start_date",
                           "provision starts before the exclusion it follows",
                           "Check the provision's start date against the exclusion's start date."))
    return parts


def _results_for_known_pupils(con, typed: dict, raw: dict) -> list[pd.DataFrame]:
    if "ks4_results" not in raw or "ks4_pupils" not in typed or \
            not {"upn", "academic_year"} <= set(_columns_of(con, raw["ks4_results"])):
        return []
    upn, year = "stripped(upn::VARCHAR)", "stripped(academic_year::VARCHAR)"
    return [_rows(con, raw["ks4_results"],
                  f"upn IS NOT NULL AND academic_year IS NOT NULL AND ({upn}, {year}) NOT IN "
                  f"(SELECT (upn, academic_year) FROM {typed['ks4_pupils']} WHERE upn IS NOT NULL "
                  "AND academic_year IS NOT NULL)", "ks4_results", "upn",
                  "result for a pupil who is not in ks4_pupils for that academic year",
                  "Add the pupil to ks4_pupils or correct the UPN or year.")]


def _dates_in_calendar(name: str):
    def check(con, typed: dict, raw: dict) -> list[pd.DataFrame]:
        if "calendar" not in typed or name not in raw or "start_date" not in _columns_of(con, raw[name]):
            return []
        day = "stripped(start_date::VARCHAR)"
        return [_rows(con, raw[name], f"{day} <> '' AND {day} NOT IN (SELECT strftime(date, '%Y-%m-%d') "
                                      f"FROM {typed['calendar']} WHERE date IS NOT NULL)", name, "start_date",
                      "start_date is not covered by the calendar dataset",
                      "Add that academic year to calendar/ so school days can be counted.")]
    return check


def _cross_checks(names: list[str]) -> list[tuple[set[str], object]]:
    """Checks between datasets, in the order their problems are reported, each with the datasets it
    reads: URNs in schools, provision for known exclusions (and not before them), KS4 results for
    known pupils, and a calendar that covers every date the exclusions and provision use. Each
    check is a function of (connection, typed tables, tables of rows as read) giving problem tables."""
    return [({"schools", name}, _urns_known(name)) for name in names if name != "schools"] + [
        ({"provision", "exclusions"}, _provision_follows_exclusions),
        ({"ks4_results", "ks4_pupils"}, _results_for_known_pupils),
        ({"calendar", "exclusions"}, _dates_in_calendar("exclusions")),
        ({"calendar", "provision"}, _dates_in_calendar("provision")),
    ]


ON_INVALID_ROWS = ("stop", "quarantine")


def validate_data(data_dir: str | Path, on_invalid_rows: str = "stop",
                  rejects_dir: str | Path | None = None) -> ValidatedData:
    """Read and check every dataset of ``data_dir``; never raises on bad rows.

    ``data_dir`` is a folder of dataset folders, a DuckDB database file or a PostgreSQL database
    (``postgresql://...``) with one table or view per dataset (:mod:`edstats.sources`). A missing
    dataset is not an error (its measures become 'x', not available). With
    ``on_invalid_rows="quarantine"``, rows that break a rule are set aside: written with their
    reasons to ``rejects_dir/<dataset>.csv`` and left out of the frames, and their problems are
    marked ``quarantined`` instead of ``error``. Problems with a whole file (unreadable, a missing
    column) cannot be quarantined and stay errors. The datasets are read into one DuckDB connection,
    which checks each on every core.
    """
    if on_invalid_rows not in ON_INVALID_ROWS:
        raise ValueError(f"on_invalid_rows must be one of {ON_INVALID_ROWS}")
    con = connect()
    con.execute("SET preserve_insertion_order = true")      # the rows in the order they were read
    raws, typed = {}, {}
    if is_database(data_dir):
        source = Database(str(data_dir))
        schema = attach(con, source)
        problems = []
        names = dataset_tables(con, schema)
        for name in names:
            raws[name] = read_table(con, source, schema, name)
        folder = None
    else:
        folder = Path(data_dir)
        problems = [check_data_folder(folder)]
        names = [name for name in DATASETS if (folder / name).is_dir() and not (folder / name).is_symlink()
                 and name != "attendance_sessions"]
        for name in names:
            raws[name] = read_dataset(folder / name, name, con)
    for name in names:
        clean = set()
        problems.append(check_dataset(DATASETS[name], raws[name], con, clean))
        # a view: typed as the checks between datasets read it, never stored twice
        con.execute(f"CREATE VIEW typed_{name} AS {typed_query(DATASETS[name], con, raws[name].frame, clean)}")
        if con.execute(f"SELECT count(*) FROM typed_{name}").fetchone()[0]:
            typed[name] = f"typed_{name}"
    tables = {name: raw.frame for name, raw in raws.items()}
    for _, check in _cross_checks(names):
        problems.extend(check(con, typed, tables))
    sessions, session_files = None, []
    if folder is not None and (folder / "attendance_sessions").is_dir():
        urns = ({u for (u,) in con.execute("SELECT DISTINCT school_urn FROM typed_schools WHERE school_urn IS NOT NULL")
                 .fetchall()} if "schools" in typed else None)
        sessions, session_files, feed_problems = read_sessions(folder / "attendance_sessions", urns)
        problems.append(pd.DataFrame(feed_problems, columns=PROBLEM_COLUMNS))
    table = pd.concat([p for p in problems if not p.empty], ignore_index=True) if any(
        not p.empty for p in problems) else pd.DataFrame(columns=PROBLEM_COLUMNS)
    counts = {}
    for name, raw in raws.items():
        (rows,) = con.execute(f"SELECT count(*) FROM {raw.frame}").fetchone()
        counts[name] = {"read": rows + len(raw.unread_lines), "accepted": rows, "rejected": len(raw.unread_lines)}
    if session_files:
        n = sum(f.rows for f in session_files)
        counts["attendance_sessions"] = {"read": n, "accepted": n, "rejected": 0}
    if on_invalid_rows == "quarantine":
        table = _quarantine(con, table, raws, counts,
                            Path(rejects_dir or (folder or Path("data/raw")).parent / "processed" / "rejects"))
    con.execute("SET preserve_insertion_order = false")     # the measures say ORDER BY where order matters
    return ValidatedData(
        tables=_valid_rows(con, raws, typed, on_invalid_rows == "quarantine"),
        problems=table[PROBLEM_COLUMNS],
        row_counts=counts,
        files={name: rd.files for name, rd in raws.items()} | ({"attendance_sessions": session_files}
                                                                 if session_files else {}),
        synthetic=folder is not None and (folder / SYNTHETIC_MARKER).exists(),
        sessions=sessions,
    )


def _valid_rows(con, raws: dict[str, RawDataset], typed: dict[str, str], quarantined: bool) -> dict[str, Relation]:
    """Each dataset's valid rows, typed, as ``valid_<dataset>`` (every column of the contract the
    files have, and ``_row``), for the datasets with any. Rows read from Parquet files stay a view
    of the files; rows DuckDB holds copies of (from CSV files, a database) become a table of the
    typed rows, and the text read goes."""
    tables = {}
    for name in typed:
        kept = f"SELECT * EXCLUDE ({FILE_COL}, {LINE_COL}) FROM typed_{name}"
        if quarantined:
            kept += f" WHERE ({FILE_COL}, {LINE_COL}) NOT IN (SELECT (file, line) FROM rejected_{name})"
        copied = raws[name].copies
        con.execute(f"CREATE {'TABLE' if copied else 'VIEW'} valid_{name} AS {kept}")
        if copied:
            con.execute(f"DROP VIEW typed_{name}")
            if raws[name].frame not in copied:
                con.execute(f"DROP VIEW {raws[name].frame}")
            for table in copied:
                con.execute(f"DROP TABLE {table}")
        relation = Relation(con, f"valid_{name}")
        if not relation.empty:
            tables[name] = relation
    return tables


def _quarantine(con, table: pd.DataFrame, raws: dict, counts: dict, rejects_dir: Path) -> pd.DataFrame:
    """Set aside every row with a row-level error (DuckDB table ``rejected_<dataset>``: file, line,
    reason); returns the problem table with those marked."""
    line = pd.to_numeric(table["line"], errors="coerce")
    row_level = (table["severity"] == "error") & (line > 1) & table["dataset"].isin(list(raws))
    table = table.copy()
    table.loc[row_level, "severity"] = "quarantined"
    for name, rd in raws.items():
        mine = table[row_level & (table["dataset"] == name)]
        reasons = (mine.assign(line=line[mine.index].astype("int64"))
                   .groupby(["file", "line"], sort=False)["rule"].agg(lambda r: "; ".join(dict.fromkeys(r)))
                   .reset_index().rename(columns={"rule": "reason"}))
        con.register("reasons", reasons)
        con.execute(f"CREATE OR REPLACE TABLE rejected_{name} AS SELECT file::VARCHAR AS file, "
                    "line::BIGINT AS line, reason::VARCHAR AS reason FROM reasons")
        con.unregister("reasons")
        if mine.empty:
            continue
        out = as_frame(con, f"SELECT r.file, r.line, r.reason, d.* EXCLUDE ({FILE_COL}, {LINE_COL}, {ROW_COL}) "
                            f"FROM rejected_{name} r JOIN {rd.frame} d ON d.{FILE_COL} = r.file AND d.{LINE_COL} = r.line")
        unread = pd.DataFrame(rd.unread_lines, columns=["file", "line"])   # rows that could not be split
        unread["reason"] = [dict(zip(zip(reasons["file"], reasons["line"]), reasons["reason"])).get(key, "")
                            for key in rd.unread_lines]
        out = pd.concat([out, unread], ignore_index=True).sort_values(["file", "line"], kind="stable")
        rejects_dir.mkdir(parents=True, exist_ok=True)
        write_csv(out, rejects_dir / f"{name}.csv")
        (rejected,) = con.execute(f"SELECT count(*) FROM {rd.frame} WHERE ({FILE_COL}, {LINE_COL}) IN "
                                  f"(SELECT (file, line) FROM rejected_{name})").fetchone()
        counts[name]["rejected"] = rejected + len(rd.unread_lines)
        counts[name]["accepted"] = counts[name]["read"] - counts[name]["rejected"]
    return table


def summarise_problems(problems: pd.DataFrame, limit: int = 20) -> str:
    """Plain-English summary: counts by dataset and rule, then the first few cells at fault."""
    if problems.empty:
        return "No problems found."
    lines = []
    errors = problems[problems["severity"] == "error"]
    warnings = problems[problems["severity"] == "warning"]
    quarantined = problems[problems["severity"] == "quarantined"]
    lines.append(f"{len(errors)} error(s) and {len(warnings)} warning(s)"
                 + (f"; {len(quarantined)} problem(s) in rows set aside (quarantined)." if len(quarantined) else "."))
    grouped = problems.groupby(["severity", "dataset", "column", "rule"], sort=False).size()
    for (severity, dataset, column, rule), n in grouped.items():
        lines.append(f"  [{severity}] {dataset}: {rule} — {n} row(s)")
    lines.append("First rows at fault:")
    for row in problems.head(limit).itertuples():
        lines.append(f"  {row.file} line {row.line or '-'}, column {row.column or '-'}, value {row.value!r}: "
                     f"{row.rule}. {row.fix}")
    return "\n".join(lines)
