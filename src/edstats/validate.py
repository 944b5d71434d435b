"""Check raw data against the contract and turn it into typed frames.

Every rule runs on every row (lazily: nothing stops at the first problem), and each problem is
one row of a table: dataset, file, line, column, value, rule, fix, severity.
"""

from __future__ import annotations

import difflib
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .contract import DATASETS, Column, Dataset, RawDataset, read_dataset
from .contract.identifiers import PERSONAL_COLUMNS, mask_identifiers, mask_personal, valid_upn_mask
from .contract.reader import FILE_COL, LINE_COL, InputFile, integer_bits
from .contract.sessions import read_sessions
from .csv_output import write_csv
from .errors import InputError
from .grouping import (arrow_text, codes_and_distinct, combination_numbers, first_rows, matching_combinations,
                       repeated_combinations, trimmed_text)
from .parallel import cores

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
    """Typed frames by dataset name, every problem found, and the files read."""

    frames: dict[str, pd.DataFrame]
    problems: pd.DataFrame
    files: dict[str, list[InputFile]] = field(default_factory=dict)
    synthetic: bool = False
    sessions: object = None   # the daily feed reduced to enrolment-months (SessionFeed), when present
    row_counts: dict = field(default_factory=dict)   # dataset -> read, accepted, rejected

    @property
    def errors(self) -> pd.DataFrame:
        return self.problems[self.problems["severity"] == "error"]

    @property
    def is_valid(self) -> bool:
        return self.errors.empty


def _rows(frame: pd.DataFrame, mask, dataset: str, column: str, rule: str, fix: str) -> pd.DataFrame:
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    bad = frame.loc[mask]
    return pd.DataFrame({
        "dataset": dataset, "file": bad[FILE_COL].astype(str).to_numpy(), "line": bad[LINE_COL].to_numpy(),
        "column": column,
        "value": bad[column].astype(str).map(mask_personal if column in PERSONAL_COLUMNS else
                                             lambda value: mask_identifiers(value, dates=False)).to_numpy()
        if column in bad else "",
        "rule": rule, "fix": fix, "severity": "error",
    })


def _academic_year_ok(values: pd.Series) -> pd.Series:
    parts = values.str.extract(r"^([0-9]{4})/([0-9]{2})$")
    start = pd.to_numeric(parts[0], errors="coerce")
    end = pd.to_numeric(parts[1], errors="coerce")
    return (((start + 1) % 100) == end).fillna(False).astype(bool)


