"""The Quarto branch: a thin call to ``quarto render`` on the executed notebook.

Not tested on this project's machines (Quarto cannot be installed there). Quarto does not
re-execute an .ipynb unless asked, so papermill's outputs are rendered as they are.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..errors import EdstatsError

_TARGETS = {"html": "html", "pdf": "typst"}


def render_with_quarto(executed: Path, out_dir: Path, stem: str, formats) -> list[Path]:
    written = []
    for fmt in formats:
        result = subprocess.run(
            ["quarto", "render", str(executed), "--to", _TARGETS[fmt], "--output", f"{stem}.{fmt}"],
            cwd=executed.parent, capture_output=True, text=True)
        if result.returncode != 0:
            raise EdstatsError(f"quarto render failed for {executed.name} ({fmt}): {result.stderr.strip()[-800:]} "
                               "Set EDSTATS_RENDERER=builtin to use the pip-only renderer instead.")
        shutil.move(str(executed.parent / f"{stem}.{fmt}"), out_dir / f"{stem}.{fmt}")
        written.append(out_dir / f"{stem}.{fmt}")
    return written
