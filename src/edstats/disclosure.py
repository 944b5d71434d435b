"""Disclosure control for public outputs: primary and secondary suppression, GSS symbols.

Primary suppression hides a row (numerator, denominator, value and interval) when it describes
1 to ``threshold - 1`` pupils: a denominator in that range, a count numerator in that range, or
(for percentages of pupils) a complement — the pupils *not* counted — in that range, since
"29 of 30" tells as much as "1 of 30".

Secondary suppression stops a hidden row being worked out from the published ones. The published
rows of one measure and year form a system of sums (:func:`additive_sets`): the rows of each
breakdown topic add up to the Total; the wards of a district add up to the district's row and the
schools of a school district to that district's row (:data:`NESTED_TOPICS`). Hiding goes on until
no sum has exactly one hidden row and no hidden row takes a single value in every solution of the
whole system (:func:`recoverable`): solving the published sums together, as an adversary would,
gives no hidden value. Small groups (denominators below the threshold) are protected first, on
the denominators alone, so that measures of the same pupils hide them alike and one measure's
published count of pupils never gives another's hidden one away. Measures whose numerators add
up (``neet_pct`` + ``nk_pct`` = ``neet_nk_pct``: :data:`LINKED_MEASURES`) hide the same rows.

Symbols (GSS): ``c`` suppressed, ``x`` not available, ``z`` not applicable, ``low`` rounds to 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import engine
from .measures.result import RESULT_KEY

SYMBOLS = {
    "c": "confidential: suppressed to protect individuals (fewer than the threshold of pupils, or a "
         "figure that would let one be worked out)",
    "x": "not available (not collected, or not in the data supplied)",
    "z": "not applicable",
    "low": "rounds to 0 but is not 0",
}

#: Topics whose rows also add up to a row of another topic (child topic -> parent topic), besides
#: adding up to the Total like every topic. Which parent row a child belongs to comes with the
#: run (``parents``: child topic -> {child breakdown: parent breakdown}).
NESTED_TOPICS = {"Ward": "District", "School": "School district"}

#: Units whose numerator is a count of pupils or sessions (a sum of scores is not a count).
_COUNT_NUMERATOR_UNITS = {"%", "per 100", "pupils"}
_PERCENT_OF_PUPILS = {"%"}


def _small(series: pd.Series, threshold: int) -> pd.Series:
    return ((series > 0) & (series < threshold)).fillna(False)


def primary_suppression(results: pd.DataFrame, threshold: int, units: pd.Series) -> pd.Series:
    """True for rows that describe fewer than ``threshold`` pupils (see module notes)."""
    unit = results["measure_id"].map(units)
    counts = unit.isin(_COUNT_NUMERATOR_UNITS)
    percent = unit.isin(_PERCENT_OF_PUPILS)
    complement = results["denominator"] - results["numerator"]
    return (_small(results["denominator"], threshold) | (counts & _small(results["numerator"], threshold))
            | (percent & _small(complement, threshold))).astype(bool)


def additive_sets(results: pd.DataFrame, parents: dict | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """The sums the published rows make: (sets, block of each set).

    Each set holds row positions, the parent row first: the parent is the sum of the others (a
    measure and year's Total and one topic's rows; a district and its wards; a school district and
    its schools). A set's block numbers its measure and year: sets of one block share rows, those
    of different blocks do not.
    """
    rows = results[RESULT_KEY].reset_index(drop=True).assign(position=np.arange(len(results)))
    children = [rows[rows["breakdown_topic"] != "Total"].assign(parent_topic="Total", parent="Total")]
    for child_topic, mapping in (parents or {}).items():
        nested = rows[rows["breakdown_topic"] == child_topic]
        children.append(nested.assign(parent_topic=NESTED_TOPICS[child_topic],
                                      parent=nested["breakdown"].map(mapping)).dropna(subset=["parent"]))
    children = pd.concat(children, ignore_index=True)
    parent_rows = rows.rename(columns={"breakdown_topic": "parent_topic", "breakdown": "parent",
                                       "position": "parent_position"})
    parent_rows["block"] = parent_rows.groupby(["measure_id", "time_period"], sort=False).ngroup()
    linked = children.merge(parent_rows, on=["measure_id", "time_period", "parent_topic", "parent"])
    # the nested sums first (a ward with its district's other wards), then those of the Total: a
    # row hidden in a district is then matched within the district, not by a row elsewhere
    linked["of_total"] = linked["parent_topic"] == "Total"
    sets, blocks = [], []
    for (_, block, parent, _), members in linked.groupby(["of_total", "block", "parent_position", "breakdown_topic"],
                                                         sort=True):
        sets.append(np.concatenate([[parent], members["position"].to_numpy()]))
        blocks.append(block)
    return sets, np.array(blocks, dtype=int)


def recoverable(sets: list[np.ndarray], blocks: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Positions of hidden rows that take one value in every solution of the published sums.

    For each block, the sums become equations in the hidden rows (the published rows are known
    numbers); a hidden row is fixed exactly when it has no part in the null space of that system.
    """
    by_block: dict[int, list[np.ndarray]] = {}
    for positions, block in zip(sets, blocks):
        by_block.setdefault(block, []).append(positions)
    found = []
    for members in by_block.values():
        unknown = np.unique(np.concatenate([s[hidden[s]] for s in members]))
        if len(unknown) == 0:
            continue
        column = {position: j for j, position in enumerate(unknown)}
        system = np.zeros((len(members), len(unknown)))
        for i, positions in enumerate(members):
            for k, position in enumerate(positions):
                if hidden[position]:
                    system[i, column[position]] = 1.0 if k == 0 else -1.0
        _, singular, vt = np.linalg.svd(system)
        rank = int((singular > 1e-9).sum())
        null_space = vt[rank:]
        fixed = ~(np.abs(null_space) > 1e-9).any(axis=0)
        found.extend(unknown[fixed])
    return np.array(found, dtype=int)