def _unique_checks(col: Column, uniques: pd.Series) -> list[tuple[np.ndarray, str, str]]:
    """Rules of one column, evaluated on its distinct non-blank values (numbers read as numbers:
    on every row, a comparison being quicker than finding the distinct values).

    Returns (bad mask over ``uniques``, rule, fix) for each rule. Checking distinct values rather
    than rows keeps validation fast on millions of rows (a UPN repeats once per term, a code
    thousands of times).
    """
    checks = []
    numeric_typed = pd.api.types.is_numeric_dtype(uniques.dtype)
    # numbers from Parquet are checked as numbers; in a column of another kind (a URN written as a
    # number, say) they are checked as the text they stand for
    text = None if numeric_typed and col.kind in ("integer", "number") else uniques.astype("string").str.strip()
    if col.kind == "code":
        checks.append((~text.isin(col.codes), f"{col.name} must be one of {', '.join(col.codes)}",
                       "Recode the value to the contract's code list (docs/data.md)."))
    elif col.kind == "upn":
        checks.append((~valid_upn_mask(text), "UPN must be 13 characters with a valid DfE check letter",
                       "Check the UPN against the school's record; a mistyped digit changes the check letter."))
    elif col.kind == "urn":
        checks.append((~text.str.fullmatch(r"[0-9]{6}").fillna(False), f"{col.name} must be a 6-digit URN",
                       "Use the school's 6-digit unique reference number."))
    elif col.kind in ("integer", "number"):
        if numeric_typed:
            number = uniques
            well_formed = pd.Series(True, index=uniques.index)
            if col.kind == "integer" and not pd.api.types.is_integer_dtype(uniques.dtype):
                number = uniques.astype(float)
                well_formed = (number % 1 == 0) | number.isna()
        else:
            pattern = r"-?[0-9]+" if col.kind == "integer" else r"-?[0-9]+(\.[0-9]+)?"
            well_formed = text.str.fullmatch(pattern).fillna(False)
            number = pd.to_numeric(text.where(well_formed), errors="coerce")
        checks.append((~well_formed, f"{col.name} must be a {'whole ' if col.kind == 'integer' else ''}number",
                       "Remove text, spaces or thousands separators from the number."))
        if col.kind == "integer":
            checks.append((~_fits_64_bits(number), f"{col.name} is too large: a whole number must be below 2^63 "
                           "(about 9.2 x 10^18)", "Check the value at source: it may be two numbers run together."))
        if col.minimum is not None:
            rule = f"{col.name} must not be negative" if col.minimum == 0 else f"{col.name} must be at least {col.minimum:g}"
            checks.append(((number < col.minimum).fillna(False), rule, "Correct the value at source."))
        if col.maximum is not None:
            checks.append(((number > col.maximum).fillna(False), f"{col.name} must be at most {col.maximum:g}",
                           "Correct the value at source."))
    elif col.kind == "date":
        # ASCII digits only: Python's date parser also reads Arabic-Indic and full-width ones
        parsed = pd.to_datetime(text.where(text.str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fillna(False)),
                                format="%Y-%m-%d", errors="coerce")
        checks.append((parsed.isna(), f"{col.name} must be a date written YYYY-MM-DD",
                       "Write dates as ISO dates, e.g. 2025-01-31 (Excel often rewrites them as 31/01/2025)."))
        if not col.future_allowed:
            checks.append(((parsed > pd.Timestamp(date.today())).fillna(False), f"{col.name} is in the future",
                           "Check the date; data cannot describe days that have not happened."))
    elif col.kind == "month":
        well_formed = text.str.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])").fillna(False)
        checks.append((~well_formed, f"{col.name} must be a month written YYYY-MM",
                       "Write the month of the snapshot as YYYY-MM, e.g. 2025-01."))
        if not col.future_allowed:
            checks.append((well_formed & (text > date.today().strftime("%Y-%m")).fillna(False),
                           f"{col.name} is in the future", "Check the month; a snapshot cannot describe a month to come."))
    elif col.kind == "academic_year":
        checks.append((~_academic_year_ok(text), f"{col.name} must be written like 2024/25",
                       "Write the academic year as the start year, a slash and the next year's last two digits."))
    return [(np.asarray(mask, dtype=bool), rule, fix) for mask, rule, fix in checks]


def _factorize(frame: pd.DataFrame, column: str, cache: dict):
    """(codes, distinct values) of a column, computed once per validation run."""
    if column not in cache:
        cache[column] = codes_and_distinct(frame[column])
    return cache[column]


def _check_column(frame: pd.DataFrame, col: Column, dataset: str, cache: dict) -> list[pd.DataFrame]:
    values = frame[col.name]
    if pd.api.types.is_numeric_dtype(values.dtype) and col.kind in ("integer", "number"):
        # numbers (from Parquet): each rule is a comparison over the rows, quicker than finding the
        # distinct values first
        blank = values.isna().to_numpy()
        out = [] if col.nullable else [_rows(frame, blank, dataset, col.name, f"{col.name} must not be blank",
                                             "Fill in the value; every row needs one.")]
        for bad, rule, fix in _unique_checks(col, values.reset_index(drop=True)):
            if bad.any():
                out.append(_rows(frame, bad & ~blank, dataset, col.name, rule, fix))
        return out
    codes, uniques = _factorize(frame, col.name, cache)
    if pd.api.types.is_numeric_dtype(uniques.dtype):
        blank = codes < 0
    else:
        spaces = (uniques.astype("string").str.strip() == "").to_numpy(dtype=bool)    # empty, or only spaces
        blank = np.append(spaces, True)[codes] if spaces.any() else codes < 0    # code -1: missing
    out = []
    if not col.nullable:
        out.append(_rows(frame, blank, dataset, col.name, f"{col.name} must not be blank",
                         "Fill in the value; every row needs one."))
    for bad_unique, rule, fix in _unique_checks(col, uniques):
        if not bad_unique.any():
            continue
        bad_rows = np.zeros(len(codes), dtype=bool)
        valid_code = codes >= 0
        bad_rows[valid_code] = bad_unique[codes[valid_code]]
        out.append(_rows(frame, bad_rows & ~blank, dataset, col.name, rule, fix))
    return out


