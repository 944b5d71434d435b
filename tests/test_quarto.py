"""Quarto renders the papers (issue 20): both papers of the default run and of a published-only
run, to HTML and PDF, with every heading, every KPM row and the same numbers and words as kpm.csv
(the checks of test_paper_text.py, on Quarto's pages), nothing loaded from the network, PDFs that
pass qpdf --check, and the renderer and its version in the manifest. The accessibility tests run
on Quarto's HTML too (test_accessibility.py). Skipped where Quarto is not installed; under CI a
missing Quarto fails.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import nbformat
import pytest

from conftest import REFERENCE_DATA, renderer, require_renderer
from edstats.pipeline import build_report
from edstats.settings import load_settings
from test_paper_text import (check_key_messages, check_kpm_table, check_pdf_says_the_same, kpm_of, pdf_text, read_page,
                             _tool)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["pupil-level", "published-only 330"])
def quarto_run(request, tmp_path_factory, small_data, repo_root):
    require_renderer("quarto")
    base = tmp_path_factory.mktemp("quarto")
    with renderer("quarto"):
        if request.param == "pupil-level":
            return build_report(small_data, base / "reports", load_settings(repo_root / "edstats.yml"),
                                period="2026-01", notebooks_dir=repo_root / "notebooks", build_dir=base / "build",
                                cache_dir=base / "cache")
        if not REFERENCE_DATA.exists():
            pytest.skip("../shared/reference-data is absent")
        files = [REFERENCE_DATA / "lait" / "bds_long_0.parquet",
                 REFERENCE_DATA / "statistical_neighbours" / "sn_model_2025_wide.csv",
                 REFERENCE_DATA / "la_codes" / "las.csv"]
        done = subprocess.run([sys.executable, "-m", "edstats", "comparators", "import", *map(str, files),
                               "--out", str(base / "comparators")], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        result = subprocess.run([sys.executable, "-m", "edstats", "report", "--published-only", "--la", "330",
                                 "--comparators", str(base / "comparators"), "--out", str(base / "reports"),
                                 "--period", "2026-01", "--build", str(base / "build"),
                                 "--notebooks", str(repo_root / "notebooks")], capture_output=True, text=True,
                                env={**__import__("os").environ, "EDSTATS_RENDERER": "quarto"})
        assert result.returncode == 0, result.stderr[-3000:]
        return base / "reports" / "2026-01"


def test_the_manifest_names_quarto_and_its_version(quarto_run):
    manifest = json.loads((quarto_run / "manifest.json").read_text())
    assert manifest["renderer"] == "quarto" and manifest["renderer_version"] == "quarto 1.7.34"


@pytest.mark.parametrize("paper", ["council", "scrutiny"])
def test_quarto_pages_say_what_kpm_csv_says(quarto_run, paper):
    kpm = kpm_of(quarto_run)
    page = read_page(quarto_run / f"{paper}.html")
    assert check_key_messages(page, kpm) >= 6
    assert check_kpm_table(page, kpm) >= 8
    check_pdf_says_the_same(page, quarto_run / f"{paper}.pdf")


@pytest.mark.parametrize("paper", ["council", "scrutiny"])
def test_quarto_pages_hold_every_heading_of_their_sections(quarto_run, paper, repo_root):
    from edstats.pipeline import sections_for

    published = json.loads((quarto_run / "manifest.json").read_text())["published_only"]
    nb = sections_for(nbformat.read(repo_root / "notebooks" / f"{paper}.ipynb", as_version=4), published)
    headings = [line.lstrip("#").strip() for c in nb.cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("#")]
    text = pdf_text(quarto_run / f"{paper}.pdf")
    html = " ".join(re.sub(r"<[^>]+>", " ", (quarto_run / f"{paper}.html").read_text(encoding="utf-8")).split())
    assert not [h for h in headings if " ".join(h.split()) not in text]
    assert not [h for h in headings if " ".join(h.split()) not in html]


@pytest.mark.parametrize("paper", ["council", "scrutiny"])
def test_quarto_html_loads_nothing_from_the_network(quarto_run, paper):
    """Quarto adds require.js and jQuery from a CDN to a notebook with a text/html output: the papers' tables
    are markdown holding raw HTML, so it has none; scripts and styles are embedded as data: URIs."""
    text = (quarto_run / f"{paper}.html").read_text(encoding="utf-8")
    external = re.findall(r'(?:src|href)\s*=\s*["\']?\s*(?:https?:)?//[^"\'\s>]+', text, re.I)
    assert not external, external[:5]
    assert "@import url(http" not in text


@pytest.mark.parametrize("paper", ["council", "scrutiny"])
def test_quarto_pdf_is_a4_passes_qpdf_and_poppler_and_has_the_running_header(quarto_run, paper):
    from pypdf import PdfReader

    pdf = quarto_run / f"{paper}.pdf"
    check = subprocess.run([_tool("qpdf"), "--check", str(pdf)], capture_output=True, text=True)
    assert check.returncode == 0 and "No syntax or stream encoding errors" in check.stdout, check.stdout
    read = subprocess.run([_tool("pdftotext"), str(pdf), "-"], capture_output=True, text=True)
    assert read.returncode == 0 and read.stderr == ""
    pages = PdfReader(pdf).pages
    synthetic = not json.loads((quarto_run / "manifest.json").read_text())["published_only"]
    for number, page in enumerate(pages, 1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 595.3) < 1 and abs(height - 841.9) < 1                     # A4 in points
        text = " ".join(page.extract_text().split())
        assert f"Page {number} of {len(pages)}" in text and "Education performance" in text
        assert ("Synthetic data — not real figures" in text) == synthetic
    assert "Table 1: Key performance measures" in pdf_text(pdf)


def test_a_figure_cell_without_a_chart_gets_no_figure_number_and_charts_get_their_stated_alt_text():
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from edstats.render.quarto import _with_stated_alt_text

    drawn = new_code_cell('#| label: fig-pa\n#| fig-cap: "PA"\n#| fig-alt: "Line chart."\nshow_chart(...)')
    drawn.outputs = [new_output("display_data", data={"image/png": "iVBOR"}, metadata={"alt": "PA fell to 21.3%."})]
    missing = new_code_cell('#| label: fig-feed\n#| fig-cap: "Feed"\nshow_chart(...)')
    missing.outputs = [new_output("display_data", data={"text/markdown": "*No daily feed was supplied.*"})]
    nb = _with_stated_alt_text(new_notebook(cells=[drawn, missing]))
    assert '#| fig-alt: "PA fell to 21.3%."' in nb.cells[0].source and "Line chart." not in nb.cells[0].source
    assert "fig-" not in nb.cells[1].source and "show_chart" in nb.cells[1].source


@pytest.mark.parametrize("paper", ["council", "scrutiny"])
def test_quarto_resolves_the_cross_references(quarto_run, paper):
    text = pdf_text(quarto_run / f"{paper}.pdf")
    assert "Table 1 sets each measure" in text and "Figure 1 and the charts after it" in text
    assert "@tbl-" not in (quarto_run / f"{paper}.html").read_text(encoding="utf-8")
