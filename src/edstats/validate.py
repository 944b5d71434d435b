"""Check raw data against the contract and turn it into typed frames.

Every rule runs on every row (lazily: nothing stops at the first problem), and each problem is
one row of a table: dataset, file, line, column, value, rule, fix, severity.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from .contract import DATASETS, Column, Dataset, RawDataset, read_dataset
from .contract.identifiers import valid_upn_mask
from .contract.reader import FILE_COL, LINE_COL, InputFile
from .contract.sessions import check_sessions, read_sessions

PROBLEM_COLUMNS = ["dataset", "file", "line", "column", "value", "rule", "fix", "severity"]
SYNTHETIC_MARKER = "SYNTHETIC.md"


@dataclass
class ValidatedData:
    """Typed frames by dataset name, every problem found, and the files read."""

    frames: dict[str, pd.DataFrame]
    problems: pd.DataFrame
    files: dict[str, list[InputFile]] = field(default_factory=dict)
    synthetic: bool = False
    sessions: object = None   # the daily feed as a pyarrow Table, when present

    @property
    def errors(self) -> pd.DataFrame:
        return self.problems[self.problems["severity"] == "error"]

    @property
    def is_valid(self) -> bool:
        return self.errors.empty


def _rows(frame: pd.DataFrame, mask: pd.Series, dataset: str, column: str, rule: str, fix: str) -> pd.DataFrame:
    bad = frame.loc[mask]
    return pd.DataFrame({
        "dataset": dataset, "file": bad[FILE_COL].astype(str), "line": bad[LINE_COL],
        "column": column, "value": bad[column].astype(str) if column in bad else "",
        "rule": rule, "fix": fix, "severity": "error",
    })


def _academic_year_mask(values: pd.Series) -> pd.Series:
    parts = values.str.extract(r"^(\d{4})/(\d{2})$")
    ok = parts[0].notna()
    start = pd.to_numeric(parts[0], errors="coerce")
    end = pd.to_numeric(parts[1], errors="coerce")
    return ok & (((start + 1) % 100) == end)


def _check_column(frame: pd.DataFrame, col: Column, dataset: str) -> list[pd.DataFrame]:
    values = frame[col.name].astype(str).str.strip()
    blank = values == ""
    out = []
    if not col.nullable:
        out.append(_rows(frame, blank, dataset, col.name, f"{col.name} must not be blank",
                         "Fill in the value; every row needs one."))
    present = ~blank
    if col.kind == "code":
        bad = present & ~values.isin(col.codes)
        out.append(_rows(frame, bad, dataset, col.name,
                         f"{col.name} must be one of {', '.join(col.codes)}",
                         "Recode the value to the contract's code list (docs/data.md)."))
    elif col.kind == "upn":
        bad = present & ~valid_upn_mask(values)
        out.append(_rows(frame, bad, dataset, col.name,
                         "UPN must be 13 characters with a valid DfE check letter",
                         "Check the UPN against the school's record; a mistyped digit changes the check letter."))
    elif col.kind == "urn":
        bad = present & ~values.str.fullmatch(r"\d{6}")
        out.append(_rows(frame, bad, dataset, col.name, f"{col.name} must be a 6-digit URN",
                         "Use the school's 6-digit unique reference number."))
    elif col.kind in ("integer", "number"):
        pattern = r"-?\d+" if col.kind == "integer" else r"-?\d+(\.\d+)?"
        well_formed = values.str.fullmatch(pattern)
        out.append(_rows(frame, present & ~well_formed, dataset, col.name,
                         f"{col.name} must be a {'whole ' if col.kind == 'integer' else ''}number",
                         "Remove text, spaces or thousands separators from the number."))
        number = pd.to_numeric(values.where(present & well_formed), errors="coerce")
        if col.minimum is not None:
            below = number < col.minimum
            rule = (f"{col.name} must not be negative" if col.minimum == 0
                    else f"{col.name} must be at least {col.minimum:g}")
            out.append(_rows(frame, below, dataset, col.name, rule, "Correct the value at source."))
        if col.maximum is not None:
            out.append(_rows(frame, number > col.maximum, dataset, col.name,
                             f"{col.name} must be at most {col.maximum:g}", "Correct the value at source."))
    elif col.kind == "date":
        parsed = pd.to_datetime(values.where(present), format="%Y-%m-%d", errors="coerce")
        out.append(_rows(frame, present & parsed.isna(), dataset, col.name,
                         f"{col.name} must be a date written YYYY-MM-DD",
                         "Write dates as ISO dates, e.g. 2025-01-31 (Excel often rewrites them as 31/01/2025)."))
        if not col.future_allowed:
            future = parsed > pd.Timestamp(date.today())
            out.append(_rows(frame, future, dataset, col.name, f"{col.name} is in the future",
                             "Check the date; data cannot describe days that have not happened."))
    elif col.kind == "month":
        bad = present & ~values.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])")
        out.append(_rows(frame, bad, dataset, col.name, f"{col.name} must be a month written YYYY-MM",
                         "Write the month of the snapshot as YYYY-MM, e.g. 2025-01."))
    elif col.kind == "academic_year":
        out.append(_rows(frame, present & ~_academic_year_mask(values), dataset, col.name,
                         f"{col.name} must be written like 2024/25",
                         "Write the academic year as the start year, a slash and the next year's last two digits."))
    return out


def check_dataset(spec: Dataset, raw: RawDataset) -> pd.DataFrame:
    """Every contract problem in one dataset, as a problem table (possibly empty)."""
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
        parts.extend(_check_column(frame, col, spec.name))
    for extra in sorted(present - known):
        near = difflib.get_close_matches(extra, spec.column_names, n=1)
        parts.append(pd.DataFrame([{
            "dataset": spec.name, "file": first_file, "line": 1, "column": extra, "value": "",
            "rule": f"column {extra} is not in the data contract and is ignored",
            "fix": f"Did you mean {near[0]}? Rename it." if near else "Remove the column or ignore this warning.",
            "severity": "warning"}]))
    if spec.key and set(spec.key) <= present:
        dup = frame.duplicated(list(spec.key), keep="first")
        what = " and ".join(spec.key)
        parts.append(_rows(frame, dup, spec.name, spec.key[0],
                           f"duplicate row: the same {what} appears earlier in the dataset",
                           "Remove the repeated record, or correct the identifier if two records were merged."))
    return pd.concat([p for p in parts if not p.empty] or parts[:1], ignore_index=True)


def to_typed(spec: Dataset, frame: pd.DataFrame) -> pd.DataFrame:
    """Convert the checked text columns to their types (blank -> missing)."""
    out = pd.DataFrame(index=frame.index)
    for col in spec.columns:
        if col.name not in frame:
            continue
        values = frame[col.name].astype(str).str.strip().replace("", pd.NA)
        if col.kind == "integer":
            out[col.name] = pd.to_numeric(values, errors="coerce").astype("Int64")
        elif col.kind == "number":
            out[col.name] = pd.to_numeric(values, errors="coerce").astype("Float64")
        elif col.kind == "date":
            out[col.name] = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
        else:
            out[col.name] = values.astype("string")
    return out


def _cross_file(frames: dict[str, pd.DataFrame], raw: dict[str, RawDataset]) -> list[pd.DataFrame]:
    parts = []
    if "schools" in frames:
        urns = set(frames["schools"]["school_urn"].dropna())
        for name, rd in raw.items():
            if name == "schools" or "school_urn" not in rd.frame:
                continue
            vals = rd.frame["school_urn"].astype(str).str.strip()
            bad = (vals != "") & ~vals.isin(urns)
            parts.append(_rows(rd.frame, bad, name, "school_urn", "school_urn is not in the schools dataset",
                               "Add the school to schools/ or correct the URN."))
    return parts


def validate_data(data_dir: str | Path) -> ValidatedData:
    """Read and check every dataset folder of ``data_dir``; never raises on bad rows.

    A missing dataset folder is not an error (its measures become 'x', not available).
    """
    data_dir = Path(data_dir)
    raws: dict[str, RawDataset] = {}
    problems = []
    sessions = None
    session_files = []
    for name, spec in DATASETS.items():
        folder = data_dir / name
        if not folder.is_dir():
            continue
        if name == "attendance_sessions":
            sessions, session_files, file_problems = read_sessions(folder)
            problems.append(pd.DataFrame(file_problems, columns=PROBLEM_COLUMNS))
            continue
        raws[name] = read_dataset(folder, name)
        problems.append(check_dataset(spec, raws[name]))
    frames = {name: to_typed(DATASETS[name], rd.frame) for name, rd in raws.items() if not rd.frame.empty}
    problems.extend(_cross_file(frames, raws))
    if sessions is not None:
        urns = set(frames["schools"]["school_urn"].dropna()) if "schools" in frames else None
        problems.append(pd.DataFrame(check_sessions(sessions, session_files, urns), columns=PROBLEM_COLUMNS))
    table = pd.concat([p for p in problems if not p.empty], ignore_index=True) if any(
        not p.empty for p in problems) else pd.DataFrame(columns=PROBLEM_COLUMNS)
    return ValidatedData(
        frames=frames,
        problems=table[PROBLEM_COLUMNS],
        files={name: rd.files for name, rd in raws.items()} | ({"attendance_sessions": session_files}
                                                                 if session_files else {}),
        synthetic=(data_dir / SYNTHETIC_MARKER).exists(),
        sessions=sessions,
    )


def summarise_problems(problems: pd.DataFrame, limit: int = 20) -> str:
    """Plain-English summary: counts by dataset and rule, then the first few cells at fault."""
    if problems.empty:
        return "No problems found."
    lines = []
    errors = problems[problems["severity"] == "error"]
    warnings = problems[problems["severity"] == "warning"]
    lines.append(f"{len(errors)} error(s) and {len(warnings)} warning(s).")
    grouped = problems.groupby(["severity", "dataset", "column", "rule"], sort=False).size()
    for (severity, dataset, column, rule), n in grouped.items():
        lines.append(f"  [{severity}] {dataset}: {rule} — {n} row(s)")
    lines.append("First rows at fault:")
    for row in problems.head(limit).itertuples():
        lines.append(f"  {row.file} line {row.line}, column {row.column or '-'}, value {row.value!r}: "
                     f"{row.rule}. {row.fix}")
    return "\n".join(lines)
