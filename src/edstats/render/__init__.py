"""Rendering executed notebooks into papers: Quarto when it is installed, otherwise pip-only.

Quarto (``quarto.py``) renders wherever it is installed (on PATH or in the checkout's
``.quarto/``); the pip-only path (``builtin``) is nbconvert HTML with an offline template, and
nbconvert markdown -> pandoc (pypandoc-binary) -> typst for the PDF. Both read their page set-up
from ``_quarto.yml`` and their typst styling from ``templates/typst-template.typ``.
``EDSTATS_RENDERER=builtin`` or ``=quarto`` chooses one.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from ..errors import EdstatsError

TEMPLATES = Path(__file__).with_name("templates")


def _repository() -> Path:
    """Where ``_quarto.yml`` is looked for: the checkout this library runs from."""
    return Path(__file__).resolve().parents[3]

_DEFAULTS = {"papersize": "a4", "margin": {"x": "2cm", "top": "2.6cm", "bottom": "2cm"}, "lang": "en-GB"}


def renderer_name() -> str:
    """'quarto' when Quarto is installed (on PATH, or in the checkout's ``.quarto/``) and not
    overridden by ``EDSTATS_RENDERER``, else 'builtin'."""
    from .quarto import quarto_executable

    choice = os.environ.get("EDSTATS_RENDERER", "").strip().lower()
    if choice in ("builtin", "quarto"):
        return choice
    return "quarto" if quarto_executable() else "builtin"


def renderer_version() -> str:
    """The renderer and its version, for the manifest: 'quarto 1.7.34' or 'builtin (typst 0.15.2, ...)'."""
    from importlib.metadata import version

    if renderer_name() == "quarto":
        from .quarto import quarto_version

        return f"quarto {quarto_version()}"
    return f"builtin (nbconvert {version('nbconvert')}, pandoc via pypandoc-binary {version('pypandoc-binary')}, " \
        f"typst {version('typst')})"


def quarto_config(start: Path) -> dict:
    """The nearest ``_quarto.yml`` above ``start`` (the repository's), or {}."""
    for folder in [start, *start.parents]:
        path = folder / "_quarto.yml"
        if path.exists():
            return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {}


def project_options(start: Path) -> dict:
    """Options shared with Quarto, read from the nearest ``_quarto.yml`` above ``start``.

    Returns lang, papersize and margins (typst format), so the two renderers cannot drift.
    """
    config = quarto_config(start)
    if not config:
        return dict(_DEFAULTS)
    typst = (config.get("format") or {}).get("typst") or {}
    margin = dict(_DEFAULTS["margin"]) | (typst.get("margin") or {})
    return {"papersize": typst.get("papersize", _DEFAULTS["papersize"]), "margin": margin,
            "lang": config.get("lang", _DEFAULTS["lang"])}


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

        return render_with_quarto(executed, out_dir, stem, formats, extra, quarto_config(_repository()))
    from .builtin import render_builtin

    return render_builtin(executed, out_dir, stem, formats, extra, project_options(_repository()))
