"""Database sources: the small synthetic LA loaded into a real PostgreSQL server (started here, in a
temporary folder) and into a DuckDB database file gives the same typed rows, the same problems and
the same measures as its folder of files."""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from edstats.contract import DATASETS
from edstats.contract.reader import read_dataset
from edstats.engine import connect
from edstats.measures import compute_all
from edstats.settings import Settings
from edstats.sources import Database, attach
from edstats.validate import validate_data

SKIP = ("attendance_sessions", "ccis")        # the feed is files only; CCIS is large and adds nothing here


def _postgres_binaries() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server of our own: its data and socket in a temporary folder, no TCP port. As
    root, initdb and the server run as the postgres user (initdb refuses to run as root)."""
    binaries = _postgres_binaries()
    if binaries is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL (initdb, pg_ctl) is not installed; .ci/run installs it")
        pytest.skip("PostgreSQL (initdb, pg_ctl) is not installed")
    base = Path(tempfile.mkdtemp(prefix="edstats-pg-"))
    data, socket, log = base / "data", base / "socket", base / "server.log"
    socket.mkdir()
    as_user = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(socket, "postgres")
        log.touch()
        shutil.chown(log, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run(as_user + [str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    subprocess.run(as_user + [str(binaries / "pg_ctl"), "-D", str(data), "-o",
                              f"-k {socket} -c listen_addresses=''", "-l", str(log), "-w", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@/postgres?host={socket}"
    finally:
        subprocess.run(as_user + [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def _load(folder: Path, url: str) -> None:
    """Every dataset of ``folder`` as a table of the database, its cells as the files hold them."""
    con = connect()
    schema = attach(con, Database(url), read_only=False)
    for name in DATASETS:
        if (folder / name).is_dir() and name not in SKIP:
            raw = read_dataset(folder / name, name, con)
            con.execute(f"DROP TABLE IF EXISTS {schema}.{name}")
            con.execute(f"CREATE TABLE {schema}.{name} AS SELECT * EXCLUDE (_file, _line) FROM {raw.frame} "
                        "ORDER BY _file, _line")


@pytest.fixture(scope="module")
def folder(small_data, tmp_path_factory):
    target = tmp_path_factory.mktemp("source") / "raw"
    shutil.copytree(small_data, target, ignore=shutil.ignore_patterns(*SKIP))
    return target


def _in_key_order(frames: dict) -> dict:
    return {name: frame.sort_values(list(DATASETS[name].key)).reset_index(drop=True) for name, frame in frames.items()}


def _same_as_the_folder(folder: Path, source: str) -> None:
    from_files, from_database = validate_data(folder), validate_data(source)
    assert from_files.is_valid and from_database.is_valid, from_database.errors.head().to_string()
    assert list(from_database.tables) == list(from_files.tables)
    files_frames, database_frames = _in_key_order(from_files.to_pandas()), _in_key_order(from_database.to_pandas())
    for name in files_frames:
        pd.testing.assert_frame_equal(database_frames[name], files_frames[name], obj=name)
    settings = Settings()
    pd.testing.assert_frame_equal(compute_all(from_database.tables, settings),
                                  compute_all(from_files.tables, settings))


def test_a_postgresql_database_gives_the_folders_rows_and_measures(folder, postgres):
    _load(folder, postgres)
    _same_as_the_folder(folder, postgres)


def test_a_duckdb_database_file_gives_the_folders_rows_and_measures(folder, tmp_path):
    database = tmp_path / "extracts.duckdb"
    _load(folder, str(database))
    _same_as_the_folder(folder, str(database))


def test_a_bad_row_in_a_table_is_named_by_table_and_row_with_its_value_masked(folder, postgres):
    _load(folder, postgres)
    con = connect()
    schema = attach(con, Database(postgres), read_only=False)
    (upn,) = con.execute(f"SELECT upn FROM {schema}.eyfsp ORDER BY upn, academic_year LIMIT 1").fetchone()
    broken = ("B" if upn[0] != "B" else "C") + upn[1:]
    con.execute(f"UPDATE {schema}.eyfsp SET upn = $broken WHERE upn = $upn", {"broken": broken, "upn": upn})
    con.close()
    result = validate_data(postgres)
    bad = result.errors[result.errors["rule"].str.startswith("UPN must be")]
    assert len(bad) >= 1 and set(bad["dataset"]) == {"eyfsp"}
    assert bad["file"].iloc[0].endswith("table eyfsp") and bad["file"].iloc[0].startswith("postgresql://")
    assert broken not in bad["value"].iloc[0], "a UPN is never shown whole"
    _load(folder, postgres)         # as it was, for the other tests


def test_a_password_in_the_address_is_never_shown():
    assert Database("postgresql://analyst:s3cret@warehouse/edu").shown == "postgresql://analyst:***@warehouse/edu"


def _with_password(url: str) -> str:
    """The test server's address with a password in it (the server trusts local connections, so
    any password connects): what a careless address would carry."""
    return url.replace("postgresql://postgres@", "postgresql://postgres:Pa55word-never-shown@")


def _settings_file(tmp_path: Path, reference: Path, location: str = "") -> Path:
    """edstats.yml naming the reference folder (P8 estimates, comparators) the database lacks."""
    path = tmp_path / "edstats.yml"
    path.write_text(f"data:\n  reference_folder: {reference}\n" + (f"  location: {location}\n" if location else ""))
    return path


def _edstats(*args, cwd: Path):
    return subprocess.run([sys.executable, "-m", "edstats", *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("kind", ["postgresql", "duckdb"])
def test_measures_from_a_database_are_the_folders_to_the_byte(folder, postgres, tmp_path, kind):
    """`edstats measures --data <database>` writes the very measures.csv the folder gives, though
    the table's rows come in the key's order, not the files' (sums do not depend on the order)."""
    source = postgres if kind == "postgresql" else str(tmp_path / "extracts.duckdb")
    _load(folder, source)
    settings = _settings_file(tmp_path, folder)
    for data, out in ((str(folder), "folder"), (source, "database")):
        result = _edstats("measures", "--data", data, "--settings", str(settings), "--cache", "",
                          "--out", str(tmp_path / out / "measures.csv"), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    from_folder = (tmp_path / "folder" / "measures.csv").read_bytes()
    assert len(from_folder) > 100_000 and b"ks4_p8_avg" in from_folder and b"ks4_ebacc_aps" in from_folder
    assert (tmp_path / "database" / "measures.csv").read_bytes() == from_folder


def test_the_settings_name_the_database_when_data_is_not_given(folder, tmp_path):
    database = tmp_path / "extracts.duckdb"
    _load(folder, str(database))
    settings = _settings_file(tmp_path, folder, location=str(database))
    result = _edstats("validate", "--settings", str(settings), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "table eyfsp" in result.stdout and str(database) in result.stdout


def test_a_password_in_the_settings_is_refused(tmp_path):
    from edstats.errors import SettingsError
    from edstats.settings import load_settings

    path = tmp_path / "edstats.yml"
    path.write_text("data:\n  location: postgresql://analyst:s3cret@warehouse/edu\n")
    with pytest.raises(SettingsError, match="pgpass"):
        load_settings(path)


def test_a_report_from_postgresql_lists_its_tables_and_never_shows_the_password(folder, postgres, tmp_path, repo_root):
    """The papers from a warehouse: each table an input with its rows and fingerprint, the address
    without its password in every file written; an unchanged database is not reported on again, a
    changed row is."""
    from edstats.pipeline import build_report
    from edstats.settings import load_settings

    _load(folder, postgres)
    url = _with_password(postgres)
    settings = load_settings(_settings_file(tmp_path, folder))

    def report():
        return build_report(url, tmp_path / "reports", settings, period="2026-01", papers=("council",),
                            formats=("html",), notebooks_dir=repo_root / "notebooks", build_dir=tmp_path / "build",
                            cache_dir=tmp_path / "cache")

    folder_made = report()
    manifest = json.loads((folder_made / "manifest.json").read_text())
    tables = {i["dataset"]: i for i in manifest["inputs"] if i.get("kind") == "table"}
    assert set(tables) == {name for name in DATASETS if (folder / name).is_dir() and name not in SKIP}
    rows = sum(len(p.read_text().splitlines()) - 1 for p in (folder / "eyfsp").glob("*.csv"))
    assert tables["eyfsp"]["rows"] == rows and len(tables["eyfsp"]["sha256"]) == 64
    assert tables["eyfsp"]["file"] == postgres.replace("postgres@", "postgres:***@") + " table eyfsp"
    assert any(i["file"].startswith("p8_estimates/") for i in manifest["inputs"]), "the reference folder's files"
    for written in [*tmp_path.rglob("*")]:
        if written.is_file():
            assert b"Pa55word-never-shown" not in written.read_bytes(), written
    assert f"{len(tables)} pupil-level tables of {Database(url).shown}" in " ".join(
        (folder_made / "council.html").read_text().split())

    mtime = (folder_made / "manifest.json").stat().st_mtime_ns
    assert (report() / "manifest.json").stat().st_mtime_ns == mtime, "the same tables: the report stands"
    con = connect()
    schema = attach(con, Database(postgres), read_only=False)
    con.execute(f"UPDATE {schema}.eyfsp SET sex = CASE WHEN sex = 'F' THEN 'M' ELSE 'F' END "
                f"WHERE upn = (SELECT min(upn) FROM {schema}.eyfsp)")
    con.close()
    again = json.loads((report() / "manifest.json").read_text())
    changed = {i["dataset"]: i["sha256"] for i in again["inputs"] if i.get("kind") == "table"}
    assert changed["eyfsp"] != tables["eyfsp"]["sha256"] and changed["ks2"] == tables["ks2"]["sha256"]
    _load(folder, postgres)         # as it was, for the other tests
