"""Quarto conventions read from a notebook: the YAML front matter and ``#|`` cell options.

The notebooks are written the Quarto way so Quarto renders them unchanged; the pip-only
renderer reads the same conventions here so both paths honour ``echo``, ``output``,
``include``, ``label``, ``fig-cap``, ``tbl-cap`` and ``fig-alt``.
"""

from __future__ import annotations

import copy
import re

import nbformat
import yaml


def parse_cell_options(source: str) -> dict:
    """The ``#|`` options at the top of a code cell, as a dict.

    >>> parse_cell_options("#| echo: false\\n#| fig-cap: 'GLD over time'\\nx = 1")
    {'echo': False, 'fig-cap': 'GLD over time'}
    """
    lines = []
    for line in source.splitlines():
        if not line.startswith("#|"):
            break
        lines.append(line[3:] if line[2:3] == " " else line[2:])
    return (yaml.safe_load("\n".join(lines)) or {}) if lines else {}


def front_matter(nb: nbformat.NotebookNode) -> dict:
    """The YAML of the first raw cell when it is a ``---`` front-matter block, else {}."""
    for cell in nb.cells:
        if cell.cell_type == "raw" and cell.source.strip().startswith("---"):
            body = cell.source.strip().strip("-").strip()
            return yaml.safe_load(body) or {}
        if cell.cell_type != "raw":
            break
    return {}


def prepare_for_export(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` ready for nbconvert: front matter removed, cell options applied.

    Each code cell gets ``metadata.quarto`` (its options); ``echo: false`` hides the source,
    ``output: false`` drops outputs, ``include: false`` drops the cell. Stray stream output
    (warnings, prints) never reaches a paper.
    """
    nb = copy.deepcopy(nb)
    cells = []
    for i, cell in enumerate(nb.cells):
        if i == 0 and cell.cell_type == "raw" and cell.source.strip().startswith("---"):
            continue
        if cell.cell_type == "code":
            opts = parse_cell_options(cell.source)
            if opts.get("include") is False:
                continue
            cell.metadata["quarto"] = opts
            if opts.get("output") is False:
                cell.outputs = []
            cell.outputs = [raw_html_as_html(o) for o in cell.outputs if o.get("output_type") != "stream"]
            if "parameters" in cell.metadata.get("tags", []) or "injected-parameters" in cell.metadata.get("tags", []):
                cell.outputs = []
        cells.append(cell)
    nb.cells = cells
    return nb


RAW_HTML = re.compile(r"\A```\{=html\}\n(?P<html>.*)\n```\s*\Z", re.S)


def raw_html_as_html(output):
    """A markdown output that is one Quarto raw HTML block (```{=html}, how the papers' tables are
    shown) as the HTML output it carries, for nbconvert; any other output unchanged."""
    data = output.get("data", {})
    match = RAW_HTML.match(str(data.get("text/markdown", "")))
    if match:
        output["data"] = {"text/html": match["html"]}
    return output

