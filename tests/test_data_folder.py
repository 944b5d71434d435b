"""The data folder as an analyst may get it wrong: a path that does not exist, a folder with no
dataset, a dataset folder misnamed, stray files, subfolders and links, a dataset missing or empty.
Each is an error (exit 2) or a warning naming what is not read; a missing or empty dataset makes
its measures 'not available' with the reason, never a number."""

import shutil
import subprocess
import sys

import pytest

from edstats.papers import Paper
from edstats.runs import prepare_run, resolve_period
from edstats.settings import Settings
from edstats.validate import validate_data

SIXTH_DAY = {"sixth_day_within_pct", "days_to_provision_median", "sixth_day_without_provision_count",
             "part_time_placement_count"}


@pytest.fixture
def data(small_data, tmp_path):
    target = tmp_path / "raw"
    shutil.copytree(small_data, target, ignore=shutil.ignore_patterns("attendance_sessions"))
    return target


def edstats(*args):
    return subprocess.run([sys.executable, "-m", "edstats", *args], capture_output=True, text=True)


def test_a_data_folder_that_does_not_exist_is_an_error(tmp_path):
    result = edstats("validate", "--data", str(tmp_path / "no-such-folder"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "No problems found" not in result.stdout


def test_a_data_folder_with_no_dataset_is_an_error(tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "notes.txt").write_text("extracts to follow")
    result = edstats("validate", "--data", str(tmp_path / "raw"))
    assert result.returncode == 2 and "holds no dataset folder" in result.stderr


@pytest.mark.parametrize("wrong, right", [("KS2", "ks2"), ("ks2s", "ks2"), ("schoolz", "schools"),
                                          ("eyfsps", "eyfsp")])
def test_a_misnamed_dataset_folder_is_a_warning_that_names_the_right_one(data, wrong, right):
    (data / right).rename(data / wrong)
    warnings = validate_data(data).problems.query("severity == 'warning'")
    mine = warnings[warnings["file"] == str(data / wrong)]
    assert len(mine) == 1 and f"Rename it to {right}/" in mine["fix"].iloc[0]
    result = edstats("measures", "--data", str(data), "--out", str(data.parent / "m.csv"), "--cache", "")
    assert f"{wrong}/ is not a dataset" in result.stderr and f"{right}/" in result.stderr


def test_stray_files_subfolders_and_links_are_warnings_and_are_not_read(data, tmp_path):
    (data / "ks2_2024.csv").write_text("upn\n")
    (data / "eyfsp" / "old").mkdir()
    shutil.copy(sorted((data / "eyfsp").glob("*.csv"))[0], data / "eyfsp" / "old" / "copy.csv")
    outside = tmp_path / "elsewhere.csv"
    shutil.copy(sorted((data / "ks2").glob("*.csv"))[0], outside)
    (data / "ks2" / "linked.csv").symlink_to(outside)
    result = validate_data(data)
    warned = set(result.problems.loc[result.problems["severity"] == "warning", "file"])
    assert {str(data / "ks2_2024.csv"), str(data / "eyfsp" / "old"), str(data / "ks2" / "linked.csv")} <= warned
    read = {f.path for files in result.files.values() for f in files}
    assert str(data / "ks2" / "linked.csv") not in read
    assert result.is_valid      # the copy in eyfsp/old/ is not read, so its pupils are not duplicates


@pytest.mark.parametrize("state", ["empty", "missing"])
def test_a_missing_or_empty_dataset_makes_its_measures_not_available(data, state):
    """With no provision records the sixth-day measures read 0% of 7 and a median of 549 days; with
    no provision folder the run stopped with KeyError: 'provision'."""
    shutil.rmtree(data / "provision")
    if state == "empty":
        (data / "provision").mkdir()
    run = prepare_run(data, Settings())
    assert not (set(run.results["measure_id"]) & SIXTH_DAY)
    assert "excl_perm_rate" in set(run.results["measure_id"])       # what exclusions alone give is kept
    reason = run.unavailable["sixth_day_within_pct"]
    assert ("provision/ holds no rows" if state == "empty" else "provision/ is not in the data folder") in reason
    paper = Paper(run, resolve_period(run, None), "council")
    sentence = paper.headline_sentence("sixth_day_within_pct")
    assert "not available" in sentence and reason in sentence
    assert reason in paper.kpm_notes()
    assert "year to date" not in paper.kpm_notes(), "only the table's own measures (no daily feed here)"
    table = paper.kpm_table(["sixth_day_within_pct"]).frame
    assert table["Latest"].iloc[0] == "x"
