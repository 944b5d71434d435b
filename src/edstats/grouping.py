"""Rows numbered by their combination of values: grouping millions of rows on integers.

A row's combination of several columns becomes one integer built from the columns' integer codes
(no row is ever written out as text), numbered in order of first appearance. That order lets the
first row of each combination, and every repeat, be found in one pass without hashing again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def combination_numbers(codes_and_sizes: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """Each row's combination of columns given as (codes, number of distinct values) — codes -1 for
    a missing value, which is a value of its own — numbered 0, 1, 2, ... in order of first appearance."""
    rows = len(codes_and_sizes[0][0]) if codes_and_sizes else 0
    key = np.zeros(rows, dtype=np.int64)
    for codes, size in codes_and_sizes:
        key = key * (size + 1) + (np.asarray(codes, dtype=np.int64) + 1)
        if rows and key.max() > 2 ** 40:      # renumber before the next column could overflow
            key = pd.factorize(key)[0].astype(np.int64)
    return pd.factorize(key)[0]


def codes_and_size(values: pd.Series) -> tuple[np.ndarray, int]:
    """A column's integer codes (-1 for missing) and how many values they can take: a categorical's
    own codes, otherwise those of ``pd.factorize``."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), len(values.cat.categories)
    codes, distinct = pd.factorize(values)
    return codes, len(distinct)


def column_combination_numbers(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """:func:`combination_numbers` of ``frame``'s ``columns`` (missing values are a value of their own)."""
    return combination_numbers([codes_and_size(frame[column]) for column in columns])


def repeats(numbers: np.ndarray) -> np.ndarray:
    """Rows whose number (numbered in order of first appearance) an earlier row has: a row brings a
    new number exactly when it is above every number before it."""
    if not len(numbers):
        return np.zeros(0, dtype=bool)
    highest_before = np.concatenate([[-1], np.maximum.accumulate(numbers)[:-1]])
    return numbers <= highest_before


def first_rows(numbers: np.ndarray) -> np.ndarray:
    """The position of each number's first row, in the order of the numbers (0, 1, 2, ...)."""
    return np.flatnonzero(~repeats(numbers))
