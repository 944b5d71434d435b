"""The edstats command: help for every command, exit codes, one-paragraph errors."""

import subprocess
import sys

import pytest


def edstats(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "edstats", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("command", [[], ["synth"], ["validate"], ["measures"], ["report"]])
def test_every_command_has_help(command):
    result = edstats(*command, "--help")
    assert result.returncode == 0
    assert "usage: edstats" in result.stdout


def test_missing_data_folder_is_one_paragraph_not_a_traceback(tmp_path):
    result = edstats("measures", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "m.csv"))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "does not exist" in result.stderr and "edstats synth" in result.stderr


def test_bad_period_is_a_clear_error(small_data, tmp_path):
    result = edstats("measures", "--data", str(small_data), "--out", str(tmp_path / "m.csv"), "--period", "Jan 2026",
                     "--cache", str(tmp_path / "cache"))
    assert result.returncode == 2
    assert "YYYY-MM" in result.stderr and "Traceback" not in result.stderr


def test_measures_writes_the_data_and_meta_files(small_data, tmp_path):
    out = tmp_path / "out" / "measures.csv"
    result = edstats("measures", "--data", str(small_data), "--out", str(out), "--cache", str(tmp_path / "cache"))
    assert result.returncode == 0, result.stderr
    assert out.exists() and (out.parent / "measures.meta.csv").exists()
    assert "eyfs_gld_pct" in out.read_text()


def test_validate_exit_codes(small_data, tmp_path):
    assert edstats("validate", "--data", str(small_data)).returncode == 0
    broken = tmp_path / "raw" / "schools"
    broken.mkdir(parents=True)
    (broken / "schools.csv").write_text("school_urn,laestab\n12345,9992000\n")
    result = edstats("validate", "--data", str(tmp_path / "raw"), "--report", str(tmp_path / "problems.csv"))
    assert result.returncode == 2
    assert "school_urn must be a 6-digit URN" in result.stdout
    assert (tmp_path / "problems.csv").exists()


def test_synth_refuses_to_overwrite(small_data):
    result = edstats("synth", "--out", str(small_data), "--scale", "small")
    assert result.returncode == 2
    assert "already holds" in result.stderr
