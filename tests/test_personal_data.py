"""No UPN or date of birth of any input pupil appears in any output of a full run: the papers
(HTML and PDF text), measures.csv, the manifest, and what the command prints."""

import subprocess
import sys

import pandas as pd
import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.slow


def identifiers(data):
    upns, dobs = set(), set()
    for folder in ("eyfsp", "ks2", "ks4_pupils", "exclusions", "provision"):
        for path in (data / folder).glob("*.csv"):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            upns.update(frame["upn"])
            if "date_of_birth" in frame:
                dobs.update(frame["date_of_birth"])
    for path in (data / "attendance").glob("*.parquet"):
        upns.update(pd.read_parquet(path, columns=["upn"])["upn"].astype(str))
    return upns, dobs


def test_full_run_outputs_hold_no_pupil_identifier(small_data, tmp_path, repo_root):
    out = tmp_path / "reports"
    result = subprocess.run([sys.executable, "-m", "edstats", "report", "--data", str(small_data), "--out", str(out),
                             "--period", "2026-01", "--cache", str(tmp_path / "cache"), "--build", str(tmp_path / "b"),
                             "--notebooks", str(repo_root / "notebooks")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    folder = out / "2026-01"
    texts = {"stdout+stderr": result.stdout + result.stderr}
    for path in folder.iterdir():
        if path.suffix == ".pdf":
            texts[path.name] = " ".join(page.extract_text() for page in PdfReader(path).pages)
        elif path.suffix == ".xlsx":
            texts[path.name] = " ".join(sheet.to_csv() for sheet in pd.read_excel(path, sheet_name=None).values())
        else:
            texts[path.name] = path.read_text(encoding="utf-8")
    assert {"council.html", "council.pdf", "scrutiny.html", "scrutiny.pdf", "measures.csv", "kpm.csv", "measures.xlsx",
            "manifest.json"} <= set(texts)
    upns, dobs = identifiers(small_data)
    assert len(upns) > 1000 and len(dobs) > 300
    for name, text in texts.items():
        found = [u for u in upns if u in text] + [d for d in dobs if d in text]
        assert not found, f"{name} holds pupil identifiers, e.g. {found[:2]}"