def _codes_and_sizes(frame: pd.DataFrame, columns: list[str], cache: dict) -> list[tuple[np.ndarray, int]]:
    """The columns' integer codes and numbers of distinct values (factorized once per validation run)."""
    return [(codes, len(uniques)) for codes, uniques in (_factorize(frame, column, cache) for column in columns)]


def _combination_numbers(frame: pd.DataFrame, columns: list[str], cache: dict) -> np.ndarray:
    """Each row's combination of ``columns`` as a number, in order of first appearance."""
    return combination_numbers(_codes_and_sizes(frame, columns, cache))


def _duplicated(frame: pd.DataFrame, columns: list[str], cache: dict) -> np.ndarray:
    """Rows whose key repeats an earlier row's."""
    return repeated_combinations(_codes_and_sizes(frame, columns, cache))


def _distinct_combinations(frame: pd.DataFrame, columns: list[str], cache: dict) -> tuple[np.ndarray, pd.DataFrame]:
    """(each row's combination number, the distinct combinations of ``columns`` as trimmed text,
    '' for blank): a rule across those columns is then worked out once per combination."""
    combination = _combination_numbers(frame, columns, cache)
    first_row = first_rows(combination)
    combinations = {}
    for column in columns:
        codes, uniques = _factorize(frame, column, cache)
        text = np.append(uniques.astype("string").fillna("").str.strip().to_numpy(dtype=object), "")
        combinations[column] = pd.Series(text[codes[first_row]], dtype="string")   # code -1 picks the ''
    return combination, pd.DataFrame(combinations, index=pd.RangeIndex(len(first_row)))


def check_dataset(spec: Dataset, raw: RawDataset, cache: dict | None = None) -> pd.DataFrame:
    """Every contract problem in one dataset, as a problem table (possibly empty)."""
    cache = {} if cache is None else cache
    parts = [pd.DataFrame(raw.problems, columns=PROBLEM_COLUMNS)]
    frame = raw.frame
    if frame.empty:
        return pd.concat(parts, ignore_index=True)
    present = set(frame.columns) - {FILE_COL, LINE_COL}
    known = set(spec.column_names)
    first_file = frame[FILE_COL].iloc[0]
    for col in spec.columns:
        if col.name not in present:
            if col.required:
                near = difflib.get_close_matches(col.name, sorted(present - known), n=1)
                hint = f" The file has '{near[0]}': is that it, misspelt?" if near else ""
                parts.append(pd.DataFrame([{
                    "dataset": spec.name, "file": first_file, "line": 1, "column": col.name, "value": "",
                    "rule": f"required column {col.name} is missing", "severity": "error",
                    "fix": f"Add the column {col.name} to the header.{hint}"}]))
            continue
        parts.extend(_check_column(frame, col, spec.name, cache))
    for extra in sorted(present - known):
        near = difflib.get_close_matches(extra, spec.column_names, n=1)
        parts.append(pd.DataFrame([{
            "dataset": spec.name, "file": first_file, "line": 1, "column": extra, "value": "",
            "rule": f"column {extra} is not in the data contract and is ignored",
            "fix": f"Did you mean {near[0]}? Rename it." if near else "Remove the column or ignore this warning.",
            "severity": "warning"}]))
    for check in spec.row_checks:
        try:
            if check.columns:
                combination, combinations = _distinct_combinations(frame, [c for c in check.columns if c in present],
                                                                   cache)
                bad = np.asarray(check.bad(combinations), dtype=bool)[combination]
            else:
                bad = np.asarray(check.bad(frame), dtype=bool)
        except KeyError:      # a column it needs is missing: reported above already
            continue
        parts.append(_rows(frame, bad, spec.name, check.column, check.rule, check.fix))
    if spec.key and set(spec.key) <= present:
        dup = _duplicated(frame, list(spec.key), cache)
        what = " and ".join(spec.key)
        parts.append(_rows(frame, dup, spec.name, spec.key[0],
                           f"duplicate row: the same {what} appears earlier in the dataset",
                           "Remove the repeated record, or correct the identifier if two records were merged."))
    return pd.concat([p for p in parts if not p.empty] or parts[:1], ignore_index=True)


