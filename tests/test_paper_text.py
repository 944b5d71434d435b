"""Every number and every comparison word the papers print, read back from the rendered HTML and
PDF and checked against kpm.csv and measures.csv (issue 19: "the papers say only what is true").

The expected text is worked out here, independently of the library: rounding with Decimal
half-up, the direction of travel and 'above'/'below' from the rounded values and the measure's
polarity, 'significant' only where kpm.csv says a test was run. Runs on the default pupil-level
papers of the small synthetic LA and on Birmingham's published-only papers.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser

import pandas as pd
import pytest
from pypdf import PdfReader

from conftest import REFERENCE_DATA
from edstats.measures import measure_dictionary
from edstats.pipeline import build_report
from edstats.settings import load_settings

MINUS = "\u2212"
DICTIONARY = measure_dictionary()


# -- an independent formatter ----------------------------------------------------------------
def rounded(value, dp: int) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP)


def number(value, dp: int) -> str:
    r = rounded(value, dp)
    if r == 0:
        r = abs(r)
    return f"{r:,.{dp}f}".replace("-", MINUS)


def shown(value, measure_id: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "x"
    info = DICTIONARY.loc[measure_id]
    return number(value, int(info["dp"])) + ("%" if info["unit"] == "%" else "")


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def side(a, b, dp) -> int:
    x, y = rounded(a, dp), rounded(b, dp)
    return (x > y) - (x < y)


# -- reading the pages -------------------------------------------------------------------------
class _Page(HTMLParser):
    """The key-message bullets (the first list) and the KPM table (the first table) of a page."""

    def __init__(self):
        super().__init__()
        self.bullets, self.rows, self.alts = [], [], []
        self._li = self._cell = None
        self._list_done = self._in_list = self._in_table = self._table_done = False

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.alts.append(dict(attrs).get("alt", ""))
        if tag == "ul" and not self._list_done:      # the key messages (the recommendations are an ol)
            self._in_list = True
        if tag == "li" and self._in_list:
            self._li = ""
        if tag == "table" and not self._table_done:
            self._in_table = True
        elif self._in_table and tag == "tr":
            self.rows.append([])
        elif self._in_table and tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "li" and self._li is not None:
            self.bullets.append(" ".join(self._li.split()))
            self._li = None
        if tag == "ul" and self._in_list:
            self._in_list, self._list_done = False, True
        if tag == "table" and self._in_table:
            self._in_table, self._table_done = False, True
        elif self._in_table and tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join(self._cell.split()))
            self._cell = None

    def handle_data(self, data):
        if self._li is not None:
            self._li += data
        if self._cell is not None:
            self._cell += data


def read_page(path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def pdf_text(path) -> str:
    text = " ".join(p.extract_text() for p in PdfReader(path).pages)
    return " ".join(text.replace("\xa0", " ").split())


def measure_of(label: str) -> str:
    matches = [m for m, info in DICTIONARY.iterrows() if info["label"].split(" (")[0] == label
               or info["label"] == label]
    assert len(matches) == 1, label
    return matches[0]


# -- the expected words ------------------------------------------------------------------------
def expected_change_cell(k: pd.Series, measure_id: str) -> str:
    info = DICTIONARY.loc[measure_id]
    dp = int(info["dp"])
    if isinstance(k["to_date"], str) and k["to_date"]:
        return "x" if missing(k["previous_period"]) else "not compared (part year)"
    if k["series_break"] and not missing(k["previous_period"]):
        return "not comparable (series break)"
    if missing(k["previous_value"]) or missing(k["value"]) or missing(k["direction"]):
        return "x"
    difference = rounded(k["value"], dp) - rounded(k["previous_value"], dp)
    arrow = "►" if difference == 0 else "▲" if difference > 0 else "▼"
    word = "no change" if difference == 0 else (
        "better" if (difference > 0) == (info["polarity"] == "higher") else "worse")
    sign = "" if difference == 0 else "+" if difference > 0 else ""
    # a change that rounds to nothing is "no change", never starred
    star = "*" if difference != 0 and (k["change_significant"] is True or k["change_significant"] == "True") else ""
    return f"{arrow} {sign}{number(difference, dp)} ({word}){star}"


def significant(value) -> bool | None:
    if missing(value):
        return None
    return value is True or str(value) == "True"


def check_kpm_table(page: _Page, kpm: pd.DataFrame) -> int:
    header, *rows = page.rows
    assert header == ["Measure", "Latest", "Previous", "Change", "England", "Stat. neighbours", "Core cities",
                      "Rank (band)", "Target", "Status", "Next target"]
    checked = 0
    for cells in rows:
        row = dict(zip(header, cells))
        if row["Latest"] == "x":
            continue
        label, _, rest = row["Measure"].rpartition(" (")
        year = rest.split(",")[0]
        measure_id = measure_of(label)
        k = kpm.loc[(measure_id, year[:4] + year[5:])]
        where = f"{label} {year}"
        assert row["Latest"] == ("c" if k["suppressed"] else shown(k["value"], measure_id)), where
        assert row["Change"] == expected_change_cell(k, measure_id), (where, row["Change"])
        assert row["England"] == shown(k["england"], measure_id), where
        assert row["Stat. neighbours"] == shown(k["sn_average"], measure_id), where
        assert row["Core cities"] == shown(k["core_cities_average"], measure_id), where
        rank = "x" if missing(k["rank"]) else f"{int(k['rank'])} of {int(k['las_ranked'])} ({k['band']})"
        assert row["Rank (band)"] == rank, where
        assert row["Target"] == ("No target set" if missing(k["target"]) else shown(k["target"], measure_id)), where
        assert row["Status"] == ("" if missing(k["status"]) else k["status"]), where
        if not missing(k["target"]):
            dp, polarity = int(DICTIONARY.loc[measure_id, "dp"]), DICTIONARY.loc[measure_id, "polarity"]
            gap = Decimal(repr(float(k["value"]))) - Decimal(repr(float(k["target"])))
            if polarity == "lower":
                gap = -gap
            assert (row["Status"] == "Met") == (gap >= 0), where
        assert row["Next target"] == ("No target set" if missing(k["next_target"]) else
                                      f"{shown(k['next_target'], measure_id)} ({k['next_period'][:4]}/"
                                      f"{k['next_period'][4:]})"), where
        checked += 1
    return checked


MESSAGE = re.compile(r"^(?P<label>[^:]+?): (?P<value>\S+) in (?P<year>\d{4}/\d{2}) \((?P<edition>[^)]*)\)"
                     r"(?P<rest>.*)$")
CHANGE = re.compile(r"^, (?P<dir>up|down) (?P<size>[\d.,]+)(?: percentage points?)? from (?P<prev>\S+) in "
                    r"(?P<pyear>\d{4}/\d{2}) \((?P<word>better|worse)(?P<sig>, a statistically significant change|"
                    r", not a statistically significant change)?\)\.")


def check_key_messages(page: _Page, kpm: pd.DataFrame) -> int:
    checked = 0
    for bullet in page.bullets:
        m = MESSAGE.match(bullet)
        if m is None:
            assert "not available" in bullet or "suppressed (c)" in bullet, bullet
            continue
        label = m["label"]
        measure_id = next(mid for mid, info in DICTIONARY.iterrows() if info["label"] == label)
        info = DICTIONARY.loc[measure_id]
        dp, unit, polarity = int(info["dp"]), info["unit"], info["polarity"]
        tp = m["year"][:4] + m["year"][5:]
        k = kpm.loc[(measure_id, tp)]
        assert m["value"] == shown(k["value"], measure_id), bullet
        rest = m["rest"]
        change = CHANGE.match(rest)
        if change:
            assert change["prev"] == shown(k["previous_value"], measure_id), bullet
            direction = side(k["value"], k["previous_value"], dp)
            assert change["dir"] == ("up" if direction > 0 else "down"), bullet
            size = abs(rounded(k["value"], dp) - rounded(k["previous_value"], dp))
            assert change["size"] == number(size, dp), bullet
            if unit == "%":
                assert (" percentage point from" in rest) == (change["size"] == "1"), bullet
            assert change["word"] == ("better" if (direction > 0) == (polarity == "higher") else "worse"), bullet
            sig = significant(k["change_significant"])
            assert change["sig"] == (None if sig is None else ", a statistically significant change" if sig
                                     else ", not a statistically significant change"), bullet
            rest = rest[change.end():]
        elif rest.startswith(", the same as in"):
            assert side(k["value"], k["previous_value"], dp) == 0, bullet
        else:      # no comparison: a series break, a part year, no earlier year
            assert missing(k["direction"]) or k["series_break"], bullet
        england = k["england"]
        if not missing(england):
            s = side(k["value"], england, dp)
            sig = significant(k["vs_england_significant"])
            e = shown(england, measure_id)
            expected = (f"The same as England ({e})." if s == 0 else
                        f"Significantly {'above' if s > 0 else 'below'} England ({e})." if sig else
                        f"{'Above' if s > 0 else 'Below'} England ({e}), but not significantly." if sig is False else
                        f"{'Above' if s > 0 else 'Below'} England ({e}).")
            assert expected in rest, (bullet, expected)
            if sig is None:
                assert "significan" not in rest.split("England")[1].split(".")[0], bullet
        for key, name in (("sn_average", "statistical neighbours"), ("core_cities_average", "core cities")):
            if not missing(k[key]):
                s = side(k["value"], k[key], dp)
                word = "The same as" if s == 0 else "Above" if s > 0 else "Below"
                assert f"{word} {name} ({shown(k[key], measure_id)})." in rest, (bullet, name)
            else:
                assert name not in rest, bullet
        if not missing(k["target"]):
            status = {"Met": "met", "Close": "not met, but close"}.get(k["status"], "not met")
            assert f"Target for {m['year']}: {shown(k['target'], measure_id)}, {status}." in rest, bullet
        else:
            assert "Target for" not in rest, bullet
        checked += 1
    return checked


def check_pdf_says_the_same(page: _Page, pdf) -> None:
    text = pdf_text(pdf)
    for bullet in page.bullets:
        assert bullet in text, bullet
    for cells in page.rows[1:]:
        for cell in cells:
            for word in cell.split():
                assert word in text, (cell, word)


# -- the runs ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def default_run(tmp_path_factory, small_data, repo_root):
    base = tmp_path_factory.mktemp("text")
    return build_report(small_data, base / "reports", load_settings(repo_root / "edstats.yml"), period="2026-01",
                        notebooks_dir=repo_root / "notebooks", build_dir=base / "build", cache_dir=base / "cache")


#: Birmingham (the worked case), Sheffield (whose new-style code changed in 2025) and Rutland (one of
#: the smallest LAs, with suppressed figures)
PUBLISHED_LAS = ("330", "373", "857")


def published_papers(la, tmp_path_factory, repo_root):
    if not REFERENCE_DATA.exists():
        pytest.skip("../shared/reference-data is absent")
    base = tmp_path_factory.mktemp(f"text_published_{la}")
    files = [REFERENCE_DATA / "lait" / "bds_long_0.parquet",
             REFERENCE_DATA / "statistical_neighbours" / "sn_model_2025_wide.csv",
             REFERENCE_DATA / "la_codes" / "las.csv", REFERENCE_DATA / "neet" / "UD_NEETNK_LA_dashboard_2025_final.csv"]
    done = subprocess.run([sys.executable, "-m", "edstats", "comparators", "import", *map(str, files),
                           "--out", str(base / "comparators")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result = subprocess.run([sys.executable, "-m", "edstats", "report", "--published-only", "--la", la,
                             "--comparators", str(base / "comparators"), "--out", str(base / "reports"),
                             "--period", "2026-01", "--build", str(base / "build"),
                             "--notebooks", str(repo_root / "notebooks")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return base / "reports" / "2026-01"


@pytest.fixture(scope="module", params=PUBLISHED_LAS)
def published_run(request, tmp_path_factory, repo_root):
    return published_papers(request.param, tmp_path_factory, repo_root)


@pytest.fixture(scope="module", params=["pupil-level", *PUBLISHED_LAS])
def any_run(request, tmp_path_factory, small_data, repo_root):
    """The default papers of the small synthetic LA, and each published-only LA's."""
    if request.param == "pupil-level":
        return request.getfixturevalue("default_run")
    return published_papers(request.param, tmp_path_factory, repo_root)


