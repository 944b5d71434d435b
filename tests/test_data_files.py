"""Every data file committed to the repository is listed, with its kind, in data-files.csv.

Real pupil data must never be committed; the only data files allowed are synthetic ones, the
project's own small tables, and (never copied from ../shared) nothing else. This check fails when
a data file is committed without being listed.
"""

import csv
import shutil
import subprocess

import pytest

DATA_SUFFIXES = (".csv", ".parquet", ".xlsx", ".xls", ".tsv", ".feather", ".sav", ".dta")
KINDS = {"synthetic", "reference", "project"}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_every_committed_data_file_is_listed_with_its_kind(repo_root):
    listed = subprocess.run(["git", "ls-files"], cwd=repo_root, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    committed = {p for p in listed.stdout.splitlines() if p.lower().endswith(DATA_SUFFIXES) and p != "data-files.csv"}
    with open(repo_root / "data-files.csv", newline="") as fh:
        log = {row["path"]: row for row in csv.DictReader(fh)}
    assert not committed - set(log), f"data files committed without a line in data-files.csv: {committed - set(log)}"
    assert all(row["kind"] in KINDS for row in log.values())
    assert all((repo_root / path).exists() for path in log)


def test_no_reference_data_is_copied_into_the_repository(repo_root):
    from conftest import REFERENCE_DATA

    if not REFERENCE_DATA.exists():
        pytest.skip("../shared/reference-data is absent")
    import hashlib

    reference = {hashlib.sha256(p.read_bytes()).hexdigest() for p in REFERENCE_DATA.rglob("*") if p.is_file()}
    listed = subprocess.run(["git", "ls-files"], cwd=repo_root, capture_output=True, text=True).stdout.splitlines()
    copies = [p for p in listed if (repo_root / p).is_file()
              and hashlib.sha256((repo_root / p).read_bytes()).hexdigest() in reference]
    assert not copies