def _typed_uniques(col: Column, uniques: pd.Series) -> pd.Series:
    text = uniques.astype("string").str.strip().replace("", pd.NA)
    if col.kind == "integer":
        return _whole(pd.to_numeric(text, errors="coerce"))
    if col.kind == "number":
        return pd.to_numeric(text, errors="coerce").astype("Float64")
    if col.kind == "date":
        return pd.Series(pd.to_datetime(text, format="%Y-%m-%d", errors="coerce"))
    return text.astype("string")


def _nullable(values: pd.Series, dtype: str) -> pd.Series:
    """Numbers read as numbers as pandas' nullable type: ``Float64``, or for ``Int`` the width
    :func:`_whole` gives. A column that already holds such numbers without gaps is wrapped, not
    copied (the reader has narrowed national attendance's counts: 110 MB a column)."""
    array = values.to_numpy()
    if dtype == "Int" and array.dtype.kind == "i" and array.dtype.itemsize * 8 == _integer_bits(array):
        return pd.Series(pd.arrays.IntegerArray(array, np.zeros(len(array), dtype=bool)), index=values.index, copy=False)
    if dtype == "Float64" and array.dtype == np.float64 and not np.isnan(array).any():
        return pd.Series(pd.arrays.FloatingArray(array, np.zeros(len(array), dtype=bool)), index=values.index,
                         copy=False)
    return _whole(values) if dtype == "Int" else values.astype(dtype)


def _integer_bits(numbers) -> int:
    """:func:`~edstats.contract.reader.integer_bits` of the numbers present (a Series or an array)."""
    numbers = pd.Series(numbers, copy=False)
    return integer_bits(numbers.min(), numbers.max())


def _fits_64_bits(numbers: pd.Series) -> np.ndarray:
    """True where a number is missing or small enough for a 64-bit whole number (a float compared:
    a number within about a thousand of the limit counts as too large). Signed integers up to 64
    bits always fit: no work over their rows."""
    numbers = pd.Series(numbers, copy=False)
    if pd.api.types.is_signed_integer_dtype(numbers.dtype) and numbers.dtype.itemsize <= 8:
        return np.ones(len(numbers), dtype=bool)
    return ~(numbers.astype(float).abs() >= 2.0 ** 63).to_numpy(dtype=bool)


def _whole(numbers: pd.Series) -> pd.Series:
    """Whole numbers as a nullable integer type as narrow as :func:`~edstats.contract.reader.integer_bits`
    allows (``Int16``, ``Int32`` or ``Int64``, the same whether they came as text or as numbers);
    one that is not whole, or too large for 64 bits (errors the checks report), becomes missing."""
    if pd.api.types.is_float_dtype(numbers.dtype):
        numbers = numbers.where(numbers % 1 == 0)
    fits = _fits_64_bits(numbers)
    if not fits.all():
        numbers = numbers.where(fits)
    return numbers.astype(f"Int{_integer_bits(numbers)}")


def to_typed(spec: Dataset, frame: pd.DataFrame, cache: dict | None = None) -> pd.DataFrame:
    """Convert the checked columns to their types (blank -> missing), converting each distinct value once."""
    cache = {} if cache is None else cache
    out = {}
    for col in spec.columns:
        if col.name not in frame:
            continue
        values = frame[col.name]
        if pd.api.types.is_numeric_dtype(values.dtype):
            out[col.name] = (_nullable(values, "Int" if col.kind == "integer" else "Float64")
                             if col.kind in ("integer", "number") else values.astype("string"))
            continue
        codes, uniques = _factorize(frame, col.name, cache)
        if col.kind not in ("integer", "number", "date"):
            text = uniques.astype("string")
            if not (text.str.strip() != text).any() and not (text == "").any():
                # already clean: no per-row work (Parquet text stays categorical)
                out[col.name] = values if isinstance(values.dtype, pd.CategoricalDtype) else values.astype("string")
                continue
        typed = _typed_uniques(col, uniques)
        if len(typed) == 0:   # every value blank
            typed = _typed_uniques(col, pd.Series([""]))
        taken = typed.take(np.where(codes >= 0, codes, 0)).reset_index(drop=True)
        taken[codes < 0] = pd.NA if col.kind != "date" else pd.NaT
        out[col.name] = taken.set_axis(frame.index)
    return pd.DataFrame(out, index=frame.index, copy=False)      # the columns as they are: no copy


def _used_values(values: pd.Series) -> pa.Array:
    """A column's distinct values present (not missing), as Arrow text: no Python object per row
    (5.4 million exclusion ids at national scale)."""
    codes, distinct = codes_and_distinct(values)
    present = np.bincount(codes[codes >= 0], minlength=len(distinct)) > 0 if len(codes) else np.zeros(len(distinct), bool)
    return arrow_text(distinct[present])


