"""Importers on DfE's real files (read in place) and published-only mode for Birmingham (330)."""

import subprocess
import sys

import pandas as pd
import pytest

from conftest import REFERENCE_DATA
from edstats.compare.ees import read_ees
from edstats.compare.lait import lait_time_period, read_lait
from edstats.compare.neighbours import read_neighbours
from edstats.compare.table import la_code_lookup

pytestmark = pytest.mark.skipif(not REFERENCE_DATA.exists(), reason="../shared/reference-data is absent")
LAIT = REFERENCE_DATA / "lait" / "bds_long_0.parquet"
SN_2025 = REFERENCE_DATA / "statistical_neighbours" / "sn_model_2025_wide.csv"
SN_2021 = REFERENCE_DATA / "statistical_neighbours" / "New_Statistical_Neighbour_Groupings_April_2021.csv"
LAS = REFERENCE_DATA / "la_codes" / "las.csv"


def test_lait_year_labels():
    assert lait_time_period(pd.Series(["2025", "2023/24", "2016"])).tolist() == ["202425", "202324", "201516"]


def test_lait_import_values_codes_and_names():
    table = read_lait(LAIT, la_code_lookup(LAS))
    def value(measure, tp, name):
        return table[(table["measure_id"] == measure) & (table["time_period"] == tp) & (table["area_name"] == name)]["value"].iloc[0]
    assert value("eyfs_gld_pct", "202425", "Birmingham") == 66.3
    assert value("eyfs_gld_pct", "202425", "West Midlands") == pytest.approx(66.9)   # float artefact 66.900000000000006
    assert value("excl_perm_rate", "202324", "Birmingham") == pytest.approx(0.1471)
    assert value("abs_persistent_pct", "202425", "England") == 18.14
    assert "Bristol, City of" in set(table["area_name"])
    covid = table[(table["measure_id"] == "eyfs_gld_pct") & (table["time_period"] == "202021")]
    assert covid["value"].isna().all()                                                 # '-' is no data
    sheffield = table[(table["area_name"] == "Sheffield") & (table["measure_id"] == "eyfs_gld_pct")].set_index("time_period")
    assert sheffield.loc["202324", "area_code"] == "E08000019" and sheffield.loc["202425", "area_code"] == "E08000039"
    assert set(sheffield["old_la_code"]) == {"373"}


def test_statistical_neighbour_models_with_vintage():
    sn25 = read_neighbours(SN_2025)
    assert sn25[sn25["la_code"] == "330"]["member_code"].tolist() == [
        "892", "352", "380", "391", "353", "889", "373", "806", "852", "355"]
    sn21 = read_neighbours(SN_2021)
    assert sn21[sn21["la_code"] == "330"]["member_code"].tolist() == [
        "821", "333", "336", "892", "352", "335", "308", "831", "320", "380"]
    assert set(sn25["vintage"]) == {"2025"} and set(sn21["vintage"]) == {"2021"}


def test_ees_eyfsp_file():
    table = read_ees(REFERENCE_DATA / "eyfsp" / "1_eyfsp_headline_measures_2022.csv")
    gld = table[table["measure_id"] == "eyfs_gld_pct"]
    england = gld[gld["geographic_level"] == "National"].iloc[0]
    assert (england["numerator"], england["denominator"], england["value"]) == (405723, 622583, 65.2)
    brum = gld[gld["old_la_code"] == "330"].iloc[0]
    assert (brum["numerator"], brum["denominator"], brum["value"]) == (9453, 15083, 62.7)


