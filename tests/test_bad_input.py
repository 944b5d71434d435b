"""Bad input: a catalogue of broken fixtures, one per problem, each named after what it breaks.

Each fixture is the small synthetic LA with one thing broken. ``edstats report`` must exit 2 with
a message naming the file, line and column, and write no report. Also: quarantine reconciliation
(read = accepted + rejected) and personal values masked in every problem report.
"""

import json
import re
import shutil
from pathlib import Path
import subprocess
import sys

import pandas as pd
import pytest

from edstats.runs import prepare_run
from edstats.settings import Settings
from edstats.validate import validate_data

KEEP = ("schools", "calendar", "eyfsp", "ks2", "ks4_pupils", "ks4_results", "attendance", "exclusions", "provision")


@pytest.fixture
def data(small_data, tmp_path):
    """A copy of the small synthetic LA (without the large daily feed and CCIS, to keep it quick)."""
    target = tmp_path / "raw"
    target.mkdir()
    for name in KEEP:
        shutil.copytree(small_data / name, target / name)
    return target


def eyfsp_file(data):
    return sorted((data / "eyfsp").glob("*.csv"))[-1]


def rewrite(path, change):
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(frame)
    frame.to_csv(path, index=False)


def set_cell(path, column, value, row=0):
    def change(frame):
        frame.loc[row, column] = value
    rewrite(path, change)


def set_where(data, dataset, column, value, nth=0, where=None):
    """Set ``column`` to ``value`` in the ``nth`` row of the dataset's last CSV file where ``where``
    holds (default: where the column is filled); returns (file, line, column)."""
    path = sorted((data / dataset).glob("*.csv"))[-1]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = int(frame.index[where(frame) if where else frame[column] != ""][nth])
    set_cell(path, column, value, row=row)
    return path, row + 2, column


# -- the breakers: each returns (file, line, column) the message must name ----------------------------------

def break_empty_file(data):
    path = data / "eyfsp" / "eyfsp_extra.csv"
    path.write_bytes(b"")
    return path, None, None


def break_header_only_file(data):
    path = data / "eyfsp" / "eyfsp_extra.csv"
    path.write_text(eyfsp_file(data).read_text().splitlines()[0] + "\n")
    return path, 1, None


def break_wrong_delimiter(data):
    path = eyfsp_file(data)
    path.write_text(path.read_text().replace(",", ";"))
    return path, 1, None


def break_windows_1252(data):
    path = data / "schools" / "schools.csv"
    text = path.read_text().splitlines()
    text[3] = text[3].replace("School", "École", 1)
    path.write_bytes(("\n".join(text) + "\n").encode("cp1252"))
    return path, 4, None


def break_excel_file_in_dataset_folder(data):
    path = data / "eyfsp" / "GLD working.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    return path, None, None


def break_missing_column(data):
    path = eyfsp_file(data)
    rewrite(path, lambda f: f.__delitem__("elg05"))
    return path, 1, "elg05"


def break_misspelt_column(data):
    path = eyfsp_file(data)
    rewrite(path, lambda f: setattr(f, "columns", [c if c != "school_urn" else "school_urm" for c in f.columns]))
    return path, 1, "school_urn"


def break_unknown_code(data):
    path = eyfsp_file(data)
    set_cell(path, "sex", "X", row=4)
    return path, 6, "sex"


def break_scaled_score_121(data):
    return set_where(data, "ks2", "read_ss", "121")


def break_scaled_score_79(data):
    return set_where(data, "ks2", "mat_ss", "79", nth=1)


def break_grade_10(data):
    return set_where(data, "ks4_results", "grade", "10", where=lambda f: f["a8_category"] == "MATHS")


def break_na_in_a_coded_column(data):
    """'N/A' and 'NULL' were read as blank (pandas' missing-value words), so a code column passed."""
    path = eyfsp_file(data)
    set_cell(path, "sex", "N/A", row=4)
    set_cell(path, "fsm", "NULL", row=5)
    return path, 6, "sex"


def break_na_in_a_scaled_score(data):
    """It was reported against read_code with the value nan."""
    return set_where(data, "ks2", "read_ss", "N/A")


def break_combined_science_9_1(data):
    return set_where(data, "ks4_results", "grade", "9-1", where=lambda f: f["a8_category"] == "SCI_COMBINED")


def break_arabic_indic_digits(data):
    """'١٠٥' passed as a number and then dropped out of the averages."""
    return set_where(data, "ks2", "mat_ss", "١٠٥", nth=2)


def break_full_width_digits_in_a_date(data):
    path = sorted((data / "exclusions").glob("*.csv"))[-1]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    set_cell(path, "start_date", frame.loc[3, "start_date"].translate(str.maketrans("0123456789", "０１２３４５６７８９")),
             row=3)
    return path, 5, "start_date"


def _attendance(data, column, value):
    path = sorted((data / "attendance").glob("*.parquet"))[-1]
    frame = pd.read_parquet(path)
    frame.loc[7, column] = value
    frame.to_parquet(path, index=False)
    return path, 9, column


