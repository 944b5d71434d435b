"""Rendering executed notebooks into papers: Quarto when it is installed, otherwise pip-only.

The pip-only path (``builtin``) is the one tested here: nbconvert HTML with an offline
template, and nbconvert markdown -> pandoc (pypandoc-binary) -> typst for the PDF. The
Quarto path is a thin call (``quarto.py``) that this project cannot test on machines without
Quarto. ``EDSTATS_RENDERER=builtin`` forces the pip-only path even where Quarto is present.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml

from ..errors import EdstatsError

TEMPLATES = Path(__file__).with_name("templates")

_DEFAULTS = {"papersize": "a4", "margin": {"x": "2cm", "top": "2.6cm", "bottom": "2cm"}, "lang": "en-GB"}


def renderer_name() -> str:
    """'quarto' when quarto is on PATH (and not overridden), else 'builtin'."""
    choice = os.environ.get("EDSTATS_RENDERER", "").strip().lower()
    if choice in ("builtin", "quarto"):
        return choice
    return "quarto" if shutil.which("quarto") else "builtin"


def project_options(start: Path) -> dict:
    """Options shared with Quarto, read from the nearest ``_quarto.yml`` above ``start``.

    Returns lang, papersize and margins (typst format), so the two renderers cannot drift.
    """
    for folder in [start, *start.parents]:
        path = folder / "_quarto.yml"
        if path.exists():
            config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            typst = (config.get("format") or {}).get("typst") or {}
            margin = dict(_DEFAULTS["margin"]) | (typst.get("margin") or {})
            return {"papersize": typst.get("papersize", _DEFAULTS["papersize"]), "margin": margin,
                    "lang": config.get("lang", _DEFAULTS["lang"])}
    return dict(_DEFAULTS)


def render_paper(executed: Path, out_dir: Path, stem: str, formats, extra: dict) -> list[Path]:
    """Render one executed notebook to ``out_dir/<stem>.<format>`` for each format.

    ``extra`` carries what the notebook does not: ``meeting`` (e.g. 'January 2026'),
    ``council_name`` and ``synthetic`` (bool).
    """
    unknown = set(formats) - {"html", "pdf"}
    if unknown:
        raise EdstatsError(f"Unknown output format(s) {', '.join(sorted(unknown))}: choose html and/or pdf.")
    if renderer_name() == "quarto":
        from .quarto import render_with_quarto

        return render_with_quarto(executed, out_dir, stem, formats)
    from .builtin import render_builtin

    return render_builtin(executed, out_dir, stem, formats, extra, project_options(executed.parent))
