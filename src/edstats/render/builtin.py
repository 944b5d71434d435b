"""The pip-only renderer: nbconvert HTML (offline template) and markdown -> pandoc -> typst PDF."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nbformat

from ..errors import EdstatsError
from . import TEMPLATES
from .cellopts import front_matter, prepare_for_export


def _titles(nb, extra: dict) -> tuple[str, str]:
    meta = front_matter(nb)
    title = str(meta.get("title") or "Education performance")
    subtitle = str(meta.get("subtitle") or "")
    return title, subtitle


def render_html(nb, path: Path, extra: dict, options: dict) -> Path:
    from nbconvert import HTMLExporter

    title, subtitle = _titles(nb, extra)
    exporter = HTMLExporter(template_name="lab", template_file=str(TEMPLATES / "paper.html.j2"),
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            embed_images=True)
    resources = {"edstats": {"title": title, "subtitle": subtitle, "lang": options["lang"],
                             "synthetic": bool(extra.get("synthetic")),
                             "css": (TEMPLATES / "paper.css").read_text(encoding="utf-8")},
                 "metadata": {"name": title}}
    body, _ = exporter.from_notebook_node(prepare_for_export(nb), resources=resources)
    path.write_text(body, encoding="utf-8")
    return path


def _pandoc() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def render_pdf(nb, path: Path, extra: dict, options: dict, work_dir: Path) -> Path:
    import typst
    import yaml
    from nbconvert import MarkdownExporter

    title, subtitle = _titles(nb, extra)
    stem = path.stem
    # The intermediate markdown and typst stay beside the executed notebook (build folder,
    # git-ignored) so a layout problem can be inspected; they hold only the paper's content.
    tmp = work_dir / f"{stem}_pdf"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    exporter = MarkdownExporter(template_file=str(TEMPLATES / "paper.md.j2"),
                                exclude_input=True)
    markdown, resources = exporter.from_notebook_node(
        prepare_for_export(nb), resources={"output_files_dir": f"{stem}_files", "unique_key": stem})
    (tmp / f"{stem}.md").write_text(markdown, encoding="utf-8")
    for name, data in resources.get("outputs", {}).items():
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_bytes(data)
    margin = options["margin"]
    metadata = {"title": title, "subtitle": subtitle, "meeting": extra.get("meeting", ""),
                "council-name": extra.get("council_name", ""), "synthetic": bool(extra.get("synthetic")),
                "papersize": options["papersize"], "margin-x": margin["x"],
                "margin-top": margin["top"], "margin-bottom": margin["bottom"]}
    (tmp / "meta.yaml").write_text(yaml.safe_dump(metadata), encoding="utf-8")
    shutil.copy(TEMPLATES / "typst-template.typ", tmp)        # the styling paper.typst imports
    result = subprocess.run(
        [_pandoc(), f"{stem}.md", "-f", "markdown-markdown_in_html_blocks",
         "-t", "typst", "--standalone", "--template", str(TEMPLATES / "paper.typst"),
         "--lua-filter", str(TEMPLATES / "paper.lua"), "--metadata-file", "meta.yaml", "-o", f"{stem}.typ"],
        cwd=tmp, capture_output=True, text=True)
    if result.returncode != 0:
        raise EdstatsError(f"pandoc could not turn {stem} into typst: {result.stderr.strip()[-800:]}")
    typeset = tmp / f"{stem}.typst.pdf"
    try:
        typst.compile(str(tmp / f"{stem}.typ"), output=str(typeset), root=str(tmp))
    except Exception as exc:  # typst raises its own error types
        raise EdstatsError(f"typst could not typeset {stem}.pdf: {exc}") from None
    drop_suspects_flag(typeset, path)
    return path


def drop_suspects_flag(source: Path, target: Path) -> None:
    """Copy the PDF without its ``/MarkInfo /Suspects false`` entry.

    typst writes it; it is valid PDF and says what its absence says (PDF 32000 §14.7.1), but
    poppler 22 (Debian 12's pdftotext, pdftoppm and evince) reports every such file as "Syntax
    Error: Suspects object is wrong type (boolean)". qpdf (through pikepdf) rewrites the file
    without it and leaves everything else, tags and structure tree included, as typst made it.
    """
    import pikepdf

    with pikepdf.open(source) as pdf:
        mark_info = pdf.Root.get("/MarkInfo")
        if mark_info is not None and "/Suspects" in mark_info:
            del mark_info["/Suspects"]
        pdf.save(target)


def render_builtin(executed: Path, out_dir: Path, stem: str, formats, extra: dict, options: dict) -> list[Path]:
    nb = nbformat.read(executed, as_version=4)
    written = []
    if "html" in formats:
        written.append(render_html(nb, out_dir / f"{stem}.html", extra, options))
    if "pdf" in formats:
        written.append(render_pdf(nb, out_dir / f"{stem}.pdf", extra, options, executed.parent))
    return written
