"""The Quarto renderer: ``quarto render`` on the executed notebook, to HTML and to PDF through
Quarto's typst format.

Quarto does not run the notebook again (papermill has). It renders a copy in a folder of its own
outside any Quarto project (the repository's ``_quarto.yml`` would send the output to
``reports/``), with a ``_quarto.yml`` written there from the repository's: its ``lang`` and
``format`` options (A4, margins, embed-resources, echo) plus what the pip-only renderer shares:
the typst partials (``templates/typst-template.typ``, ``typst-show.typ``), the HTML style sheet
(``templates/paper.css``) and the meeting, council and synthetic flag for the running header. Each chart's alt text stated from its numbers replaces
the notebook's fixed ``fig-alt`` in the copy, so Quarto's HTML says what the chart shows.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import nbformat
import yaml

from ..errors import EdstatsError
from . import TEMPLATES

_TARGETS = {"html": "html", "pdf": "typst"}
PARTIALS = ("typst-template.typ", "typst-show.typ")
STYLE = "paper.css"


def quarto_executable() -> str | None:
    """``quarto`` on PATH, else the copy ``make`` and ``.ci/run`` install into the checkout's ``.quarto/``."""
    found = shutil.which("quarto")
    if found:
        return found
    local = Path(__file__).resolve().parents[3] / ".quarto" / "bin" / "quarto"
    return str(local) if local.exists() else None


def quarto_version() -> str:
    quarto = quarto_executable()
    if quarto is None:
        return ""
    done = subprocess.run([quarto, "--version"], capture_output=True, text=True)
    return done.stdout.strip()


def _with_stated_alt_text(nb):
    """Each figure cell's ``#| fig-alt`` set to its chart's own alt text (the PNG output's metadata);
    a figure cell that drew no chart (its data were not supplied: a sentence says so) loses its
    label and caption, or Quarto would number a figure that is not there."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        alts = [o.get("metadata", {}).get("alt") for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        if not alts and "#| label: fig-" in cell.source:
            cell.source = "\n".join(line for line in cell.source.splitlines()
                                    if not line.startswith(("#| label: fig-", "#| fig-cap:", "#| fig-alt:")))
            continue
        if not alts or not alts[0]:
            continue
        lines = [line for line in cell.source.splitlines() if not line.startswith("#| fig-alt:")]
        options = [i for i, line in enumerate(lines) if line.startswith("#|")]
        lines.insert(options[-1] + 1 if options else 0, "#| fig-alt: " + json.dumps(alts[0], ensure_ascii=False))
        cell.source = "\n".join(lines)
    return nb


def _project(config: dict, extra: dict) -> dict:
    """The render folder's _quarto.yml: the repository's lang and format options, the shared typst
    partials, and the header's meeting, council and synthetic flag."""
    formats = json.loads(json.dumps(config.get("format") or {}))
    typst = formats.setdefault("typst", {})
    typst["template-partials"] = list(PARTIALS)        # copied into the render folder: Quarto wants them there
    html = formats.setdefault("html", {})
    html["css"] = [STYLE]                              # the pip-only renderer's style sheet, embedded
    return {"lang": config.get("lang", "en-GB"), "execute": {"enabled": False}, "format": formats,
            "council-name": extra.get("council_name", ""), "meeting": extra.get("meeting", ""),
            "synthetic": bool(extra.get("synthetic"))}


def render_with_quarto(executed: Path, out_dir: Path, stem: str, formats, extra: dict, config: dict) -> list[Path]:
    """Render ``executed`` to ``out_dir/<stem>.<format>`` with Quarto; ``config`` is the
    repository's ``_quarto.yml`` (:func:`edstats.render.quarto_config`)."""
    from .builtin import drop_suspects_flag

    quarto = quarto_executable()
    if quarto is None:
        raise EdstatsError("EDSTATS_RENDERER=quarto, but Quarto is not installed: install it (docs/papers.md) or "
                           "unset EDSTATS_RENDERER to use the pip-only renderer.")
    written = []
    with tempfile.TemporaryDirectory(prefix=f"edstats-quarto-{stem}-") as work:
        work = Path(work)
        (work / "_quarto.yml").write_text(yaml.safe_dump(_project(config, extra), sort_keys=False, allow_unicode=True),
                                          encoding="utf-8")
        for shared in (*PARTIALS, STYLE):
            shutil.copy(TEMPLATES / shared, work)
        nb = _with_stated_alt_text(nbformat.read(executed, as_version=4))
        nbformat.write(nb, work / f"{stem}.ipynb")
        for fmt in formats:
            result = subprocess.run([quarto, "render", f"{stem}.ipynb", "--to", _TARGETS[fmt]], cwd=work,
                                    capture_output=True, text=True)
            made = work / f"{stem}.{fmt}"
            if result.returncode != 0 or not made.exists():
                raise EdstatsError(f"quarto render failed for {executed.name} ({fmt}): "
                                   f"{(result.stderr or result.stdout).strip()[-800:]} Set EDSTATS_RENDERER=builtin "
                                   "to use the pip-only renderer instead.")
            target = out_dir / f"{stem}.{fmt}"
            if fmt == "pdf":
                drop_suspects_flag(made, target)
            else:
                shutil.move(str(made), target)
            written.append(target)
    return written