def kpm_of(folder) -> pd.DataFrame:
    kpm = pd.read_csv(folder / "kpm.csv", dtype={"time_period": str, "previous_period": str, "next_period": str,
                                                "to_date": str, "direction": str}, keep_default_na=False,
                      na_values=[""])
    for column in ("change_significant", "vs_england_significant"):
        kpm[column] = kpm[column].map({"True": True, "False": False, True: True, False: False})
    kpm["to_date"] = kpm["to_date"].fillna("")
    return kpm.set_index(["measure_id", "time_period"])


@pytest.mark.parametrize("paper", ["council", "scrutiny"])
def test_every_number_and_word_of_the_key_messages_and_the_kpm_table(any_run, paper):
    folder = any_run
    kpm = kpm_of(folder)
    page = read_page(folder / f"{paper}.html")
    assert check_key_messages(page, kpm) >= 6
    assert check_kpm_table(page, kpm) >= 8
    check_pdf_says_the_same(page, folder / f"{paper}.pdf")


def test_the_provision_chart_counts_are_the_sixth_day_measures(default_run):
    """Issue 19 item 7: 'By day 6: 57' and 'Still waiting 13' against the measures' 55 of 91 and 9."""
    page = read_page(default_run / "scrutiny.html")
    alt = next(a for a in page.alts if a.startswith("Bar chart of permanent exclusions this academic year"))
    bands = dict(part.rsplit(" ", 1) for part in alt.split(": ", 1)[1].rstrip(".").split("; "))
    measures = pd.read_csv(default_run / "measures.csv", dtype=str)
    total = measures[(measures["breakdown_topic"] == "Total")]
    current = total[total["measure_id"] == "sixth_day_without_provision_count"]["time_period"].max()

    def published(measure_id, column):
        row = total[(total["measure_id"] == measure_id) & (total["time_period"] == current)].iloc[0]
        return row[column]

    assert bands["Still waiting"] == published("sixth_day_without_provision_count", "value").split(".")[0]
    within = published("sixth_day_within_pct", "numerator")
    assert bands["By day 6"] == within.split(".")[0]
    decided = [v for b, v in bands.items() if b != "Sixth day still to come"]
    if "c" not in decided:
        assert sum(int(v) for v in decided) == int(float(published("sixth_day_within_pct", "denominator")))


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed; .ci/run installs it (Debian package qpdf / poppler-utils)")
        pytest.skip(f"{name} is not installed (Debian: apt-get install qpdf poppler-utils)")
    return path