def break_absence_over_possible_sessions(data):
    path = sorted((data / "attendance").glob("*.parquet"))[-1]
    frame = pd.read_parquet(path)
    frame.loc[7, "authorised_absence"] = frame.loc[7, "possible_sessions"] + 1
    frame.to_parquet(path, index=False)
    return path, 9, "authorised_absence"


def break_attendance_without_a_session_count(data):
    """A column that a rule across columns reads is missing: reported once, as a missing column."""
    paths = sorted((data / "attendance").glob("*.parquet"))
    for path in paths:
        pd.read_parquet(path).drop(columns=["authorised_absence"]).to_parquet(path, index=False)
    return paths[0], 1, "authorised_absence"


def break_fraction_of_a_session_in_parquet(data):
    path = sorted((data / "attendance").glob("*.parquet"))[-1]
    frame = pd.read_parquet(path)
    frame["authorised_absence"] = frame["authorised_absence"].astype(float)      # as some exports store counts
    frame.loc[7, "authorised_absence"] = 2.5
    frame.to_parquet(path, index=False)
    return path, 9, "authorised_absence"


def break_negative_count(data):
    return _attendance(data, "unauthorised_absence", -1)


def break_date_outside_academic_year(data):
    path = eyfsp_file(data)
    set_cell(path, "date_of_birth", "2012-03-01", row=2)
    return path, 4, "date_of_birth"


def break_future_date(data):
    path = sorted((data / "exclusions").glob("*.csv"))[-1]
    set_cell(path, "start_date", "2099-01-15", row=0)
    return path, 2, "start_date"


def break_repeated_exclusion_with_provision(data):
    """An exclusion recorded twice, with a placement after it: reported as a duplicate, and the
    check of the placement's start against the exclusion's takes the first record."""
    provision = pd.concat([pd.read_csv(p, dtype=str) for p in sorted((data / "provision").glob("*.csv"))])
    path = sorted((data / "exclusions").glob("*.csv"))[-1]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = int(frame.index[frame["exclusion_id"].isin(set(provision["exclusion_id"]))][0])
    rewrite(path, lambda f: f.loc.__setitem__(len(f), f.iloc[row]))
    return path, len(frame) + 2, "exclusion_id"


def break_duplicate_pupils(data):
    path = eyfsp_file(data)
    rewrite(path, lambda f: f.loc.__setitem__(len(f), f.iloc[3]))
    rows = len(pd.read_csv(path))
    return path, rows + 1, "upn"


def break_upn_check_letter(data):
    path = eyfsp_file(data)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    upn = frame.loc[5, "upn"]
    set_cell(path, "upn", ("B" if upn[0] != "B" else "C") + upn[1:], row=5)
    return path, 7, "upn"


def break_two_files_with_different_columns(data):
    path = data / "eyfsp" / "eyfsp_zextra.csv"
    frame = pd.read_csv(eyfsp_file(data), dtype=str, keep_default_na=False).head(3).drop(columns=["fsm"])
    frame.to_csv(path, index=False)
    return path, 1, None


def _edit_line(path, number, change):
    lines = path.read_bytes().split(b"\n")
    lines[number - 1] = change(lines[number - 1])
    path.write_bytes(b"\n".join(lines))


def break_row_with_an_extra_field(data):
    """pyarrow's own message quoted the whole row: a UPN and a date of birth, and no line."""
    path = eyfsp_file(data)
    _edit_line(path, 5, lambda line: line + b",surplus")
    return path, 5, None


def break_row_with_a_missing_field(data):
    path = sorted((data / "ks2").glob("*.csv"))[-1]
    _edit_line(path, 9, lambda line: line.rsplit(b",", 1)[0])
    return path, 9, None


def break_quote_never_closed(data):
    path = eyfsp_file(data)
    _edit_line(path, 7, lambda line: line.replace(b",", b',"', 1))
    return path, 7, None


def break_nul_byte(data):
    path = eyfsp_file(data)
    _edit_line(path, 4, lambda line: line[:5] + b"\x00" + line[5:])
    return path, 4, None


BREAKERS = {name[len("break_"):]: fn for name, fn in list(globals().items()) if name.startswith("break_")}


def edstats(*args):
    return subprocess.run([sys.executable, "-m", "edstats", *args], capture_output=True, text=True)


@pytest.mark.parametrize("name", sorted(BREAKERS))
def test_broken_input_stops_with_a_clear_message_and_no_report(name, data, tmp_path):
    path, line, column = BREAKERS[name](data)
    out = tmp_path / "reports"
    result = edstats("report", "--data", str(data), "--out", str(out), "--period", "2026-01",
                     "--cache", str(tmp_path / "cache"), "--build", str(tmp_path / "build"))
    message = result.stderr
    assert result.returncode == 2, message[-2000:]
    assert "Traceback" not in message
    assert_no_identifier(message, data)
    assert path.name in message
    if line is not None:
        assert f"line {line}" in message
    if column is not None:
        assert f"column {column}" in message
    assert not out.exists() or not any(out.iterdir()), "no report may be written"