def _not_in(column: pd.Series, allowed: pa.Array) -> np.ndarray:
    """True where a cell holds a value (trimmed) that is not among ``allowed`` (see
    :func:`_used_values`): worked out once per distinct value (a column of 4 million rows holds a
    few hundred URNs). Blank cells are left to the column's own checks."""
    codes, distinct = codes_and_distinct(column)
    values = trimmed_text(distinct).fill_null("")
    known = pc.is_in(values, value_set=allowed).to_numpy(zero_copy_only=False)
    bad = np.append(pc.not_equal(values, "").to_numpy(zero_copy_only=False) & ~known, False)
    return bad[codes]          # code -1 (missing) picks the appended False


def _pairs_not_in(frame: pd.DataFrame, known: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """True where a row's pair of ``columns`` (trimmed) is not a pair of ``known``'s rows; rows
    missing either value are left to the columns' own checks. Worked out on the columns' distinct
    values and codes (:func:`edstats.grouping.matching_combinations`)."""
    present = np.ones(len(frame), dtype=bool)
    for column in columns:
        present &= codes_and_distinct(frame[column])[0] >= 0
    return present & (matching_combinations(frame, known, columns)[1] < 0)


def _urns_known(name: str):
    def check(frames: dict, raw: dict) -> list[pd.DataFrame]:
        if "schools" not in frames or "school_urn" not in raw[name].frame:
            return []
        urns = _used_values(frames["schools"]["school_urn"])
        return [_rows(raw[name].frame, _not_in(raw[name].frame["school_urn"], urns), name, "school_urn",
                      "school_urn is not in the schools dataset", "Add the school to schools/ or correct the URN.")]
    return check


def _provision_follows_exclusions(frames: dict, raw: dict) -> list[pd.DataFrame]:
    if "provision" not in raw or "exclusions" not in frames or "exclusion_id" not in raw["provision"].frame:
        return []
    p = raw["provision"].frame
    # the exclusions' ids that the provision's cite (trimmed): the ids looked for among thousands,
    # not among the 5.4 million of every exclusion nationally; the same ids are found
    exclusion_id = frames["exclusions"]["exclusion_id"]
    cited = ~_not_in(exclusion_id, pc.utf8_trim_whitespace(_used_values(p["exclusion_id"]))) & \
        exclusion_id.notna().to_numpy()
    ids = _used_values(exclusion_id[cited])
    parts = [_rows(p, _not_in(p["exclusion_id"], ids), "provision", "exclusion_id",
                   "exclusion_id is not in the exclusions dataset",
                   "Every placement must belong to a recorded exclusion; check the id.")]
    if "start_date" in p:
        exclusions = frames["exclusions"]         # only those with provision, each id once (a repeat is an error above)
        followed = ~_not_in(exclusions["exclusion_id"], _used_values(p["exclusion_id"])) & \
            exclusions["exclusion_id"].notna().to_numpy()
        start = exclusions.loc[followed].set_index(exclusions.loc[followed, "exclusion_id"].astype(str))["start_date"]
        start = start[~start.index.duplicated()]
        excluded_from = pd.to_datetime(p["exclusion_id"].astype("string").map(start), errors="coerce")
        begins = pd.to_datetime(p["start_date"].astype("string"), format="%Y-%m-%d", errors="coerce")
        parts.append(_rows(p, (begins < excluded_from).to_numpy(dtype=bool), "provision", "start_date",
                           "provision starts before the exclusion it follows",
                           "Check the provision's start date against the exclusion's start date."))
    return parts


def _results_for_known_pupils(frames: dict, raw: dict) -> list[pd.DataFrame]:
    if "ks4_results" not in raw or "ks4_pupils" not in frames or not {"upn", "academic_year"} <= set(raw["ks4_results"].frame):
        return []
    r = raw["ks4_results"].frame
    return [_rows(r, _pairs_not_in(r, frames["ks4_pupils"], ["upn", "academic_year"]), "ks4_results", "upn",
                  "result for a pupil who is not in ks4_pupils for that academic year",
                  "Add the pupil to ks4_pupils or correct the UPN or year.")]


def _dates_in_calendar(name: str):
    def check(frames: dict, raw: dict) -> list[pd.DataFrame]:
        if "calendar" not in frames or name not in raw or "start_date" not in raw[name].frame:
            return []
        dates = _used_values(pd.to_datetime(frames["calendar"]["date"]).dt.strftime("%Y-%m-%d"))
        return [_rows(raw[name].frame, _not_in(raw[name].frame["start_date"], dates), name, "start_date",
                      "start_date is not covered by the calendar dataset",
                      "Add that academic year to calendar/ so school days can be counted.")]
    return check


def _cross_checks(names: list[str]) -> list[tuple[set[str], object]]:
    """Checks between datasets, in the order their problems are reported, each with the datasets it
    reads: URNs in schools, provision for known exclusions (and not before them), KS4 results for
    known pupils, and a calendar that covers every date the exclusions and provision use. Each
    check is a function of (typed frames, raw rows) giving problem tables; it can run as soon as
    the datasets it reads are checked (:func:`validate_data`)."""
    return [({"schools", name}, _urns_known(name)) for name in names if name != "schools"] + [
        ({"provision", "exclusions"}, _provision_follows_exclusions),
        ({"ks4_results", "ks4_pupils"}, _results_for_known_pupils),
        ({"calendar", "exclusions"}, _dates_in_calendar("exclusions")),
        ({"calendar", "provision"}, _dates_in_calendar("provision")),
    ]


ON_INVALID_ROWS = ("stop", "quarantine")


def _read_and_check(data_dir: Path, name: str) -> tuple[RawDataset, pd.DataFrame, pd.DataFrame | None]:
    """One dataset read, checked and typed: (raw rows, problems, typed frame or None when empty)."""
    raw = read_dataset(data_dir / name, name)
    cache: dict = {}
    problems = check_dataset(DATASETS[name], raw, cache)
    return raw, problems, (None if raw.frame.empty else to_typed(DATASETS[name], raw.frame, cache))


def validate_data(data_dir: str | Path, on_invalid_rows: str = "stop", rejects_dir: str | Path | None = None,
                  workers: int | None = None) -> ValidatedData:
    """Read and check every dataset folder of ``data_dir``; never raises on bad rows.

    A missing dataset folder is not an error (its measures become 'x', not available). With
    ``on_invalid_rows="quarantine"``, rows that break a rule are set aside: written with their
    reasons to ``rejects_dir/<dataset>.csv`` and left out of the frames, and their problems are
    marked ``quarantined`` instead of ``error``. Problems with a whole file (unreadable, a missing
    column) cannot be quarantined and stay errors. ``workers`` datasets are read and checked at
    once, in threads (default: :func:`edstats.parallel.cores`); the result is the same for any number.
    """
    if on_invalid_rows not in ON_INVALID_ROWS:
        raise ValueError(f"on_invalid_rows must be one of {ON_INVALID_ROWS}")
    data_dir = Path(data_dir)
    raws: dict[str, RawDataset] = {}
    problems = [check_data_folder(data_dir)]
    sessions = None
    session_files = []
    names = [name for name in DATASETS if (data_dir / name).is_dir() and not (data_dir / name).is_symlink()
             and name != "attendance_sessions"]
    # The daily feed is read below, once the schools' URNs are known. The others are read and checked
    # in threads, the schools and calendar first (the checks between datasets need them), then the
    # most work first: reading Parquet and most column checks run in Arrow and numpy, which let other
    # threads run meanwhile, and the frames need no copying between processes. A check between
    # datasets starts as soon as the datasets it reads are checked, beside the others still running;
    # a dataset's work counts the other datasets it is checked against, so that a long check between
    # two (each KS4 result's pupil: 7 s nationally) does not start last, alone on one core.
    checks, present = _cross_checks(names), set(names)
    size = {n: sum(p.stat().st_size for p in (data_dir / n).iterdir() if p.is_file()) for n in names}
    first = ("schools", "calendar")
    work = {n: size[n] + sum(size.get(other, 0) for reads, _ in checks if n in reads for other in reads - {n}
                             if other not in first) for n in names}
    by_work = sorted(names, key=lambda n: (n not in first, -work[n]))
    checked, frames, cross = {}, {}, {}
    with ThreadPoolExecutor(max_workers=max(1, workers or cores())) as pool:
        pending = {pool.submit(_read_and_check, data_dir, name): name for name in by_work}
        while True:
            for i, (reads, check) in enumerate(checks):
                if i not in cross and reads & present <= checked.keys():
                    cross[i] = pool.submit(check, frames, raws)
            if not pending:
                break
            for future in wait(pending, return_when=FIRST_COMPLETED).done:
                name = pending.pop(future)
                checked[name] = future.result()
                raws[name], _, typed = checked[name]
                if typed is not None:
                    frames[name] = typed
        cross_problems = [part for i in range(len(checks)) for part in cross[i].result()]
    raws = {name: raws[name] for name in names}                         # in the contract's order, whatever
    frames = {name: frames[name] for name in names if name in frames}   # order they finished in
    for name in names:
        problems.append(checked[name][1])
    problems.extend(cross_problems)
    if (data_dir / "attendance_sessions").is_dir():
        urns = set(frames["schools"]["school_urn"].dropna()) if "schools" in frames else None
        sessions, session_files, feed_problems = read_sessions(data_dir / "attendance_sessions", urns)
        problems.append(pd.DataFrame(feed_problems, columns=PROBLEM_COLUMNS))
    table = pd.concat([p for p in problems if not p.empty], ignore_index=True) if any(
        not p.empty for p in problems) else pd.DataFrame(columns=PROBLEM_COLUMNS)
    counts = {name: {"read": len(rd.frame) + len(rd.unread_lines), "accepted": len(rd.frame),
                     "rejected": len(rd.unread_lines)} for name, rd in raws.items()}
    if session_files:
        n = sum(f.rows for f in session_files)
        counts["attendance_sessions"] = {"read": n, "accepted": n, "rejected": 0}
    if on_invalid_rows == "quarantine":
        table = _quarantine(table, raws, frames, counts, Path(rejects_dir or data_dir.parent / "processed" / "rejects"))
    return ValidatedData(
        frames=frames,
        problems=table[PROBLEM_COLUMNS],
        row_counts=counts,
        files={name: rd.files for name, rd in raws.items()} | ({"attendance_sessions": session_files}
                                                                 if session_files else {}),
        synthetic=(data_dir / SYNTHETIC_MARKER).exists(),
        sessions=sessions,
    )


def _quarantine(table: pd.DataFrame, raws: dict, frames: dict, counts: dict, rejects_dir: Path) -> pd.DataFrame:
    """Set aside every row with a row-level error; returns the problem table with those marked."""
    line = pd.to_numeric(table["line"], errors="coerce")
    row_level = (table["severity"] == "error") & (line > 1) & table["dataset"].isin(list(raws))
    table = table.copy()
    table.loc[row_level, "severity"] = "quarantined"
    for name, rd in raws.items():
        mine = table[row_level & (table["dataset"] == name)]
        if mine.empty:
            continue
        reasons = (mine.assign(line=line[mine.index].astype(int))
                   .groupby(["file", "line"])["rule"].agg(lambda r: "; ".join(dict.fromkeys(r))))
        if rd.frame.empty:           # every row of the dataset was one that could not be split
            rd = RawDataset(rd.name, pd.DataFrame({FILE_COL: pd.Series(dtype=str), LINE_COL: pd.Series(dtype=int)}),
                            unread_lines=rd.unread_lines)
        keys = pd.MultiIndex.from_arrays([rd.frame[FILE_COL].astype(str), rd.frame[LINE_COL].astype(int)])
        rejected = keys.isin(reasons.index)
        out = rd.frame.loc[rejected].drop(columns=[FILE_COL, LINE_COL])
        out.insert(0, "reason", reasons.reindex(keys[rejected]).to_numpy())
        out.insert(0, "line", rd.frame.loc[rejected, LINE_COL].to_numpy())
        out.insert(0, "file", rd.frame.loc[rejected, FILE_COL].astype(str).to_numpy())
        unread = pd.DataFrame(rd.unread_lines, columns=["file", "line"])   # rows that could not be split
        unread["reason"] = [reasons.get(key, "") for key in rd.unread_lines]
        out = pd.concat([out, unread], ignore_index=True).sort_values(["file", "line"], kind="stable")
        rejects_dir.mkdir(parents=True, exist_ok=True)
        write_csv(out, rejects_dir / f"{name}.csv")
        if name in frames:
            frames[name] = frames[name].loc[~rejected]
        counts[name]["rejected"] = int(rejected.sum()) + len(rd.unread_lines)
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
