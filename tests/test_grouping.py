"""Rows numbered by their combination of columns (edstats.grouping): the same groups as pandas finds
on the values themselves, in order of first appearance, whatever the columns' types."""

import numpy as np
import pandas as pd
import pytest

from edstats.grouping import column_combination_numbers, combination_numbers, first_rows, matching_combinations, repeats


def _frame(rows=5000, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "upn": pd.Series([f"A{i:05d}" for i in rng.integers(0, 900, rows)], dtype=object).where(
            rng.random(rows) > 0.03),                                     # some missing
        "year": rng.choice(["2023/24", "2024/25"], rows),
        "urn": rng.integers(100000, 100040, rows),
    })


@pytest.mark.parametrize("bucketed", [False, True], ids=["one table", "in buckets"])
@pytest.mark.parametrize("categorical", [False, True], ids=["text", "categorical"])
def test_numbers_are_pandas_groups_in_order_of_first_appearance(categorical, bucketed, monkeypatch):
    """Hashed in one table or in buckets of rows (as on millions of rows), the numbers are the same."""
    from edstats import grouping

    if bucketed:
        monkeypatch.setattr(grouping, "BUCKETED_ROWS", 100)
    frame = _frame()
    if categorical:
        frame = frame.astype({"upn": "category", "year": "category"})
    numbers = column_combination_numbers(frame, ["upn", "year", "urn"])
    expected = frame.astype(object).fillna("<missing>").groupby(["upn", "year", "urn"], sort=False).ngroup()
    assert (numbers == expected.to_numpy()).all()
    assert (first_rows(numbers) == np.flatnonzero(~expected.duplicated().to_numpy())).all()
    assert (repeats(numbers) == expected.duplicated().to_numpy()).all()
    assert 0 < repeats(numbers).sum() < len(frame)


def test_many_distinct_values_are_renumbered_before_the_key_overflows():
    """Four columns of 60,000 distinct values each: 60,001^4 is far past 2^63, so the key must be
    renumbered on the way; the groups stay exact."""
    rng = np.random.default_rng(2)
    rows = 120_000
    columns = [rng.integers(0, 60_000, rows) for _ in range(4)]
    columns[3][1::2] = columns[3][0::2]                                   # some repeats to find
    for c in columns[:3]:
        c[1::2] = c[0::2]
    numbers = combination_numbers([(c, 60_000) for c in columns])
    expected = pd.DataFrame(columns).T.groupby([0, 1, 2, 3], sort=False).ngroup().to_numpy()
    assert (numbers == expected).all() and repeats(numbers).sum() == rows // 2


def test_no_rows():
    assert len(combination_numbers([(np.zeros(0, dtype=np.int64), 0)])) == 0
    assert len(repeats(np.zeros(0, dtype=np.int64))) == 0 and len(first_rows(np.zeros(0, dtype=np.int64))) == 0


def test_combinations_that_would_collide_in_64_bits_stay_apart():
    """With 2^21 values a column, four columns need 84 bits: without renumbering on the way, first
    codes 0 and 2 (the rest equal) would wrap to the same 64-bit key."""
    size = 2 ** 21 - 1
    first = np.array([0, 2, 0])
    others = [np.array([5, 5, 5]), np.array([7, 7, 7]), np.array([9, 9, 9])]
    numbers = combination_numbers([(first, size)] + [(c, size) for c in others])
    assert list(numbers) == [0, 1, 0]


@pytest.mark.parametrize("way", ["one table", "in buckets", "leading columns too alike, so in buckets"])
def test_repeated_combinations_are_pandas_duplicates(way, monkeypatch):
    """Repeats looked for all at once or in buckets of rows (as on millions of rows), the leading
    columns (UPN and year) not tried or tried and found to tell too few rows apart: the rows pandas'
    ``duplicated`` names."""
    from edstats import grouping

    monkeypatch.setattr(grouping, "_sharing_a_slot", lambda *a: pytest.fail("the leading columns' table was used"))
    if way != "one table":
        monkeypatch.setattr(grouping, "BUCKETED_ROWS", 100)
    if way == "in buckets":
        monkeypatch.setattr(grouping, "TABLE_SLOTS_PER_ROW", 0)
    frame = _frame(rows=20_000, seed=4)
    factorized = [pd.factorize(frame[c]) for c in ("upn", "year", "urn")]
    found = grouping.repeated_combinations([(codes, len(d)) for codes, d in factorized], buckets=7)
    expected = frame.astype(object).fillna("<missing>").duplicated().to_numpy()
    assert (found == expected).all() and 0 < found.sum() < len(frame)