def input_identifiers(data) -> set[str]:
    """Every UPN (anything shaped like one) and date of birth in the data folder's CSV files."""
    found = set()
    for path in data.glob("*/*.csv"):
        raw = path.read_bytes().replace(b"\x00", b"")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "cp1252")
        found |= set(re.findall(r"\b[A-Z][0-9]{11}[0-9A-Z]\b", text))
        lines = text.splitlines()
        header = [name.strip().lower() for name in lines[0].lstrip("\ufeff").split(",")] if lines else []
        if "date_of_birth" in header:
            at = header.index("date_of_birth")
            found |= {cells[at].strip() for cells in (line.split(",") for line in lines[1:]) if len(cells) > at
                      and re.fullmatch(r"(19|20)\d\d-\d\d-\d\d", cells[at].strip())}
    return found


def assert_no_identifier(text: str, data) -> None:
    leaked = [value for value in input_identifiers(data) if value in text]
    assert not leaked, f"a message shows pupils' identifiers, e.g. {leaked[:3]}"


@pytest.mark.parametrize("name", sorted(BREAKERS))
def test_validation_reports_of_broken_input_hold_no_identifier(name, data, tmp_path):
    """What ``validate`` prints and writes to problems.csv, for every broken fixture: no whole UPN
    or date of birth of the inputs."""
    BREAKERS[name](data)
    report = tmp_path / "problems.csv"
    result = edstats("validate", "--data", str(data), "--report", str(report))
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert_no_identifier(result.stdout + result.stderr, data)
    assert_no_identifier(report.read_text(encoding="utf-8"), data)


@pytest.mark.parametrize("breaker, lines", [("row_with_an_extra_field", [5]), ("quote_never_closed", [7]),
                                            ("nul_byte", [4])])
def test_a_malformed_row_is_named_by_line_and_every_other_row_is_read(breaker, lines, data):
    """The row that cannot be read is a problem on its own line; the rows after it keep their own
    line numbers (a quote never closed takes the rest of the file, and says so)."""
    path = eyfsp_file(data)
    before = len(pd.read_csv(path, dtype=str))
    BREAKERS[f"{breaker}"](data)
    result = validate_data(data)
    mine = result.errors[result.errors["file"] == str(path)]
    assert sorted(pd.to_numeric(mine["line"]).unique().tolist()) == lines
    frame = result.frame("eyfsp")
    assert result.row_counts["eyfsp"]["read"] == len(frame) + (breaker != "nul_byte")
    if breaker == "row_with_an_extra_field":
        assert "the row has" in mine["rule"].iloc[0] and mine["value"].iloc[0] == ""
        rows = pd.read_csv(path, dtype=str, skiprows=[4], on_bad_lines="skip")
        assert len(rows) == before - 1
    if breaker == "quote_never_closed":
        assert f"runs on to line {before + 1}" in mine["rule"].iloc[0]


def test_a_malformed_row_is_set_aside_and_counted_when_quarantining(data, tmp_path):
    break_row_with_an_extra_field(data)
    run = prepare_run(data, Settings(), on_invalid_rows="quarantine", rejects_dir=tmp_path / "rejects")
    counts = run.row_counts["eyfsp"]
    assert counts["rejected"] == 1 and counts["read"] == counts["accepted"] + 1
    rejects = pd.read_csv(tmp_path / "rejects" / "eyfsp.csv", dtype=str)
    assert rejects["line"].tolist() == ["5"] and "the row has" in rejects["reason"].iloc[0]


def test_utf16_is_named_as_utf16(data):
    path = data / "schools" / "schools.csv"
    path.write_bytes(path.read_text().encode("utf-16"))
    problems = validate_data(data).errors
    rule = problems.loc[problems["file"] == str(path), "rule"].iloc[0]
    assert "UTF-16" in rule and "Windows-1252" not in rule


def test_a_month_to_come_in_ccis_is_an_error(small_data, tmp_path):
    data = tmp_path / "raw"
    shutil.copytree(small_data, data, ignore=shutil.ignore_patterns("attendance_sessions"))
    path = sorted((data / "ccis").glob("*.parquet"))[-1]
    frame = pd.read_parquet(path)
    frame["month"] = frame["month"].astype(str)
    frame.loc[2, "month"] = "2099-01"
    frame.to_parquet(path, index=False)
    problems = validate_data(data).errors
    future = problems[problems["rule"] == "month is in the future"]
    assert future["line"].tolist() == [4] and future["value"].tolist() == ["2099-01"]


@pytest.mark.parametrize("grade, valid", [("9-9", True), ("9-8", True), ("5-4", True), ("1-1", True), ("9-1", False),
                                          ("8-9", False), ("6-4", False), ("U", True), ("4", False)])
def test_combined_science_takes_two_grades_the_same_or_one_apart(grade, valid):
    from edstats.contract import DATASETS, RawDataset
    from edstats.contract.reader import FILE_COL, LINE_COL
    from edstats.validate import check_dataset

    frame = pd.DataFrame({"upn": ["A1"], "academic_year": ["2024/25"], "qualification": ["GCSE"], "subject": ["Sci"],
                          "a8_category": ["SCI_COMBINED"], "grade": [grade], "points": [None], FILE_COL: "r.csv",
                          LINE_COL: [2]})
    problems = check_dataset(DATASETS["ks4_results"], RawDataset("ks4_results", frame))
    assert (problems["column"] == "grade").any() != valid


