"""NEET and not known: methodology section 5.5's worked example and the cohort rules."""

import pandas as pd
import pytest

from edstats.measures.neet import neet_measures
from edstats.settings import Methodology, Settings


def month_rows(month, cohort, neet, not_known, excluded=0):
    groups = ["NEET"] * neet + ["NOT_KNOWN"] * not_known + ["EET"] * (cohort - neet - not_known) + ["EXCLUDED"] * excluded
    return pd.DataFrame({"person_id": [f"P{i}" for i in range(len(groups))], "month": month, "academic_age": "16",
                         "residence_la": "999", "activity_group": groups, "activity_code": "x"})


@pytest.fixture
def worked_example():
    return pd.concat([month_rows("2024-12", 20000, 560, 700, excluded=40), month_rows("2025-01", 20100, 600, 650),
                      month_rows("2025-02", 20050, 640, 620)], ignore_index=True)


def test_worked_example_average_of_rates(worked_example):
    rates = Settings(methodology=Methodology(neet_average="rates"))
    out = neet_measures(worked_example, rates).set_index("measure_id")
    assert out.loc["neet_nk_pct", "time_period"] == "202425"
    expected = (1260 / 20000 + 1250 / 20100 + 1260 / 20050) / 3 * 100
    assert out.loc["neet_nk_pct", "value"] == pytest.approx(expected)
    assert round(out.loc["neet_nk_pct", "value"], 2) == 6.27
    assert out.loc["neet_pct", "value"] == pytest.approx((560 / 20000 + 600 / 20100 + 640 / 20050) / 3 * 100)


def test_worked_example_average_of_counts_is_the_default(worked_example):
    """DfE's method: the three months' counts averaged (3770 / 3 over 60150 / 3)."""
    out = neet_measures(worked_example, Settings()).set_index("measure_id")
    assert out.loc["neet_nk_pct", "value"] == pytest.approx(100 * 3770 / 60150)
    assert round(out.loc["neet_nk_pct", "value"], 2) == 6.27


def test_a_blank_residence_is_not_the_las():
    """A young person with no residence LA was counted as the LA's resident."""
    rows = pd.concat([month_rows(m, 100, 10, 0) for m in ("2024-12", "2025-01", "2025-02")], ignore_index=True)
    blank = pd.concat([month_rows(m, 50, 50, 0) for m in ("2024-12", "2025-01", "2025-02")], ignore_index=True)
    blank = blank.assign(residence_la=None, person_id=lambda d: "B" + d["person_id"])
    out = neet_measures(pd.concat([rows, blank], ignore_index=True), Settings()).set_index("measure_id")
    total = out[out["breakdown_topic"] == "Total"]
    assert total.loc["neet_pct", "denominator"] == 100 and total.loc["neet_pct", "value"] == pytest.approx(10.0)   # the average cohort


def test_non_residents_other_ages_and_incomplete_windows_are_left_out(worked_example):
    extra = month_rows("2025-01", 100, 100, 0).assign(residence_la="330", person_id=lambda d: "X" + d["person_id"])
    older = month_rows("2025-01", 50, 50, 0).assign(academic_age="18", person_id=lambda d: "Y" + d["person_id"])
    only_two_months = pd.concat([month_rows("2023-12", 100, 10, 0), month_rows("2024-01", 100, 10, 0)])
    data = pd.concat([worked_example, extra, older, only_two_months], ignore_index=True)
    out = neet_measures(data, Settings())
    assert set(out["time_period"]) == {"202425"}
    assert round(out.set_index("measure_id").loc["neet_nk_pct", "value"], 2) == 6.27