def test_rows_sharing_the_leading_columns_are_the_only_ones_compared_on_every_column(monkeypatch):
    """Pupils mostly once a year: the few sharing (UPN, year) with another row are the candidates
    (dual registrations, not repeats, and true repeats); among them the repeats are pandas'."""
    from edstats import grouping

    monkeypatch.setattr(grouping, "BUCKETED_ROWS", 100)
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"upn": np.arange(3000), "year": rng.integers(0, 3, 3000), "urn": rng.integers(0, 9, 3000)})
    again = frame.sample(120, random_state=2)
    dual = again.iloc[:60].assign(urn=99)                    # a second school the same year: not a repeat
    frame = pd.concat([frame, again.iloc[60:], dual], ignore_index=True).sample(frac=1, random_state=3,
                                                                               ignore_index=True)
    sizes = [(frame[c].to_numpy(), int(frame[c].max()) + 1) for c in ("upn", "year", "urn")]
    sharing = grouping._sharing_a_slot(grouping._key(sizes[:2]), (3001) * 4)
    assert (sharing == np.flatnonzero(frame.duplicated(["upn", "year"], keep=False))).all() and len(sharing) == 240
    tables = []
    real = grouping._sharing_a_slot
    monkeypatch.setattr(grouping, "_sharing_a_slot", lambda *a: tables.append(a[1]) or real(*a))
    found = grouping.repeated_combinations(sizes)
    assert tables == [3001 * 4]                 # UPN and year: 3,001 x 4 slots
    assert (found == frame.duplicated().to_numpy()).all() and found.sum() == 60


@pytest.mark.parametrize("table", [True, False], ids=["table of keys", "hashed keys"])
@pytest.mark.parametrize("categorical", [False, True], ids=["text", "categorical"])
def test_matching_combinations_are_a_join_on_the_trimmed_text(categorical, table):
    """Each row's (UPN, year) found among the known rows' (a KS4 result's pupil): the number is the
    known combination's as pandas numbers them, -1 where the text pair (trimmed) is not known or a
    value is missing; known pairs repeated share their number."""
    rng = np.random.default_rng(7)
    n = 40 if table else 1100      # 1,100 distinct years among the known: too many possible keys for a table
    years = ["2023/24", "2024/25"] * (n // 2) if table else [f"Y{i}" for i in range(n)]
    known = pd.DataFrame({"upn": [f"A{i}" for i in range(n)], "academic_year": years})
    known = pd.concat([known, known.iloc[::7]], ignore_index=True)              # some pairs twice
    picked = rng.integers(0, n + 5, 600)            # a known pair, or an unknown UPN
    upn = pd.Series([f"A{i}" for i in picked], dtype=object)
    upn[rng.random(600) < 0.1] = upn + " "
    upn[rng.random(600) < 0.05] = None
    year = pd.Series([years[i] if i < n else "2023/24" for i in picked], dtype=object)
    year[rng.random(600) < 0.1] = pd.Series(rng.choice(["2019/20", "", None], 600), dtype=object)
    rows = pd.DataFrame({"upn": upn, "academic_year": year})
    if categorical:
        rows, known = rows.astype("category"), known.astype("category")
    known_numbers, numbers = matching_combinations(rows, known, ["upn", "academic_year"])
    expected_known = known.astype(object).groupby(["upn", "academic_year"], sort=False).ngroup().to_numpy()
    number_of = {pair: k for pair, k in zip(zip(known["upn"].astype(str), known["academic_year"].astype(str)),
                                             expected_known)}
    expected = [-1 if u is None or y is None or pd.isna(u) or pd.isna(y) else
                number_of.get((str(u).strip(), str(y).strip()), -1)
                for u, y in zip(rows["upn"].astype(object), rows["academic_year"].astype(object))]
    assert (known_numbers == expected_known).all()
    assert list(numbers) == expected and 0 < (numbers >= 0).sum() < len(rows) and (numbers < 0).any()


def test_matching_combinations_of_many_columns_are_numbered_alike():
    """Four columns of 70,000 distinct values: 70,001^4 is past 2^62, so the key of the rows and of
    the known rows must be built (and renumbered) together to stay comparable."""
    rng = np.random.default_rng(9)
    n = 70_000
    known = pd.DataFrame({c: [f"{c}{i}" for i in rng.permutation(n)] for c in "abcd"})
    rows = known.iloc[rng.integers(0, n, 500)].reset_index(drop=True)
    rows.loc[::5, "c"] = "c-unknown"
    known_numbers, numbers = matching_combinations(rows, known, list("abcd"))
    assert (known_numbers == np.arange(n)).all()          # every known combination is new
    expected = [-1 if c == "c-unknown" else int(np.flatnonzero(known["a"].to_numpy() == a)[0])
                for a, c in zip(rows["a"], rows["c"])]
    assert list(numbers) == expected and (numbers >= 0).sum() == 400