def test_column_names_are_read_without_regard_to_case(data):
    """'UPN' for 'upn' gave 662 errors (a missing column, every row blank, duplicates, results
    for unknown pupils); it is the same column."""
    path = sorted((data / "ks4_pupils").glob("*.csv"))[-1]
    rewrite(path, lambda f: setattr(f, "columns", [c.upper() if c == "upn" else c for c in f.columns]))
    result = validate_data(data)
    assert result.is_valid, result.errors.head().to_string()


def test_a_meeting_month_far_past_the_data_is_refused(data, tmp_path):
    result = edstats("measures", "--data", str(data), "--out", str(tmp_path / "m.csv"), "--period", "2099-01",
                     "--cache", "")
    assert result.returncode == 2 and "2099-01 is more than 12 months after" in result.stderr


def test_cells_a_spreadsheet_would_run_are_written_as_text(data, tmp_path):
    """A ward named like a formula: measures.csv and problems.csv hold it with an apostrophe
    first (and negative numbers as numbers)."""
    formula = '=HYPERLINK("http://example.invalid","x")'
    for path in (data / "eyfsp").glob("*.csv"):
        rewrite(path, lambda f: f.__setitem__("home_ward", f["home_ward"].where(f.index % 2 == 0, formula)))
    out = tmp_path / "m.csv"
    assert edstats("measures", "--data", str(data), "--out", str(out), "--cache", "").returncode == 0
    published = pd.read_csv(out, dtype=str, keep_default_na=False)
    wards = set(published.loc[published["breakdown_topic"] == "Ward", "breakdown"])
    assert "'" + formula in wards and formula not in wards
    assert not published["breakdown"].str.startswith(("=", "+", "@")).any()
    set_cell(eyfsp_file(data), "sex", "=1+1", row=2)
    report = tmp_path / "problems.csv"
    edstats("validate", "--data", str(data), "--report", str(report))
    values = pd.read_csv(report, dtype=str, keep_default_na=False)["value"]
    assert "'=1+1" in set(values) and "=1+1" not in set(values)


def test_numbers_stay_numbers_and_formulas_become_text_in_csv_files(tmp_path):
    from edstats.csv_output import write_csv

    write_csv(pd.DataFrame({"text": ["-0.11", "+3", "=SUM(A1)", "@x", "-", "\t=1", "Ward"], "n": range(7)}),
              tmp_path / "t.csv")
    back = pd.read_csv(tmp_path / "t.csv", dtype=str, keep_default_na=False)["text"].tolist()
    assert back == ["-0.11", "+3", "'=SUM(A1)", "'@x", "'-", "'\t=1", "Ward"]


def test_a_bom_is_tolerated(data):
    path = eyfsp_file(data)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = validate_data(data)
    assert result.is_valid, result.errors.head().to_string()
    assert "upn" in result.frame("eyfsp").columns


def test_every_problem_is_reported_at_once(data):
    break_unknown_code(data)
    break_grade_10(data)
    break_negative_count(data)
    problems = validate_data(data).errors
    assert {"sex", "grade", "unauthorised_absence"} <= set(problems["column"])


def test_personal_values_are_masked_in_problem_reports(data, tmp_path):
    path, _, _ = break_upn_check_letter(data)
    bad = pd.read_csv(path, dtype=str).loc[5, "upn"]
    result = edstats("validate", "--data", str(data), "--report", str(tmp_path / "problems.csv"))
    assert result.returncode == 2
    assert bad not in result.stdout and bad not in (tmp_path / "problems.csv").read_text()
    assert bad[:3] in (tmp_path / "problems.csv").read_text()


def test_quarantine_sets_rows_aside_and_reconciles(data, tmp_path):
    break_unknown_code(data)
    break_upn_check_letter(data)
    break_grade_10(data)
    rejects = tmp_path / "rejects"
    with pytest.raises(Exception):
        prepare_run(data, Settings())          # the default still stops
    run = prepare_run(data, Settings(), on_invalid_rows="quarantine", rejects_dir=rejects)
    counts = run.row_counts
    for name, c in counts.items():
        assert c["read"] == c["accepted"] + c["rejected"], name
    assert counts["eyfsp"]["rejected"] == 2
    assert counts["ks4_results"]["rejected"] == 1
    eyfsp_rejects = pd.read_csv(rejects / "eyfsp.csv", dtype=str)
    assert len(eyfsp_rejects) == 2 and set(eyfsp_rejects["line"]) == {"6", "7"}
    assert eyfsp_rejects["reason"].str.contains("sex must be one of").any()
    read = sum(len(pd.read_csv(p)) for p in (data / "eyfsp").glob("*.csv"))
    gld_total = run.results[(run.results["measure_id"] == "eyfs_gld_pct") & (run.results["breakdown_topic"] == "Total")]
    assert gld_total["denominator"].sum() <= read - 2