@pytest.fixture(scope="module")
def published(tmp_path_factory, repo_root):
    base = tmp_path_factory.mktemp("published")
    imported = base / "comparators"
    done = subprocess.run([sys.executable, "-m", "edstats", "comparators", "import", str(LAIT), str(SN_2025), str(LAS),
                           "--out", str(imported)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result = subprocess.run([sys.executable, "-m", "edstats", "report", "--published-only", "--la", "330",
                             "--comparators", str(imported), "--out", str(base / "reports"), "--period", "2026-01",
                             "--build", str(base / "build"), "--notebooks", str(repo_root / "notebooks")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return base / "reports" / "2026-01"


def test_published_only_birmingham_key_figures_equal_lait(published):
    kpm = pd.read_csv(published / "kpm.csv", dtype={"time_period": str}).set_index(["measure_id", "time_period"])
    assert kpm.loc[("eyfs_gld_pct", "202425"), "value"] == 66.3
    assert kpm.loc[("ks2_rwm_exp_pct", "202425"), "value"] == 63
    assert kpm.loc[("abs_persistent_pct", "202425"), "value"] == 20.96
    html = (published / "council.html").read_text()
    assert "Published figures only" in html and "Birmingham" in html
    assert "Synthetic data" not in html


def test_published_only_sn_averages_equal_an_independent_computation(published):
    kpm = pd.read_csv(published / "kpm.csv", dtype={"time_period": str}).set_index(["measure_id", "time_period"])
    raw = pd.read_parquet(LAIT)
    sn = pd.read_csv(SN_2025, dtype=str, encoding="utf-8-sig")
    row = sn[sn["old_la_code"] == "330"].iloc[0]
    neighbours = [int(row[f"SN_{k}"]) for k in range(1, 11)]
    for lait_code, measure_id, year, tp in [("FSP_NEW_GOODDEV", "eyfs_gld_pct", "2025", "202425"),
                                            ("TotPerAbNew", "abs_persistent_pct", "2025", "202425"),
                                            ("TotPermEx", "excl_perm_rate", "2023/24", "202324")]:
        values = raw[(raw["Short Desc"] == lait_code) & (raw["Years"] == year) & raw["LA Number"].isin(neighbours)]
        numbers = pd.to_numeric(values["Values"], errors="coerce").dropna()
        assert kpm.loc[(measure_id, tp), "sn_average"] == pytest.approx(numbers.mean())
        assert kpm.loc[(measure_id, tp), "sn_count"] == len(numbers)
    assert kpm.loc[("eyfs_gld_pct", "202425"), "rank"] == 113 and kpm.loc[("eyfs_gld_pct", "202425"), "band"] == "C"


def test_comparator_group_is_a_run_parameter(published, tmp_path, repo_root):
    imported = published.parent.parent / "comparators"
    done = subprocess.run([sys.executable, "-m", "edstats", "comparators", "import", str(SN_2021), "--out", str(imported)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result = subprocess.run([sys.executable, "-m", "edstats", "report", "--published-only", "--la", "330",
                             "--comparators", str(imported), "--out", str(tmp_path / "reports"), "--period", "2026-01",
                             "--sn-vintage", "2021", "--audience", "council", "--format", "html",
                             "--build", str(tmp_path / "build"), "--notebooks", str(repo_root / "notebooks")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    kpm = pd.read_csv(tmp_path / "reports" / "2026-01" / "kpm.csv", dtype={"time_period": str, "sn_vintage": str})
    assert set(kpm["sn_vintage"].dropna()) == {"2021"}
    raw = pd.read_parquet(LAIT)
    sn21 = [821, 333, 336, 892, 352, 335, 308, 831, 320, 380]
    gld = pd.to_numeric(raw[(raw["Short Desc"] == "FSP_NEW_GOODDEV") & (raw["Years"] == "2025")
                            & raw["LA Number"].isin(sn21)]["Values"], errors="coerce").dropna()
    row = kpm[(kpm["measure_id"] == "eyfs_gld_pct") & (kpm["time_period"] == "202425")].iloc[0]
    assert row["sn_average"] == pytest.approx(gld.mean())
    assert "DfE model 2021" in (tmp_path / "reports" / "2026-01" / "council.html").read_text()


def test_another_las_settings_are_never_used(published):
    """Issue 19 item 1: the Birmingham paper showed Wyvern City's targets from the default edstats.yml
    (RWM 63% 'Met' against 62%). A run for another LA uses no target, contact or comparator choice of it."""
    kpm = pd.read_csv(published / "kpm.csv", dtype={"time_period": str})
    assert kpm["target"].isna().all() and kpm["next_target"].isna().all()
    assert kpm["status"].isna().all()
    text = (published / "council.html").read_text()
    assert "No target set" in text and ">Met<" not in text and "Not met<" not in text
    manifest = (published / "manifest.json").read_text()
    assert '"targets": {}' in manifest


def test_core_cities_average_leaves_the_la_out_and_groups_are_named(published):
    """Issue 19 item 3: Birmingham was in its own core-cities average (n = 8); neither paper named its
    statistical neighbours or core cities."""
    kpm = pd.read_csv(published / "kpm.csv", dtype={"time_period": str}).set_index(["measure_id", "time_period"])
    raw = pd.read_parquet(LAIT)
    core = ["Bristol, City of", "Leeds", "Liverpool", "Manchester", "Newcastle upon Tyne", "Nottingham", "Sheffield"]
    gld = raw[(raw["Short Desc"] == "FSP_NEW_GOODDEV") & (raw["Years"] == "2025") & raw["LA and Regions"].isin(core)]
    assert kpm.loc[("eyfs_gld_pct", "202425"), "core_cities_count"] == 7
    assert kpm.loc[("eyfs_gld_pct", "202425"), "core_cities_average"] == pytest.approx(
        pd.to_numeric(gld["Values"]).mean())
    for paper in ("council", "scrutiny"):
        text = (published / f"{paper}.html").read_text()
        assert "statistical neighbours (DfE model 2025): Nottingham, Manchester, Bradford" in text
        assert "core cities: City of Bristol, Leeds, Liverpool, Manchester, Newcastle upon Tyne, Nottingham, " \
               "Sheffield." in text


def test_for_la_keeps_only_what_applies_to_any_la():
    from edstats.settings import Contact, Methodology, Settings, for_la

    mine = Settings(targets={"eyfs_gld_pct": {"2024/25": 67.0}}, contact=Contact(name="A. Officer"),
                    methodology=Methodology(neet_average="rates"), suppression_threshold=10)
    same, own = for_la(mine, "999")
    assert own and same is mine
    other, own = for_la(mine, "330", "E08000025")
    assert not own and other.targets == {} and other.contact == Contact()
    assert other.methodology.neet_average == "rates" and other.suppression_threshold == 10
    assert other.comparators.core_cities == () and other.comparators.sn_vintage == ""   # DfE's 8 if it is one
