"""The one result shape's helpers (edstats.measures.result)."""

import numpy as np
import pandas as pd


def test_totals_by_year_and_breakdown_are_pandas_groupby_sums():
    """The counts behind every proportion and absence rate: rows and whole-number sums by year and
    breakdown label, as pandas' groupby on the two categoricals gives them (same rows, same order)."""
    from edstats.measures.result import as_category, totals_by_year_and_breakdown

    rng = np.random.default_rng(11)
    rows = 5000
    years = as_category(pd.Series(rng.choice(["2024/25", "2022/23", None], rows), dtype=object))
    labels = as_category(pd.Series(rng.choice(["F", "M", "X", None], rows), dtype=object),
                         {"F": "Female", "M": "Male"})          # X has no label: 'Unknown', as missing
    flag = rng.random(rows) < 0.3
    sessions = rng.integers(0, 400, rows)
    got = totals_by_year_and_breakdown(years, labels, sum=flag, p=sessions)
    frame = pd.DataFrame({"academic_year": years, "breakdown": labels, "sum": flag.astype(int), "p": sessions})
    expected = frame.groupby(["academic_year", "breakdown"], observed=True).agg(
        count=("sum", "size"), sum=("sum", "sum"), p=("p", "sum")).reset_index()
    assert list(got["academic_year"].astype(str)) == list(expected["academic_year"].astype(str))
    assert list(got["breakdown"].astype(str)) == list(expected["breakdown"].astype(str))
    for column in ("count", "sum", "p"):
        assert (got[column].to_numpy() == expected[column].to_numpy()).all()
    assert "Unknown" in set(got["breakdown"].astype(str)) and len(got) == 9
