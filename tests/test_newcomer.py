"""A newcomer's mistakes (issue 19, item 10): options that would be ignored, the LA's new-style
code, running outside the checkout, the NEET dashboard file, and an import with one wrong file."""

import subprocess
import sys

import pandas as pd
import pytest

from conftest import REFERENCE_DATA
from edstats.errors import EdstatsError

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
