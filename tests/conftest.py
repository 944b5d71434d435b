"""Shared fixtures: the repository root and a small synthetic LA made once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from edstats.synth import write_synthetic

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DATA = ROOT.parent / "shared" / "reference-data"


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