def test_quarantined_report_says_how_many_rows_were_left_out(data, tmp_path, repo_root):
    break_unknown_code(data)
    out = tmp_path / "reports"
    result = edstats("report", "--data", str(data), "--out", str(out), "--period", "2026-01", "--audience", "council",
                     "--format", "html", "--on-invalid-rows", "quarantine", "--cache", str(tmp_path / "cache"),
                     "--build", str(tmp_path / "build"), "--notebooks", str(repo_root / "notebooks"))
    assert result.returncode == 0, result.stderr[-2000:]
    manifest = json.loads((out / "2026-01" / "manifest.json").read_text())
    assert manifest["rows"]["eyfsp"]["rejected"] == 1
    assert manifest["parameters"]["on_invalid_rows"] == "quarantine"
    html = (out / "2026-01" / "council.html").read_text()
    assert "failed validation and were left out" in html
    assert "eyfsp: 1 of" in html


def test_checks_between_datasets_name_every_row_at_fault(data):
    """A URN no school has, a KS4 result for a pupil not in ks4_pupils, provision for an unknown
    exclusion or starting before it, an exclusion on a day the calendar lacks: each is one problem
    with its file, line, column and value; the rows that are fine raise nothing."""
    attendance = sorted((data / "attendance").glob("*.parquet"))[-1]
    frame = pd.read_parquet(attendance)
    frame["school_urn"] = frame["school_urn"].astype(str)
    frame.loc[[3, 11], "school_urn"] = "999999"
    frame.to_parquet(attendance, index=False)
    results = sorted((data / "ks4_results").glob("*.csv"))[-1]
    set_cell(results, "upn", "A999999999999", row=4)
    provision = sorted((data / "provision").glob("*.csv"))[-1]
    set_cell(provision, "start_date", "2000-01-04", row=0)
    set_cell(provision, "exclusion_id", "NO-SUCH-EXCLUSION", row=1)
    exclusions = sorted((data / "exclusions").glob("*.csv"))[-1]
    set_cell(exclusions, "start_date", "1999-07-01", row=6)
    problems = validate_data(data).problems
    found = {(p.rule, Path(p.file).name, int(p.line), p.column) for p in problems.itertuples() if p.severity == "error"}
    expected = {
        ("school_urn is not in the schools dataset", attendance.name, 5, "school_urn"),
        ("school_urn is not in the schools dataset", attendance.name, 13, "school_urn"),
        ("result for a pupil who is not in ks4_pupils for that academic year", results.name, 6, "upn"),
        ("exclusion_id is not in the exclusions dataset", provision.name, 3, "exclusion_id"),
        ("provision starts before the exclusion it follows", provision.name, 2, "start_date"),
        ("start_date is not covered by the calendar dataset", provision.name, 2, "start_date"),
        ("start_date is not covered by the calendar dataset", exclusions.name, 8, "start_date"),
    }
    assert expected <= found, expected - found
    cross = {"is not in the schools dataset", "is not in ks4_pupils", "is not in the exclusions dataset",
             "starts before the exclusion", "not covered by the calendar"}
    extra = {f for f in found - expected if any(c in f[0] for c in cross)}
    assert not extra, extra
    assert set(problems.loc[problems["column"] == "school_urn", "value"]) == {"999999"}


def test_validating_twice_gives_the_same_frames_and_problems(data):
    """DuckDB works on every core: the rows and problems still come in the order the files hold them."""
    break_upn_check_letter(data)
    break_negative_count(data)
    one, two = validate_data(data), validate_data(data)
    assert list(one.tables) == list(two.tables)
    for name in one.tables:
        pd.testing.assert_frame_equal(one.frame(name), two.frame(name))
    pd.testing.assert_frame_equal(one.problems, two.problems)
    assert one.row_counts == two.row_counts and len(one.errors) >= 2


# -- rules across columns, worked out once per distinct combination of their columns --------------------------

MESSY = {    # values as extracts hold them: codes, blanks, stray spaces, missing cells, numbers from Parquet
    "elg": ["1", "2", "A", " A", "", None],
    "academic_year": ["2024/25", " 2023/24", "", None],
    "date_of_birth": ["2019-09-01", "2020-08-31", "2020-09-01", " 2019-12-25 ", "2018-08-31", "", None],
    "ss": [100.0, 80.0, float("nan")],
    "ss_text": ["100", " 95", "", None],
    "code": ["", "A", " B", None],
    "qualification": ["GCSE", "OTHER_APPROVED", " GCSE", ""],
    "a8_category": ["MATHS", "SCI_COMBINED", "ENG_LANG", ""],
    "grade": ["9", "4", "6-5", "10", "U", "X", "B", "", None],
    "points": [4.5, 0.0, float("nan")],
}


def _messy_frame(columns: dict, rows=3000, seed=7) -> pd.DataFrame:
    import numpy as np
    from edstats.contract.reader import FILE_COL, LINE_COL

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({name: pd.Series([pool[i] for i in rng.integers(0, len(pool), rows)],
                                          dtype=float if isinstance(pool[0], float) else object)
                          for name, pool in columns.items()})
    frame[FILE_COL] = "messy.csv"
    frame[LINE_COL] = np.arange(2, rows + 2)
    return frame


