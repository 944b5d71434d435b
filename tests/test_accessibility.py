"""Accessibility of the HTML papers: axe-core run in headless Debian Chromium reports no serious or
critical violations; one h1, ordered headings, a language, header cells, alt text.

axe-core is injected into a copy of each paper (the papers themselves carry no script) and its
results are read back from the page with Chromium's --dump-dom.
"""

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import RENDERERS, renderer, require_renderer
from edstats.pipeline import build_report
from edstats.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
AXE = Path(os.environ.get("AXE_CORE_JS", ROOT / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=RENDERERS)
def papers(request, tmp_path_factory, small_data, repo_root):
    """Both papers' HTML from each renderer (the pip-only one and Quarto)."""
    require_renderer(request.param)
    base = tmp_path_factory.mktemp(f"a11y_{request.param}")
    with renderer(request.param):
        return build_report(small_data, base / "reports", Settings(), period="2026-01", formats=("html",),
                            notebooks_dir=repo_root / "notebooks", build_dir=base / "build",
                            cache_dir=base / "cache")


def run_axe(page: Path) -> list[dict]:
    runner = """<script>%s</script><script>
axe.run(document, {resultTypes: ['violations']}).then(function (r) {
  var pre = document.createElement('pre'); pre.id = 'axe-results';
  pre.textContent = JSON.stringify(r.violations.map(function (v) {
    return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(function (n) { return n.target.join(' '); })};
  }));
  document.body.appendChild(pre);
});
</script>""" % AXE.read_text(encoding="utf-8")
    work = Path(tempfile.mkdtemp())
    copy = work / page.name
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", runner + "</body>"), encoding="utf-8")
    result = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                             "--disable-background-networking", "--disable-component-update", "--disable-sync",
                             f"--user-data-dir={work / 'profile'}", "--virtual-time-budget=30000", "--dump-dom",
                             copy.as_uri()], capture_output=True, text=True, timeout=180)
    found = re.search(r'<pre id="axe-results">(.*?)</pre>', result.stdout, re.S)
    assert found, f"axe-core did not report (Chromium said: {result.stderr[-500:]})"
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium; .ci/run does it)")
@pytest.mark.skipif(not AXE.exists(), reason=f"axe-core is not installed at {AXE} (.ci/run installs it from npm)")
@pytest.mark.parametrize("paper", ["council", "scrutiny"])
def test_axe_core_finds_no_serious_or_critical_violations(papers, paper):
    violations = run_axe(papers / f"{paper}.html")
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, json.dumps(serious, indent=1)


@pytest.mark.parametrize("paper", ["council", "scrutiny"])
def test_heading_order_language_and_table_headers(papers, paper):
    text = (papers / f"{paper}.html").read_text(encoding="utf-8")
    # the page's own headings: not those inside Quarto's scripts' markup strings (a popover template)
    text = re.sub(r"<script\b.*?</script>", "", text, flags=re.S)
    levels = [int(h) for h in re.findall(r"<h([1-6])[\s>]", text)]
    assert levels.count(1) == 1 and levels[0] == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), f"a heading level is skipped: {levels}"
    assert re.search(r'<html\b[^>]*\blang="en-GB"', text)
    assert text.count("<table") == text.count("<thead>") and re.search(r'<th\b[^>]*\bscope="col"', text)
    # every image has alt text (an img with no alt attribute at all fails too)
    images = re.findall(r"<img\b[^>]*>", text)
    assert images and all(re.search(r'\balt="[^"]*\S[^"]*"', img) for img in images), \
        [img[:120] for img in images if not re.search(r'\balt="[^"]*\S', img)]