def _hide_next(positions: np.ndarray, hidden: np.ndarray, size: np.ndarray) -> bool:
    """Hide the visible child of ``positions`` with the smallest size (the first in row order), or
    the parent when no child can be hidden; False when nothing is left to hide."""
    children = positions[1:]
    visible = children[~hidden[children] & (size[children] > 0)]
    if len(visible):
        hidden[visible[np.argmin(size[visible])]] = True
        return True
    if not hidden[positions[0]]:
        hidden[positions[0]] = True
        return True
    return False


def secondary_suppression(results: pd.DataFrame, suppressed: pd.Series, parents: dict | None = None) -> pd.Series:
    """Hide more rows until no hidden row can be worked out from the published sums (module notes)."""
    size = results["denominator"].fillna(results["numerator"]).fillna(0).to_numpy(dtype=float)
    hidden = suppressed.to_numpy(dtype=bool).copy()
    sets, blocks = additive_sets(results, parents)
    while True:
        changed = True
        while changed:          # no sum with exactly one hidden row
            changed = False
            for positions in sets:
                if hidden[positions].sum() == 1 and _hide_next(positions, hidden, size):
                    changed = True
        fixed = recoverable(sets, blocks, hidden)
        if len(fixed) == 0:
            return pd.Series(hidden, index=suppressed.index)
        # a row fixed by several sums together: hide another row of a sum it is in
        position = fixed[0]
        if not any(_hide_next(s, hidden, size) for s in sets if position in s):
            raise AssertionError(f"disclosure control cannot protect row {position}")  # every row is hidden


#: Measures whose numerators add up row by row over the same pupils (NEET + not known = NEET or
#: not known): they hide the same rows, or a row hidden in one would be the difference of the others.
LINKED_MEASURES = (("neet_pct", "nk_pct", "neet_nk_pct"),)


def linked_measures(results: pd.DataFrame, suppressed: pd.Series) -> pd.Series:
    """``suppressed`` widened so that the measures of each :data:`LINKED_MEASURES` group hide the
    same rows: a row hidden in one is hidden in all of them."""
    group = {measure: i for i, members in enumerate(LINKED_MEASURES) for measure in members}
    linked = results["measure_id"].map(group)
    if linked.isna().all():
        return suppressed
    frame = results[["time_period", "breakdown_topic", "breakdown"]].assign(group=linked, hidden=suppressed.to_numpy())
    widened = frame.groupby(["group", "time_period", "breakdown_topic", "breakdown"])["hidden"].transform("any")
    return widened.reindex(results.index).fillna(suppressed).astype(bool)