def _text(frame, column):
    return frame[column].astype("string").fillna("").str.strip()


def _number(frame, column):
    return pd.to_numeric(frame[column], errors="coerce")


def _reception_age(frame):
    start = pd.to_numeric(_text(frame, "academic_year").str[:4], errors="coerce")
    born = pd.to_datetime(_text(frame, "date_of_birth"), format="%Y-%m-%d", errors="coerce")
    first = pd.to_datetime((start - 5).astype("Int64").astype("string") + "-09-01", errors="coerce")
    last = pd.to_datetime((start - 4).astype("Int64").astype("string") + "-08-31", errors="coerce")
    return (born < first) | (born > last)


def _grade(frame):
    grade, category = _text(frame, "grade"), _text(frame, "a8_category")
    pair = grade.str.extract(r"^([1-9])-([1-9])$").astype(float)
    ok_double = (pair[0] - pair[1]).isin([0, 1]) | grade.isin(["U", "X"])
    double = category == "SCI_COMBINED"
    return (_text(frame, "qualification") == "GCSE") & ((double & ~ok_double) | (~double & ~grade.isin(
        ["9", "8", "7", "6", "5", "4", "3", "2", "1", "U", "X"])))


#: Each rule across columns read row by row with pandas, as the contract states it: the reference
#: for the contract's SQL.
ROW_BY_ROW = {
    "A (not assessed) must apply to all 17 goals or none": lambda f: (
        pd.concat([_text(f, f"elg{i:02d}") for i in range(1, 18)], axis=1).eq("A").any(axis=1)
        & ~pd.concat([_text(f, f"elg{i:02d}") for i in range(1, 18)], axis=1).eq("A").all(axis=1)),
    "date_of_birth is outside the academic year's Reception age range": _reception_age,
    **{f"{s}: give either a scaled score or a code, not both and not neither":
       (lambda s: lambda f: (_text(f, f"{s}_ss") != "") == (_text(f, f"{s}_code") != ""))(s)
       for s in ("read", "mat", "gps")},
    "GCSE grade must be 9 to 1, U or X (combined science: two grades the same or one apart, the higher first, "
    "like 6-5)": _grade,
    "points are required for an approved non-GCSE qualification": lambda f: (
        (_text(f, "qualification") == "OTHER_APPROVED") & (_text(f, "points") == "")),
    "absences (authorised + unauthorised) exceed possible sessions": lambda f: (
        (_number(f, "authorised_absence") + _number(f, "unauthorised_absence") > _number(f, "possible_sessions"))
        .fillna(False)),
}


@pytest.mark.parametrize("dataset, columns", [
    ("eyfsp", {**{f"elg{i:02d}": MESSY["elg"] for i in range(1, 18)},
               "academic_year": MESSY["academic_year"], "date_of_birth": MESSY["date_of_birth"]}),
    ("ks2", {f"{s}_ss": MESSY["ss"] for s in ("read", "mat")} | {"gps_ss": MESSY["ss_text"]}
     | {f"{s}_code": MESSY["code"] for s in ("read", "mat", "gps")}),
    ("ks4_results", {c: MESSY[c] for c in ("qualification", "a8_category", "grade", "points")}),
    ("attendance", {"authorised_absence": MESSY["ss"], "unauthorised_absence": MESSY["ss_text"],
                    "possible_sessions": ["150", " 90", "", None]}),
])
@pytest.mark.parametrize("categorical", [False, True], ids=["text", "categorical"])
def test_rules_across_columns_name_the_rows_pandas_names_row_by_row(dataset, columns, categorical):
    """Each rule across columns (SQL in the contract) names exactly the rows its statement names
    when read row by row with pandas (the frame as read: text, categoricals from Parquet, numbers)."""
    from edstats.contract import DATASETS, RawDataset
    from edstats.validate import check_dataset

    frame = _messy_frame(columns)
    if categorical:
        frame = frame.astype({c: "category" for c in columns if frame[c].dtype == object})
    spec = DATASETS[dataset]
    problems = check_dataset(spec, RawDataset(dataset, frame))
    for check in spec.row_checks:
        expected = set(frame.loc[ROW_BY_ROW[check.rule](frame).to_numpy(dtype=bool), "_line"])
        found = set(problems.loc[problems["rule"] == check.rule, "line"])
        assert found == expected, check.rule
        assert 0 < len(found) < len(frame), f"{check.rule}: the messy frame breaks it in some rows, not all"


@pytest.mark.parametrize("categorical", [False, True], ids=["text", "categorical"])
def test_duplicate_keys_are_the_rows_pandas_finds_repeated(categorical):
    """The duplicate-key check names exactly the rows that pandas' ``duplicated`` names on the text:
    every repeat after the first, blanks included."""
    from edstats.contract import DATASETS, RawDataset
    from edstats.validate import check_dataset

    keys = {"upn": ["A1", "A2", "A3", "", None], "academic_year": MESSY["academic_year"],
            "term": ["AUT", "SPR", "SUM", None], "school_urn": ["100001", "100002"]}
    frame = _messy_frame(keys, rows=400, seed=11)
    if categorical:
        frame = frame.astype({c: "category" for c in keys})
    problems = check_dataset(DATASETS["attendance"], RawDataset("attendance", frame))
    found = set(problems.loc[problems["rule"].str.startswith("duplicate row"), "line"])
    expected = set(frame.loc[frame[list(keys)].astype(object).fillna("<missing>").duplicated(), "_line"])
    assert found == expected and 0 < len(found) < len(frame)


