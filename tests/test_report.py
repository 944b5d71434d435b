"""The whole run on a small synthetic LA: papermill, HTML and PDF, atomic report folders.

The GLD figure is recomputed here from the raw CSV with the standard library only, so the test
does not read its expected value back from the code under test.
"""

import csv
import hashlib
import json
import shutil
from pathlib import Path
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser

import nbformat
import pandas as pd
import pytest
from pypdf import PdfReader

from edstats.errors import NotebookFailed
from edstats.pipeline import build_report
from edstats.settings import Settings

pytestmark = pytest.mark.slow


def independent_gld(eyfsp_csv):
    """GLD % for one year's file: all of ELGs 01-12 at '2', whole-child 'A' records left out."""
    met = total = 0
    with open(eyfsp_csv, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            elgs = [row[f"elg{i:02d}"] for i in range(1, 18)]
            if all(v == "A" for v in elgs):
                continue
            total += 1
            met += all(v == "2" for v in elgs[:12])
    return Decimal(100 * met / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def run(tmp_path_factory, small_data, repo_root):
    base = tmp_path_factory.mktemp("report")
    folder = build_report(small_data, base / "reports", Settings(), period="2026-01",
                          notebooks_dir=repo_root / "notebooks", build_dir=base / "build", cache_dir=base / "cache")
    return folder, base


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(path):
    parser = _Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tags


def test_report_folder_holds_every_output(run):
    folder, _ = run
    assert folder.name == "2026-01"
    names = {p.name for p in folder.iterdir()}
    assert {"council.html", "council.pdf", "scrutiny.html", "scrutiny.pdf", "measures.csv",
            "measures.meta.csv", "manifest.json"} <= names
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")], "no staging folder left behind"


@pytest.mark.parametrize("paper", ["council", "scrutiny"])
def test_independent_gld_figure_is_in_html_and_pdf(run, small_data, paper):
    folder, _ = run
    expected = f"{independent_gld(small_data / 'eyfsp' / 'eyfsp_2024-25.csv')}%"
    assert expected in (folder / f"{paper}.html").read_text(encoding="utf-8")
    pdf_text = " ".join(page.extract_text() for page in PdfReader(folder / f"{paper}.pdf").pages)
    assert expected in pdf_text


@pytest.mark.parametrize("paper", ["council", "scrutiny"])
def test_html_is_offline_titled_and_has_one_h1(run, paper):
    folder, _ = run
    tags = _tags(folder / f"{paper}.html")
    links = [v for _, attrs in tags for k, v in attrs.items() if k in ("src", "href") and v]
    assert not [v for v in links if v.startswith(("http://", "https://", "//"))]
    assert [t for t, _ in tags].count("h1") == 1
    assert any(t == "html" and a.get("lang") == "en-GB" for t, a in tags)
    text = (folder / f"{paper}.html").read_text(encoding="utf-8")
    assert "<title>Education performance</title>" in text
    assert "embed-resources" not in text and "execute:" not in text, "front matter must not be printed"
    assert "Synthetic data — not real figures" in text
    assert "<script" not in text


@pytest.mark.parametrize("paper", ["council", "scrutiny"])
def test_pdf_is_a4_with_the_notice_and_page_numbers_on_every_page(run, paper):
    folder, _ = run
    reader = PdfReader(folder / f"{paper}.pdf")
    for number, page in enumerate(reader.pages, start=1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (595, 842)   # A4 in points
        text = page.extract_text()
        assert "Synthetic data — not real figures" in text
        assert f"Page {number} of {len(reader.pages)}" in text


def test_pdf_table_is_a_real_table(run):
    folder, base = run
    typst_source = (base / "build" / "2026-01" / "council_pdf" / "council.typ").read_text(encoding="utf-8")
    assert "#table(" in typst_source and "table.header(" in typst_source
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(folder / "council.pdf").pages).replace("\xa0", " ").split())
    assert "Table 1: Key performance measures" in text
    assert "Measure Latest Previous Change England" in text
    assert "Good level of development" in text and "Core cities" in text


def test_html_captions_and_alt_text(run):
    folder, _ = run
    tags = _tags(folder / "scrutiny.html")
    images = [a for t, a in tags if t == "img"]
    assert images and all(a.get("alt") for a in images)
    assert any("Line chart of good level of development" in a["alt"] for a in images)
    text = (folder / "scrutiny.html").read_text(encoding="utf-8")
    assert "<figcaption>Key performance measures" in text
    assert '<th scope="col"' in text


def test_manifest_records_inputs_parameters_and_code(run, small_data):
    folder, _ = run
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["period"] == "2026-01"
    assert manifest["synthetic_data"] is True
    assert manifest["renderer"] in ("builtin", "quarto")
    eyfsp = [i for i in manifest["inputs"] if i["dataset"] == "eyfsp"]
    assert len(eyfsp) == 6
    first = eyfsp[0]
    assert first["sha256"] == hashlib.sha256((small_data / first["file"]).read_bytes()).hexdigest()
    with open(small_data / first["file"], newline="") as fh:
        assert first["rows"] == sum(1 for _ in csv.DictReader(fh))
    assert manifest["settings"]["methodology"]["eyfsp_include_not_assessed_in_denominator"] is False


def test_measures_csv_has_the_open_data_layout(run, small_data):
    folder, _ = run
    with open(folder / "measures.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == [
        "time_period", "time_identifier", "geographic_level", "country_code", "country_name", "region_code",
        "region_name", "new_la_code", "old_la_code", "la_name", "breakdown_topic", "breakdown", "measure_id",
        "numerator", "denominator", "value", "ci_lower", "ci_upper"]
    headline = next(r for r in rows if r["measure_id"] == "eyfs_gld_pct" and r["time_period"] == "202425"
                    and r["breakdown"] == "Total")
    value = Decimal(headline["value"]).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert value == independent_gld(small_data / "eyfsp" / "eyfsp_2024-25.csv")
    assert len(headline["value"]) > 5, "values are unrounded in the data file"


def _hashes(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_failing_notebook_leaves_the_previous_report_untouched(run, small_data, repo_root, tmp_path):
    folder, base = run
    before = _hashes(folder)
    broken = tmp_path / "notebooks"
    shutil.copytree(repo_root / "notebooks", broken)
    nb = nbformat.read(broken / "scrutiny.ipynb", as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell('raise RuntimeError("deliberately broken for the test")'))
    nbformat.write(nb, broken / "scrutiny.ipynb")
    with pytest.raises(NotebookFailed) as failure:
        build_report(small_data, folder.parent, Settings(), period="2026-01", notebooks_dir=broken,
                     build_dir=tmp_path / "build", cache_dir=base / "cache")
    message = str(failure.value)
    assert "scrutiny.ipynb" in message and "deliberately broken" in message
    assert "cell 4 (counting from 1)" in message and "starts 'raise RuntimeError(" in message
    assert _hashes(folder) == before
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


class _TableRows(HTMLParser):
    """The rows of the first table in a page, as lists of cell texts."""

    def __init__(self):
        super().__init__()
        self.rows, self.depth, self.cell, self.done = [], 0, None, False

    def handle_starttag(self, tag, attrs):
        if tag == "table" and not self.done:
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth, self.done = 0, True
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def test_kpm_table_values_equal_the_library(run):
    folder, _ = run
    parser = _TableRows()
    parser.feed((folder / "council.html").read_text(encoding="utf-8"))
    header, *rows = parser.rows
    table = {r[0].rpartition(" (")[0]: dict(zip(header, r)) | {"year": r[0].rpartition(" (")[2].split(",")[0]}
             for r in rows}
    kpm = pd.read_csv(folder / "kpm.csv", dtype={"time_period": str}).set_index(["measure_id", "time_period"])
    checked = 0
    for measure_id, label, unit, dp in [("eyfs_gld_pct", "Good level of development", "%", "0.1"),
                                        ("ks4_att8_avg", "Average Attainment 8 score", "", "0.1"),
                                        ("abs_persistent_pct", "Persistent absence", "%", "0.01")]:
        if label not in table:
            continue
        shown = table[label]
        year = shown["year"]                                          # the year the paper reports, e.g. 2023/24
        k = kpm.loc[(measure_id, year[:4] + year[5:])]
        if k["suppressed"]:
            continue
        expected = str(Decimal(repr(float(k["value"]))).quantize(Decimal(dp), rounding=ROUND_HALF_UP)) + unit
        assert shown["Latest"].startswith(expected), (shown, expected)
        if not pd.isna(k["england"]):
            assert shown["England"] == str(Decimal(repr(float(k["england"]))).quantize(Decimal(dp), rounding=ROUND_HALF_UP)) + unit
        checked += 1
    assert checked >= 2


def test_pdf_holds_every_section_heading(run, repo_root):
    folder, _ = run
    for paper in ("council", "scrutiny"):
        nb = nbformat.read(repo_root / "notebooks" / f"{paper}.ipynb", as_version=4)
        headings = [line.lstrip("#").strip() for c in nb.cells if c.cell_type == "markdown"
                    and "published-only" not in c.metadata.get("tags", [])     # not in a pupil-level paper
                    for line in c.source.splitlines() if line.startswith("#")]
        text = " ".join(p.extract_text() for p in PdfReader(folder / f"{paper}.pdf").pages)
        text = " ".join(text.replace("\xa0", " ").split())
        missing = [h for h in headings if " ".join(h.split()) not in text]
        assert not missing, missing


def test_workbook_has_the_tables_and_notes(run):
    folder, _ = run
    book = pd.read_excel(folder / "measures.xlsx", sheet_name=None)
    assert set(book) == {"KPM", "Measures", "Notes"}
    assert len(book["KPM"]) == len(pd.read_csv(folder / "kpm.csv"))
    assert "c" in set(book["Notes"]["Item"].str.replace("Symbol ", ""))
    # measures.csv whole: each column in the Measures sheet, or (one value in every row) in the notes
    measures = pd.read_csv(folder / "measures.csv", dtype=str, keep_default_na=False)
    sheet = pd.read_excel(folder / "measures.xlsx", sheet_name="Measures", dtype=str, keep_default_na=False)
    once = dict(zip(book["Notes"]["Item"], book["Notes"]["Note"].astype(str)))
    assert len(sheet) == len(measures) and "la_name" not in sheet and once["Every row: la_name"] == "Wyvern City"
    for column in measures:
        if column in sheet:
            assert sheet[column].tolist() == measures[column].tolist(), column
        else:
            assert set(measures[column]) == {once[f"Every row: {column}"]}, column


def test_a_second_period_renders_beside_the_first_without_touching_it(run, small_data, repo_root):
    folder, base = run
    before = _hashes(folder)
    other = build_report(small_data, folder.parent, Settings(), period="2025-11", papers=("council",),
                         formats=("html",), notebooks_dir=repo_root / "notebooks", build_dir=base / "build2",
                         cache_dir=base / "cache")
    assert other.name == "2025-11" and (other / "council.html").exists()
    assert _hashes(folder) == before
    assert json.loads((other / "manifest.json").read_text())["period"] == "2025-11"


def test_unchanged_inputs_reuse_the_report_and_any_change_remakes_it(small_data, repo_root, tmp_path):
    import time

    data = tmp_path / "raw"
    shutil.copytree(small_data, data, ignore=shutil.ignore_patterns("attendance_sessions", "ccis"))
    out, kwargs = tmp_path / "reports", dict(period="2026-01", papers=("council",), formats=("html",),
                                            notebooks_dir=repo_root / "notebooks", build_dir=tmp_path / "b",
                                            cache_dir=tmp_path / "cache")
    first = build_report(data, out, Settings(), **kwargs)
    made = (first / "manifest.json").stat().st_mtime_ns
    started = time.perf_counter()
    build_report(data, out, Settings(), **kwargs)
    assert (first / "manifest.json").stat().st_mtime_ns == made, "unchanged: reused"
    assert time.perf_counter() - started < 20
    build_report(data, out, Settings(suppression_threshold=6), **kwargs)          # settings changed
    assert (first / "manifest.json").stat().st_mtime_ns != made
    made = (first / "manifest.json").stat().st_mtime_ns
    path = sorted((data / "eyfsp").glob("*.csv"))[-1]
    path.write_text(path.read_text().replace(",F,", ",M,", 1))                    # an input changed
    build_report(data, out, Settings(suppression_threshold=6), **kwargs)
    assert (first / "manifest.json").stat().st_mtime_ns != made


def test_pdf_fonts_are_embedded(run):
    folder, _ = run
    for paper in ("council", "scrutiny"):
        fonts = {}
        for page in PdfReader(folder / f"{paper}.pdf").pages:
            for name, ref in (page["/Resources"].get("/Font") or {}).items():
                font = ref.get_object()
                descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font).get(
                    "/FontDescriptor")
                descriptor = descriptor.get_object() if descriptor is not None else {}
                fonts[str(font.get("/BaseFont"))] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
        assert fonts and all(fonts.values()), fonts


def test_relative_folders_work_with_the_papers_made_side_by_side(small_data, repo_root, tmp_path, monkeypatch):
    """Both papers run at once in one process: nothing may change the process's working directory
    under the other (papermill's cwd= would), so relative folders still land where they were meant."""
    monkeypatch.chdir(tmp_path)
    folder = build_report(small_data, "reports", Settings(), period="2026-01", formats=("html",),
                          notebooks_dir=repo_root / "notebooks", build_dir="build", cache_dir="cache")
    assert Path.cwd() == tmp_path
    assert folder == tmp_path / "reports" / "2026-01"
    assert {"council.html", "scrutiny.html", "kpm.csv", "measures.xlsx"} <= {p.name for p in folder.iterdir()}
    assert (tmp_path / "build" / "2026-01" / "scrutiny.ipynb").exists()


@pytest.mark.parametrize("paper", ["council", "scrutiny"])
def test_cross_references_name_their_table_and_figure(run, paper):
    """Quarto's @tbl- and @fig- references, resolved by the pip-only renderer as Quarto does (issue 20)."""
    folder, _ = run
    html = (folder / f"{paper}.html").read_text(encoding="utf-8")
    assert '<a href="#tbl-kpm">Table 1</a> sets each measure' in html and '<a href="#fig-gld">Figure 1</a>' in html
    assert "@tbl-" not in html and "@fig-" not in html
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(folder / f"{paper}.pdf").pages).split())
    assert "Table 1 sets each measure" in text and "Figure 1 and the charts after it" in text


