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
    return resolve_cross_references(nb)


CROSS_REFERENCE = re.compile(r"@((?:tbl|fig)-[A-Za-z0-9_-]+)")


def resolve_cross_references(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Quarto's ``@tbl-x`` and ``@fig-x`` as Quarto writes them, "Table 1" and "Figure 2" linked to
    the table or figure: numbered in order among the cells with that label kind that have an output
    (a figure cell that drew no chart is not numbered). An unknown label stays as written."""
    numbers, counts = {}, {"tbl": 0, "fig": 0}
    for cell in nb.cells:
        label = str(cell.metadata.get("quarto", {}).get("label", ""))
        kind = label.split("-", 1)[0]
        has = any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])) if kind == "fig" else \
            bool(cell.get("outputs"))
        if kind in counts and has:
            counts[kind] += 1
            numbers[label] = f"{'Table' if kind == 'tbl' else 'Figure'} {counts[kind]}"

    def name(match):
        label = match.group(1)
        return f"[{numbers[label]}](#{label})" if label in numbers else match.group(0)

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = CROSS_REFERENCE.sub(name, cell.source)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/markdown" in data:
                data["text/markdown"] = CROSS_REFERENCE.sub(name, str(data["text/markdown"]))
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