@pytest.mark.parametrize("paper", ["council", "scrutiny"])
def test_pdf_passes_qpdf_check_and_poppler_reads_it_without_error(any_run, paper):
    """Issue 19 item 9: poppler reported 'Syntax Error: Suspects object is wrong type' on both PDFs."""
    pdf = any_run / f"{paper}.pdf"
    check = subprocess.run([_tool("qpdf"), "--check", str(pdf)], capture_output=True, text=True)
    assert check.returncode == 0 and "No syntax or stream encoding errors" in check.stdout, check.stdout + check.stderr
    read = subprocess.run([_tool("pdftotext"), str(pdf), "-"], capture_output=True, text=True)
    assert read.returncode == 0 and read.stderr == "", read.stderr


def test_published_only_papers_leave_out_what_needs_pupil_level_data(published_run):
    """Issue 19 item 8: a 10-page scrutiny paper of mostly 'Not available', 'All 0 rows read passed
    validation', and 'About these figures' saying the figures came from pupil-level records."""
    for paper in ("council", "scrutiny"):
        text = pdf_text(published_run / f"{paper}.pdf")
        for pupil_level in (": pupil groups", "Districts and schools", "In-year monitoring", "funnel",
                            "rows read passed validation", "computed by edstats from pupil-level records",
                            "live data", "Not available"):
            assert pupil_level not in text, (paper, pupil_level)
        assert "Department for Education’s as published" in text or "Department for Education's as published" in text
    scrutiny = pdf_text(published_run / "scrutiny.pdf")
    assert "Disadvantaged pupils" in scrutiny and len(PdfReader(published_run / "scrutiny.pdf").pages) <= 7


