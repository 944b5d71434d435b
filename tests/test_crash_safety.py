"""Crash safety of ``edstats report``: killed outright (``kill -9``) while validating, computing the
measures or rendering the papers, a run leaves the previous report byte-identical, no process
running, and nothing half-written once the next run starts; two runs into one reports folder do
not both write; a full disk or a folder that cannot be written gets a plain message."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow
PERIOD = "2026-01"


def report_command(work: Path, repo_root: Path, out: Path | None = None) -> list[str]:
    return [sys.executable, "-m", "edstats", "report", "--data", str(work / "raw"), "--out", str(out or work / "reports"),
            "--period", PERIOD, "--cache", str(work / "cache"), "--build", str(work / "build"),
            "--notebooks", str(repo_root / "notebooks"), "--settings", str(repo_root / "edstats.yml")]


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def leftovers(work: Path) -> list[Path]:
    return [p for p in work.rglob("*") if ".partial-" in p.name]


@pytest.fixture(scope="module")
def work(small_data, tmp_path_factory, repo_root):
    """The small LA (without the daily feed) with one report made for the period."""
    folder = tmp_path_factory.mktemp("crash")
    shutil.copytree(small_data, folder / "raw", ignore=shutil.ignore_patterns("attendance_sessions"))
    done = subprocess.run(report_command(folder, repo_root), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return folder


def change_an_input(work: Path) -> None:
    """A new input, so that the next run has a report to make (an unchanged one is not made again)."""
    path = sorted((work / "raw" / "eyfsp").glob("*.csv"))[-1]
    path.write_text(path.read_text() + "\n")


def _lock_holder(work: Path) -> str:
    try:
        return (work / "reports" / ".edstats-run.lock").read_text().strip()
    except FileNotFoundError:
        return ""


def _rendering(work: Path) -> bool:
    staging = [p for p in (work / "reports").iterdir() if ".partial-" in p.name]
    return bool(staging) and (staging[0] / "kpm.csv").exists()


WHEN = {
    # the run lock taken by this run: validation starts at once
    "validation": lambda process, work, said: _lock_holder(work) == str(process.pid),
    # the progress line names the measures' step as it starts
    "measures": lambda process, work, said: "compute the measures" in said(),
    "rendering": lambda process, work, said: _rendering(work),
}


@pytest.mark.parametrize("moment", list(WHEN))
def test_kill_9_leaves_the_previous_report_and_nothing_running(moment, work, repo_root):
    before = digest(work / "reports" / PERIOD)
    change_an_input(work)
    process = subprocess.Popen(report_command(work, repo_root), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    progress = []
    reader = threading.Thread(target=lambda: progress.extend(iter(lambda: process.stderr.read(1), b"")), daemon=True)
    reader.start()
    watched = psutil.Process(process.pid)
    seen, started = set(), time.time()
    try:
        while not WHEN[moment](watched, work, lambda: b"".join(progress).decode(errors="replace")):
            assert process.poll() is None, f"the run finished before the {moment} step could be interrupted"
            assert time.time() - started < 120
            seen |= {k.pid for k in watched.children(recursive=True)}
            time.sleep(0.02)
        seen |= {k.pid for k in watched.children(recursive=True)}
    finally:
        process.kill()
        process.wait()
    deadline = time.time() + 10
    while (alive := [p for p in seen if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]) \
            and time.time() < deadline:
        time.sleep(0.2)
    assert not alive, f"processes left running after kill -9 at {moment}: {alive}"
    assert digest(work / "reports" / PERIOD) == before, "the previous report must be untouched"
    if moment == "rendering":
        assert leftovers(work), "killed while rendering, the unfinished report is still there (named as such)"


def test_the_next_run_removes_what_killed_runs_left_and_succeeds(work, repo_root):
    """Runs after the kills: every unfinished folder and file of a dead run is gone."""
    stale = work / "reports" / ".2026-01.partial-999999-abc"        # a run whose process no longer exists
    stale.mkdir()
    (stale / "measures.xlsx").write_bytes(b"PK\x03\x04 truncated")
    change_an_input(work)
    done = subprocess.run(report_command(work, repo_root), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not leftovers(work), leftovers(work)
    assert {"council.pdf", "scrutiny.html", "kpm.csv", "manifest.json"} <= set(digest(work / "reports" / PERIOD))


def test_a_report_moved_aside_and_never_replaced_is_put_back(work, repo_root):
    """Killed between moving the previous report aside and putting the new one in place."""
    folder = work / "reports" / PERIOD
    before = digest(folder)
    folder.rename(work / "reports" / f".{PERIOD}.old.partial-999999-abc")
    from edstats.atomic import remove_stale

    remove_stale(work / "reports")
    assert digest(folder) == before


def test_two_runs_into_one_reports_folder(work, repo_root):
    change_an_input(work)
    first = subprocess.Popen(report_command(work, repo_root), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = time.time()
    while _lock_holder(work) != str(first.pid):
        assert first.poll() is None and time.time() - started < 60
        time.sleep(0.05)
    second = subprocess.run(report_command(work, repo_root), capture_output=True, text=True)
    assert second.returncode == 2, second.stderr
    assert "Another edstats run" in second.stderr and str(first.pid) in second.stderr
    assert "Traceback" not in second.stderr
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err[-2000:]


def _mount(folder: Path, options: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"needs a small file system of its own (mount as root): {done.stderr.decode().strip()}")


@pytest.mark.parametrize("options, reason", [("size=256k", "the disk is full"),
                                             ("ro,size=1m", "read-only file system")])
def test_a_full_disk_or_a_read_only_folder_gets_a_plain_message(options, reason, work, repo_root, tmp_path):
    out = tmp_path / "mounted"
    _mount(out, options)
    try:
        change_an_input(work)
        done = subprocess.run(report_command(work, repo_root, out), capture_output=True, text=True)
    finally:
        subprocess.run(["umount", str(out)], check=True)
    assert done.returncode != 0
    assert reason in done.stderr and str(out) in done.stderr.replace("\n", " "), done.stderr[-1500:]
    assert "bug in edstats" not in done.stderr and "Traceback" not in done.stderr