def suppress(results: pd.DataFrame, threshold: int, units: pd.Series, parents: dict | None = None) -> pd.DataFrame:
    """A copy of ``results`` with a boolean ``suppressed`` column (primary then secondary).

    ``parents`` maps a nested topic's rows to their parent rows (see :data:`NESTED_TOPICS`), e.g.
    ``{"School": {URN: school district}, "Ward": {ward: district}}``.
    """
    out = results.reset_index(drop=True).copy()
    # the small groups first, on the denominators alone: the rows this hides are the same for every
    # measure of the same pupils, so one measure's published count of pupils never gives away a
    # small group hidden in another
    small_groups = _small(out["denominator"], threshold)
    if small_groups.any():
        small_groups = secondary_suppression(out, small_groups, parents)
    primary = linked_measures(out, primary_suppression(out, threshold, units) | small_groups)
    out["suppressed"] = secondary_suppression(out, primary, parents) if primary.any() else primary
    return out


def suppress_parts(counts: pd.Series, threshold: int, published: pd.Series | None = None) -> pd.Series:
    """Which of ``counts`` (parts of a whole that is published or can be added up, as a bar
    chart's bars) to hide: those of 1 to ``threshold - 1``, and then, by the same rule as every
    other sum, more until none can be worked out from the whole and the rest.

    ``published`` marks parts whose value is published elsewhere too (a measure in the KPM table):
    True where it is shown there, False where it is suppressed there, missing where it is not
    published. A part shown elsewhere is shown here too (hiding it would protect nothing), so it
    is taken out of the sum, whose remainder is then known; a part suppressed elsewhere is hidden.
    """
    published = pd.Series(pd.NA, index=counts.index, dtype=object) if published is None else published
    shown_elsewhere = published.map(lambda v: v is True).astype(bool)
    hidden_elsewhere = published.map(lambda v: v is False).astype(bool)
    rest = counts[~shown_elsewhere]
    frame = pd.DataFrame({"measure_id": "parts", "time_period": "", "breakdown_topic": ["Total"] + ["Part"] * len(rest),
                          "breakdown": ["Total", *map(str, range(len(rest)))],
                          "numerator": [float(rest.sum()), *rest.astype(float)]})
    frame["denominator"] = frame["numerator"]
    primary = _small(frame["numerator"], threshold)
    primary[1:] = primary[1:].to_numpy() | hidden_elsewhere[rest.index].to_numpy()
    primary[0] = False                         # the whole is known
    hidden = secondary_suppression(frame, primary) if primary.any() else primary
    out = pd.Series(False, index=counts.index)
    out[rest.index] = hidden.to_numpy()[1:]
    return out


def parents_of(tables: dict) -> dict[str, dict[str, str]]:
    """The parent rows of the nested topics, from the validated tables: each school's district
    (schools) and each ward's district (the pupils' home ward and district). A ward found in more
    than one district nests in none."""
    tables = engine.in_one_database(tables)
    parents: dict[str, dict[str, str]] = {}
    schools = tables.get("schools")
    if schools is not None:
        found = engine.query("SELECT CAST(school_urn AS VARCHAR) AS urn, CAST(district AS VARCHAR) AS district "
                             "FROM schools", {"schools": schools})
        parents["School"] = dict(zip(found["urn"].astype(str), found["district"].astype(str)))
    with_wards = {name: t for name, t in tables.items() if {"home_ward", "home_district"} <= set(t.columns)}
    if with_wards:
        pairs = engine.query("SELECT ward, min(district) AS district FROM (" + " UNION ".join(
            f"SELECT DISTINCT CAST(home_ward AS VARCHAR) AS ward, CAST(home_district AS VARCHAR) AS district FROM {name} "
            "WHERE home_ward IS NOT NULL AND home_district IS NOT NULL" for name in with_wards)
            + ") GROUP BY ward HAVING count(DISTINCT district) = 1 ORDER BY ward", with_wards)
        parents["Ward"] = dict(zip(pairs["ward"], pairs["district"]))
    return parents