def test_each_kernel_is_handed_the_finished_run_and_reads_no_data(small_data, repo_root, tmp_path):
    """Without a measures cache, the pipeline saves the finished run beside the executed notebooks
    and passes its folder (run_folder) to each kernel, with the settings it used: no data folder,
    so a kernel cannot validate or hash the inputs again. The run read back is the run."""
    from edstats.papers import load_paper
    from edstats.runs import prepare_run

    folder = build_report(small_data, tmp_path / "reports", Settings(), period="2026-01", papers=("council",),
                          formats=("html",), notebooks_dir=repo_root / "notebooks", build_dir=tmp_path / "build",
                          cache_dir=None)
    parameters = json.loads((folder / "manifest.json").read_text())["notebook_parameters"]
    assert "data_dir" not in parameters and "cache_dir" not in parameters
    run_folder = Path(parameters["run_folder"])
    assert run_folder == (tmp_path / "build" / "2026-01" / "run").resolve() and (run_folder / "results.parquet").exists()
    executed = nbformat.read(tmp_path / "build" / "2026-01" / "council.ipynb", as_version=4)
    injected = next(c.source for c in executed.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert "run_folder" in injected and "data_dir" not in injected
    paper = load_paper(data_dir=tmp_path / "no such folder", period="2026-01",
                       settings_file=parameters["settings_file"], run_folder=run_folder)
    computed = prepare_run(small_data, Settings())
    pd.testing.assert_frame_equal(paper.run.results, computed.results)
    pd.testing.assert_frame_equal(paper.run.marked.reset_index(drop=True), computed.marked.reset_index(drop=True))