# -- numbers as Parquet stores them ------------------------------------------------------------------------

def test_numbers_from_parquet_are_checked_and_typed_as_the_same_cells_written_as_text():
    """Whole numbers, numbers with gaps and a URN written as a number: the same problems and typed
    values as the same cells written as text."""
    import numpy as np
    from edstats.contract import DATASETS, RawDataset
    from edstats.validate import check_dataset, to_typed

    as_numbers = pd.DataFrame({
        "upn": ["A1"] * 6, "school_urn": [100001, 100002, 12, 100001, 100002, 100003],
        "possible_sessions": np.array([10, -1, 300, 0, 12, 7], dtype=np.int16),
        "authorised_absence": [1.0, 2.5, np.nan, 0.0, 3.0, 1.0],
        "unauthorised_absence": np.array([0, 0, 0, 0, 0, 1], dtype=np.int64),
        "ncyear": [1.0, 2.0, 3.0, 4.0, 99.0, 6.0], "_file": "a.parquet", "_line": np.arange(2, 8)})
    as_text = as_numbers.astype({c: object for c in ("school_urn", "possible_sessions", "authorised_absence",
                                                     "unauthorised_absence", "ncyear")})
    for c in ("school_urn", "possible_sessions", "unauthorised_absence"):
        as_text[c] = as_numbers[c].astype(str)
    as_text["authorised_absence"] = ["1", "2.5", "", "0", "3", "1"]
    as_text["ncyear"] = ["1", "2", "3", "4", "99", "6"]
    spec = DATASETS["attendance"]
    found = {}
    for name, frame in (("numbers", as_numbers), ("text", as_text)):
        problems = check_dataset(spec, RawDataset("attendance", frame))
        found[name] = set(problems.loc[problems["severity"] == "error", ["line", "column", "rule"]]
                          .itertuples(index=False, name=None))
    assert found["numbers"] == found["text"]
    assert {(4, "school_urn", "school_urn must be a 6-digit URN"),
            (3, "possible_sessions", "possible_sessions must not be negative"),
            (3, "authorised_absence", "authorised_absence must be a whole number"),
            (6, "ncyear", "ncyear must be at most 14")} <= found["numbers"]
    typed_numbers, typed_text = to_typed(spec, as_numbers), to_typed(spec, as_text)
    assert typed_numbers["school_urn"].tolist() == ["100001", "100002", "12", "100001", "100002", "100003"]
    for column in ("possible_sessions", "unauthorised_absence", "ncyear"):
        assert str(typed_numbers[column].dtype) == str(typed_text[column].dtype) == "Int64", column
        assert typed_numbers[column].tolist() == typed_text[column].tolist(), column


@pytest.mark.parametrize("huge", ["1000000000000000000000000", "9999999999999999999", "-9999999999999999999", 1e30])
def test_a_whole_number_too_large_for_64_bits_is_reported_and_never_typed_as_another_number(huge):
    """A 25-digit headcount (text), one beyond 64 bits but not unsigned 64 bits, a negative one, and
    1e30 in a Parquet float column: reported with its line, and missing once typed (it became
    -9,223,372,036,854,775,808 before, with no problem reported)."""
    import numpy as np
    from edstats.contract import DATASETS, RawDataset
    from edstats.validate import check_dataset, to_typed

    values = [5.0, huge] if isinstance(huge, float) else ["5", huge]
    frame = pd.DataFrame({"school_urn": ["100001", "100002"], "headcount": values, "_file": "s", "_line": [2, 3]})
    problems = check_dataset(DATASETS["schools"], RawDataset("schools", frame))
    too_large = problems[problems["rule"].str.contains("headcount is too large")]
    assert too_large["line"].tolist() == [3]
    assert to_typed(DATASETS["schools"], frame)["headcount"].isna().tolist() == [False, True]
    assert to_typed(DATASETS["schools"], frame)["headcount"].iloc[0] == 5
    assert np.array_equal(problems.loc[problems["column"] == "headcount", "line"].unique(), [3])


