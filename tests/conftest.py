"""Shared fixtures: the repository root and a small synthetic LA made once per test session."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from edstats.render.quarto import quarto_executable
from edstats.synth import write_synthetic

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DATA = ROOT.parent / "shared" / "reference-data"

# The suite renders with the pip-only renderer unless a test asks for Quarto (test_quarto.py and the
# renderer-parametrised accessibility tests): every check runs on the path the test names, whether
# or not Quarto is installed on the machine running it.
os.environ.setdefault("EDSTATS_RENDERER", "builtin")

#: The renderers the accessibility and Quarto tests run on.
RENDERERS = ("builtin", "quarto")


def require_renderer(name: str) -> None:
    """Skip a Quarto test where Quarto is not installed; under CI (``CI=true``) fail instead."""
    if name == "quarto" and quarto_executable() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Quarto is not installed: .ci/run installs it with ../shared/tools/quarto/install.sh")
        pytest.skip("Quarto is not installed (../shared/tools/quarto/install.sh .quarto, or quarto.org)")


@contextlib.contextmanager
def renderer(name: str):
    """Render with ``name`` (EDSTATS_RENDERER) inside the block."""
    before = os.environ.get("EDSTATS_RENDERER")
    os.environ["EDSTATS_RENDERER"] = name
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("EDSTATS_RENDERER", None)
        else:
            os.environ["EDSTATS_RENDERER"] = before


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def national(tmp_path_factory) -> Path:
    """A shrunken national scale: 12 LAs (the city among them), each at 3% of its size."""
    folder = tmp_path_factory.mktemp("national") / "raw"
    write_synthetic(folder, scale="national", seed=5, national_las=12, national_size_factor=0.03)
    return folder


@pytest.fixture(scope="session")
def small_data(tmp_path_factory) -> Path:
    """A small synthetic LA (seed 7). Tests must not modify it: copy it first."""
    folder = tmp_path_factory.mktemp("small") / "raw"
    write_synthetic(folder, scale="small", seed=7, with_sessions=True)
    return folder


@pytest.fixture(scope="session")
def city_data(tmp_path_factory) -> Path:
    """The default city-scale synthetic LA (seed 2026, as ``make report`` makes it), without the daily feed."""
    folder = tmp_path_factory.mktemp("city") / "raw"
    write_synthetic(folder, scale="city", seed=2026)
    return folder
