"""A newcomer's mistakes (issue 19, item 10): options that would be ignored, the LA's new-style
code, running outside the checkout, the NEET dashboard file, and an import with one wrong file."""

import subprocess
import sys

import pandas as pd
import pytest

from conftest import REFERENCE_DATA
from edstats.compare.importers import import_into, resolve_la_code
from edstats.compare.lait import read_lait
from edstats.compare.neet_dashboard import read_neet_dashboard
from edstats.compare.table import COMPARATOR_COLUMNS, read_comparators
from edstats.errors import EdstatsError, InputError

LAIT = REFERENCE_DATA / "lait" / "bds_long_0.parquet"
LAS = REFERENCE_DATA / "la_codes" / "las.csv"
DASHBOARD = REFERENCE_DATA / "neet" / "UD_NEETNK_LA_dashboard_2025_final.csv"
needs_reference = pytest.mark.skipif(not REFERENCE_DATA.exists(), reason="../shared/reference-data is absent")

#: A made-up dashboard in DfE's layout (the first columns of the real file's header).
SMALL_HEADER = ("time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
                "old_la_code,new_la_code,la_name,Age,Cohort_DJFavg,NEET_not_known_percent,NEET_percent,"
                "Notknown_percent,annual_change_ppts_NEET_not_known,NEET_NK_quintile\n")
SMALL_ROWS = [
    "2025,Calendar year,National,E92000001,England,,,,,,16-17,1000000,5.6,3.4,2.2,0.2,z",
    "2025,Calendar year,Regional,E92000001,England,E12999999,Middle Shires,,,,16-17,50000,6.0,3.0,3.0,0.1,z",
    '2025,Calendar year,Local authority,E92000001,England,E12999999,Middle Shires,999,E08999999,"Wyvern, City of",'
    "16-17,12000,6.4,3.2,3.2,0.3,4",
    "2025,Calendar year,Local authority,E92000001,England,E12999999,Middle Shires,998,E06999998,Tiny Isle,"
    "16-17,c,z,x,c,z,z",
    "2025,Calendar year,Local authority,E92000001,England,E12999999,Middle Shires,999,E08999999,Wyvern City,"
    "18,9000,7.0,4.0,3.0,0.1,3",
]


