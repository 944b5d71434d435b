"""The library against a small synthetic slice whose figures were worked out by hand.

See tests/data/ground_truth/README.md for the slice, the hand edits that put rows on the rules'
boundaries, and the arithmetic behind every expected figure.
"""

import csv
import dataclasses

import pytest

from edstats.measures import compute_all
from edstats.settings import Settings
from edstats.validate import validate_data

FOLDER = __import__("pathlib").Path(__file__).parent / "data" / "ground_truth"


def _expected():
    with open(FOLDER.parent / "ground_truth_expected.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _settings(setting: str) -> Settings:
    settings = Settings()
    if not setting:
        return settings
    name, value = setting.split("=")
    value = {"true": True, "false": False}.get(value, value)
    return dataclasses.replace(settings, methodology=dataclasses.replace(settings.methodology, **{name: value}))


@pytest.fixture(scope="module")
def frames():
    data = validate_data(FOLDER)
    assert data.problems.empty, data.problems.to_dict("records")
    return data.to_pandas()


@pytest.mark.parametrize("row", _expected(), ids=lambda r: f"{r['measure_id']}{'-' + r['setting'] if r['setting'] else ''}")
def test_library_matches_the_hand_worked_figure(frames, row):
    result = compute_all(frames, _settings(row["setting"]))
    got = result[(result["measure_id"] == row["measure_id"]) & (result["time_period"] == row["time_period"])
                 & (result["breakdown_topic"] == "Total")]
    assert len(got) == 1
    got = got.iloc[0]
    assert got["value"] == pytest.approx(float(row["value"]), abs=5e-7)
    if row["numerator"]:
        assert got["numerator"] == float(row["numerator"])
        assert got["denominator"] == float(row["denominator"])