@pytest.mark.parametrize("table", [True, False], ids=["few years", "many years"])
@pytest.mark.parametrize("categorical", [False, True], ids=["text", "categorical"])
def test_results_of_pupils_not_known_are_the_rows_text_matching_finds(categorical, table):
    """A KS4 result's (UPN, year) is looked for among the pupils'; the rows named are exactly those
    whose trimmed text pair is not a pupil's (rows missing a value are the columns' own checks)."""
    import numpy as np
    from edstats.engine import connect
    from edstats.validate import _results_for_known_pupils

    rng = np.random.default_rng(5)
    n = 40 if table else 1100      # 1,100 distinct years among the pupils: too many possible pairs for a table
    known = pd.DataFrame({"upn": [f"A{i}" for i in range(n)],
                          "academic_year": ["2023/24", "2024/25"] * (n // 2) if table else [f"Y{i}" for i in range(n)]})
    upn = pd.Series([f"A{i}" for i in rng.integers(0, n + 5, 600)], dtype=object)
    upn[rng.random(600) < 0.1] = " " + upn[rng.random(600) < 0.1]
    upn[rng.random(600) < 0.05] = None
    year = pd.Series(rng.choice(["2023/24", "2024/25", " 2023/24", "2019/20", "", None], 600), dtype=object)
    if not table:
        year = pd.Series(rng.choice(list(known["academic_year"]) + [None], 600), dtype=object)
    rows = pd.DataFrame({"upn": upn, "academic_year": year})
    if categorical:
        rows, known = rows.astype("category"), known.astype("category")
    con = connect()
    con.register("results", rows.assign(_file="r.csv", _line=np.arange(2, len(rows) + 2)))
    con.register("pupils", known)
    (problems,) = _results_for_known_pupils(con, {"ks4_pupils": "pupils"}, {"ks4_results": "results"})
    found = np.isin(np.arange(2, len(rows) + 2), problems["line"].to_numpy(dtype=int))
    text = rows.astype(object)
    pairs = set(zip(known["upn"].astype(str), known["academic_year"].astype(str)))
    expected = np.array([u is not None and y is not None and not pd.isna(u) and not pd.isna(y)
                         and (str(u).strip(), str(y).strip()) not in pairs
                         for u, y in zip(text["upn"], text["academic_year"])])
    assert (found == expected).all() and 0 < expected.sum() < len(rows)


def test_a_placements_exclusion_is_looked_for_among_every_exclusion_trimmed():
    """A placement's exclusion_id, trimmed, must be an exclusion's id as recorded: found whatever
    the exclusions around it ('E1' padded), not found when only the exclusion's id is padded."""
    from edstats.contract.reader import FILE_COL, LINE_COL
    from edstats.engine import connect
    from edstats.validate import _provision_follows_exclusions

    exclusions = pd.DataFrame({"exclusion_id": pd.Series(["E1", "E2 ", "E3", "E4"], dtype="category"),
                               "start_date": pd.to_datetime(["2025-01-06", "2025-01-06", "2025-02-03", "2025-03-03"])})
    provision = pd.DataFrame({"exclusion_id": pd.Series([" E1 ", "E2", "E9", "E3", None], dtype="category"),
                              "start_date": ["2025-01-08", "2025-01-08", "2025-01-08", "2025-01-08", "2025-01-08"],
                              FILE_COL: "provision.csv", LINE_COL: [2, 3, 4, 5, 6]})
    con = connect()
    con.register("exclusions", exclusions.assign(_file="exclusions.csv", _line=range(2, 6)))
    con.register("provision", provision)
    unknown, early = _provision_follows_exclusions(con, {"exclusions": "exclusions"}, {"provision": "provision"})
    assert unknown["line"].tolist() == [3, 4] and set(unknown["rule"]) == {"exclusion_id is not in the exclusions dataset"}
    assert early["line"].tolist() == [5]          # E3 began on 3 February


@pytest.mark.parametrize("values, blank_lines", [(["GCSE", "", "  ", None, "GCSE"], [3, 4, 5]),
                                                 (["GCSE", None, "GCSE", "OTHER_APPROVED", None], [3, 6])],
                         ids=["spaces and missing", "missing only"])
@pytest.mark.parametrize("categorical", [False, True], ids=["text", "categorical"])
def test_a_required_cell_blank_or_only_spaces_is_reported_on_its_line(values, blank_lines, categorical):
    from edstats.contract import DATASETS, RawDataset
    from edstats.contract.reader import FILE_COL, LINE_COL
    from edstats.validate import check_dataset

    frame = pd.DataFrame({"qualification": pd.Series(values, dtype="category" if categorical else object),
                          FILE_COL: "r.csv", LINE_COL: range(2, 7)})
    problems = check_dataset(DATASETS["ks4_results"], RawDataset("ks4_results", frame))
    assert problems.loc[problems["rule"] == "qualification must not be blank", "line"].tolist() == blank_lines


def test_a_dataset_whose_every_row_is_malformed_is_set_aside_whole(data, tmp_path):
    """Quarantine with nothing left to read in a dataset: every row counted as rejected, none lost."""
    paths = sorted((data / "ks2").glob("*.csv"))
    for path in paths:
        lines = path.read_text().splitlines()
        path.write_text("\n".join([lines[0]] + [line + ",surplus" for line in lines[1:]]) + "\n")
    rows = sum(len(p.read_text().splitlines()) - 1 for p in paths)
    run = prepare_run(data, Settings(), on_invalid_rows="quarantine", rejects_dir=tmp_path / "rejects")
    assert run.row_counts["ks2"] == {"read": rows, "accepted": 0, "rejected": rows}
    assert len(pd.read_csv(tmp_path / "rejects" / "ks2.csv")) == rows
    assert "ks2_rwm_exp_pct" not in set(run.results["measure_id"])