def edstats(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "edstats", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def small_dashboard(tmp_path):
    path = tmp_path / "UD_NEETNK_LA_dashboard_2025_final.csv"
    path.write_text(SMALL_HEADER + "\n".join(SMALL_ROWS) + "\n")
    return path


# 1. --la and --comparators without --published-only would be ignored: refused.

@pytest.mark.parametrize("option", [["--la", "330"], ["--comparators", "somewhere"]])
def test_published_only_options_without_published_only_are_refused(option, tmp_path):
    result = edstats("report", *option, "--data", str(tmp_path / "raw"), "--out", str(tmp_path / "reports"))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{option[0]} only applies with --published-only" in result.stderr.replace("\n", " ")
    assert not (tmp_path / "reports").exists()


def test_la_without_published_only_says_where_the_la_comes_from(tmp_path):
    result = edstats("report", "--la", "330", "--data", str(tmp_path / "raw"), "--out", str(tmp_path / "reports"))
    message = result.stderr.replace("\n", " ")
    assert "edstats.yml" in message and "la:" in message


# 2. --la takes the old three-digit code or the nine-character code.

def _table(rows):
    return pd.DataFrame([dict(zip(["geographic_level", "area_code", "old_la_code", "area_name"], r)) for r in rows])


SMALL_TABLE = _table([("Local authority", "E08000025", "330", "Birmingham"),
                      ("Local authority", "E08000019", "373", "Sheffield"),
                      ("Local authority", "E08000039", "373", "Sheffield"),
                      ("Regional", "E12000005", "", "West Midlands"),
                      ("National", "E92000001", "", "England")])


def test_old_and_new_la_codes_resolve_to_the_old_code():
    assert resolve_la_code(SMALL_TABLE, "330") == "330"
    assert resolve_la_code(SMALL_TABLE, " E08000025 ") == "330"
    assert resolve_la_code(SMALL_TABLE, "e08000025") == "330"
    assert resolve_la_code(SMALL_TABLE, "E08000019") == "373" and resolve_la_code(SMALL_TABLE, "E08000039") == "373"


@pytest.mark.parametrize("code", ["999", "E08999998"])
def test_an_unknown_la_code_is_named_with_how_to_find_the_right_one(code):
    with pytest.raises(InputError) as caught:
        resolve_la_code(SMALL_TABLE, code)
    message = str(caught.value)
    assert code in message and "comparators.csv" in message and "old_la_code" in message


def test_a_region_code_is_not_an_la():
    with pytest.raises(InputError, match="West Midlands.*region"):
        resolve_la_code(SMALL_TABLE, "E12000005")


def test_a_new_code_without_any_new_codes_in_the_figures_says_to_import_the_lookup():
    no_new_codes = SMALL_TABLE.assign(area_code="")
    with pytest.raises(InputError, match="las.csv"):
        resolve_la_code(no_new_codes, "E08000025")


@pytest.mark.parametrize("code", ["Birmingham", "33", "E0800002"])
def test_la_that_is_no_code_at_all_is_refused_before_any_work(code, tmp_path):
    result = edstats("report", "--published-only", "--la", code, "--comparators", str(tmp_path / "none"),
                     "--out", str(tmp_path / "reports"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    message = result.stderr.replace("\n", " ")
    assert f"'{code}'" in message and "three-digit" in message and "nine-character" in message


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    if not REFERENCE_DATA.exists():
        pytest.skip("../shared/reference-data is absent")
    folder = tmp_path_factory.mktemp("newcomer") / "comparators"
    import_into([LAIT, LAS], folder)
    return folder


@needs_reference
def test_published_only_takes_the_nine_character_code(imported):
    from edstats.published_only import prepare_published
    from edstats.settings import load_settings

    by_old = prepare_published("330", [imported], load_settings(None))
    by_new = prepare_published("E08000025", [imported], load_settings(None))
    assert by_new.settings.la.old_la_code == "330" and by_new.settings.la.name == "Birmingham"
    pd.testing.assert_frame_equal(by_new.results, by_old.results)


@needs_reference
def test_an_unknown_code_is_exit_2_naming_it(imported, tmp_path, repo_root):
    result = edstats("report", "--published-only", "--la", "E08999998", "--comparators", str(imported),
                     "--out", str(tmp_path / "reports"), "--build", str(tmp_path / "build"),
                     "--notebooks", str(repo_root / "notebooks"))
    assert result.returncode == 2, result.stderr
    message = result.stderr.replace("\n", " ")
    assert "E08999998" in message and "comparators.csv" in message and "Traceback" not in message


# 3. Run outside the checkout: the notebooks folder holds no paper notebooks.

def test_report_outside_the_checkout_says_the_notebooks_folder_holds_no_notebooks(tmp_path):
    result = edstats("report", "--data", str(tmp_path / "x"), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    message = result.stderr.replace("\n", " ")
    assert "Papers available: ." not in message and "Traceback" not in message
    assert str(tmp_path / "notebooks") in message and "holds no paper notebooks" in message
    assert "edstats checkout" in message and "--notebooks" in message


def test_build_report_with_an_empty_notebooks_folder_does_not_list_nothing(tmp_path):
    from edstats.pipeline import build_report
    from edstats.settings import load_settings

    (tmp_path / "notebooks").mkdir()
    with pytest.raises(EdstatsError) as caught:
        build_report(tmp_path / "x", tmp_path / "reports", load_settings(None), notebooks_dir=tmp_path / "notebooks")
    assert "Papers available: ." not in str(caught.value) and "none" in str(caught.value)


# 4. DfE's NEET and participation LA dashboard.

def test_small_dashboard_rows_levels_and_missing_cells(small_dashboard):
    table = read_neet_dashboard(small_dashboard)
    assert list(table.columns) == COMPARATOR_COLUMNS
    assert set(table["measure_id"]) == {"neet_nk_pct", "neet_pct", "nk_pct"}
    assert set(table["time_period"]) == {"202425"}
    assert len(table) == 4 * 3                          # the age 18 row is not taken
    wyvern = table[table["old_la_code"] == "999"].set_index("measure_id")
    assert wyvern.loc["neet_nk_pct", "value"] == 6.4 and wyvern.loc["neet_pct", "value"] == 3.2
    assert wyvern.loc["nk_pct", "denominator"] == 12000 and wyvern["numerator"].isna().all()
    assert wyvern.loc["nk_pct", "area_code"] == "E08999999" and wyvern.loc["nk_pct", "area_name"] == "Wyvern, City of"
    tiny = table[table["old_la_code"] == "998"]
    assert tiny["value"].isna().all() and tiny["denominator"].isna().all()       # c, z, x are missing, not 0
    england = table[table["geographic_level"] == "National"].set_index("measure_id")
    assert england.loc["neet_nk_pct", "area_code"] == "E92000001" and england.loc["neet_nk_pct", "old_la_code"] == ""
    region = table[table["geographic_level"] == "Regional"].iloc[0]
    assert (region["area_code"], region["area_name"]) == ("E12999999", "Middle Shires")
    assert set(table["source"]) == {"DfE NEET and participation LA dashboard"}
    assert set(table["release"]) == {small_dashboard.name}


def test_the_measure_ids_are_the_dictionary_s(small_dashboard, repo_root):
    dictionary = pd.read_csv(repo_root / "src" / "edstats" / "measures" / "dictionary.csv")
    assert set(read_neet_dashboard(small_dashboard)["measure_id"]) <= set(dictionary["measure_id"])


def test_the_dashboard_is_recognised_by_comparators_import(small_dashboard, tmp_path):
    result = edstats("comparators", "import", str(small_dashboard), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "NEET" in result.stdout
    table, _ = read_comparators(tmp_path / "out")
    assert len(table) == 12 and set(table["measure_id"]) == {"neet_nk_pct", "neet_pct", "nk_pct"}


@needs_reference
def test_real_dashboard_birmingham_agrees_with_lait():
    dashboard = read_neet_dashboard(DASHBOARD)
    assert set(dashboard["geographic_level"]) == {"National", "Regional", "Local authority"}
    assert (dashboard["geographic_level"] == "Local authority").sum() == 151 * 3
    brum = dashboard[dashboard["old_la_code"] == "330"].set_index("measure_id")
    assert brum.loc["neet_nk_pct", "value"] == 6.4 and brum.loc["neet_nk_pct", "denominator"] == 34580
    assert brum.loc["neet_nk_pct", "area_code"] == "E08000025"
    lait = read_lait(LAIT)
    lait = lait[(lait["old_la_code"] == "330") & (lait["time_period"] == "202425")].set_index("measure_id")
    for measure in ("neet_nk_pct", "neet_pct", "nk_pct"):
        assert brum.loc[measure, "time_period"] == "202425"
        # LAIT gives not known to 2 dp (3.19), the dashboard to 1 dp (3.2)
        assert brum.loc[measure, "value"] == pytest.approx(lait.loc[measure, "value"], abs=0.05)


@needs_reference
def test_real_dashboard_and_lait_agree_for_every_area():
    dashboard = read_neet_dashboard(DASHBOARD)
    lait = read_lait(LAIT)
    lait = lait[lait["measure_id"].isin(["neet_nk_pct", "neet_pct", "nk_pct"]) & (lait["time_period"] == "202425")]
    key = ["measure_id", "time_period", "old_la_code"]
    las = dashboard[dashboard["geographic_level"] == "Local authority"].merge(
        lait[lait["geographic_level"] == "Local authority"], on=key, suffixes=("", "_lait"))
    assert len(las) >= 140 * 3
    both = las.dropna(subset=["value", "value_lait"])
    assert (both["value"] - both["value_lait"]).abs().max() <= 0.05 + 1e-9


# 5. One wrong file does not lose the others.

def test_an_unrecognised_file_is_a_warning_and_the_rest_are_imported(small_dashboard, tmp_path):
    notes = tmp_path / "notes.csv"
    notes.write_text("what,why\nthis,that\n")
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"\x00\x01 not parquet")
    result = edstats("comparators", "import", str(notes), str(small_dashboard), str(junk), "--out",
                     str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    warning = result.stderr.replace("\n", " ")
    assert "notes.csv" in warning and "junk.parquet" in warning and "warning" in warning
    assert "LAIT bds_long" in warning and "NEET" in warning and "statistical-neighbour" in warning
    table, _ = read_comparators(tmp_path / "out")
    assert len(table) == 12


def test_no_recognised_file_is_exit_2(tmp_path):
    notes = tmp_path / "notes.csv"
    notes.write_text("what,why\nthis,that\n")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    result = edstats("comparators", "import", str(notes), str(empty), str(tmp_path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    message = result.stderr.replace("\n", " ")
    assert "notes.csv" in message and "empty.csv" in message and "Traceback" not in message
    assert "LAIT bds_long" in message
    assert not (tmp_path / "out" / "comparators.csv").exists()


def test_a_missing_file_is_an_error_but_the_others_are_imported(small_dashboard, tmp_path):
    notes = tmp_path / "notes.csv"
    notes.write_text("what,why\nthis,that\n")
    result = edstats("comparators", "import", str(tmp_path / "nowhere.csv"), str(small_dashboard), str(notes),
                     str(tmp_path / "gone.parquet"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    message = result.stderr.replace("\n", " ")
    assert "nowhere.csv" in message and "gone.parquet" in message and "do not exist" in message
    assert "notes.csv" in message and "Traceback" not in message
    assert small_dashboard.name in result.stdout
    table, _ = read_comparators(tmp_path / "out")
    assert len(table) == 12


def test_import_files_for_a_published_only_run_still_refuses_an_unrecognised_file(tmp_path):
    from edstats.compare.importers import import_files

    notes = tmp_path / "notes.csv"
    notes.write_text("what,why\nthis,that\n")
    with pytest.raises(InputError, match="notes.csv.*LAIT bds_long"):
        import_files([notes])