def test_a_paper_for_a_meeting_before_most_data_is_published(small_data, repo_root, tmp_path):
    """Issue 19 item 10: --period 2019-01 crashed the scrutiny paper (TypeError in cell 29)."""
    folder = build_report(small_data, tmp_path / "reports", load_settings(repo_root / "edstats.yml"),
                          period="2019-01", formats=["html"], notebooks_dir=repo_root / "notebooks",
                          build_dir=tmp_path / "build", cache_dir=tmp_path / "cache")
    assert (folder / "scrutiny.html").exists() and (folder / "council.html").exists()


def test_no_part_year_exclusion_rate_is_published(default_run):
    """Issue 19 item 5: a 2025/26 permanent-exclusion rate from exclusions to 19 December over a
    full year's roll was shown as the year's rate; the open data held it too."""
    import json

    as_at = json.loads((default_run / "manifest.json").read_text())
    measures = pd.read_csv(default_run / "measures.csv", dtype=str)
    rates = measures[measures["measure_id"].isin(["excl_perm_rate", "excl_susp_rate"])]
    sixth = measures[measures["measure_id"] == "sixth_day_without_provision_count"]["time_period"].max()
    assert sixth not in set(rates["time_period"]), as_at.get("period")   # the year under way: live counts only
    assert len(rates) > 0


def test_the_kpm_notes_say_what_close_means_and_what_x_and_c_are(default_run):
    """The reviewer's 'Close (within a small margin)' with no margin stated; x explained only at the end."""
    text = pdf_text(default_run / "council.pdf")
    assert "Close (not met, by no more than 1 percentage point for percentages)" in text
    assert "x: not available; c: suppressed to protect individuals." in text
