"""An adversary's attack on the published figures: no suppressed cell can be worked out from any
combination of what measures.csv publishes.

The attacker knows what any reader knows — which wards make up each district and which schools
each school district holds (public geography) — and every published number. For each year it
writes down every sum the published rows make (each topic's rows add up to the Total, a
district's wards to the district, a school district's schools to it, NEET plus not known to
"NEET or not known", and measures of the same pupils share their denominators), treats every
``c`` as an unknown, and solves the whole system at once. A suppressed number is recovered when it
takes one value in every solution (its unit vector lies in the row space of the system); the
attack succeeds if it recovers any hidden numerator, or a hidden denominator of fewer than five
pupils.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from edstats.disclosure import suppress
from edstats.measures import measure_dictionary
from edstats.runs import prepare_run
from edstats.publish import write_open_data
from edstats.settings import Settings

#: numerators that add up across measures: parent = sum of the parts, cell by cell
LINKED_NUMERATORS = {"neet_nk_pct": ("neet_pct", "nk_pct")}
NESTED = {"Ward": "District", "School": "School district"}


def public_geography(data) -> dict[str, dict[str, str]]:
    """Ward -> district and school -> school district, read from the raw files (public knowledge)."""
    schools = pd.concat(pd.read_csv(p, dtype=str) for p in sorted((data / "schools").glob("*.csv")))
    wards = []
    for folder in data.iterdir():
        for path in sorted(folder.glob("*.csv")) + sorted(folder.glob("*.parquet")):
            frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str)
            if {"home_ward", "home_district"} <= set(frame.columns):
                wards.append(frame[["home_ward", "home_district"]].astype(str).drop_duplicates())
    wards = pd.concat(wards).drop_duplicates()
    return {"School": dict(zip(schools["school_urn"], schools["district"])),
            "Ward": dict(zip(wards["home_ward"], wards["home_district"]))}


def equations(year: pd.DataFrame, geography: dict, shared_denominators: list[list[str]]):
    """(numerator equations, denominator equations) of one year's published rows, each a list of
    {cell: coefficient} where a cell is (measure_id, breakdown_topic, breakdown)."""
    sums = []
    for measure, rows in year.groupby("measure_id"):
        labels = set(zip(rows["breakdown_topic"], rows["breakdown"]))
        if ("Total", "Total") in labels:
            for topic, part in rows[rows["breakdown_topic"] != "Total"].groupby("breakdown_topic"):
                sums.append(((measure, "Total", "Total"), [(measure, topic, b) for b in part["breakdown"]]))
        for child, parent in NESTED.items():
            kids = rows[rows["breakdown_topic"] == child]
            for label, part in kids.groupby(kids["breakdown"].map(geography[child])):
                if (parent, label) in labels:
                    sums.append(((measure, parent, label), [(measure, child, b) for b in part["breakdown"]]))
    as_equation = [{whole: 1.0, **{part: -1.0 for part in parts}} for whole, parts in sums]
    numerators = list(as_equation)
    cells = set(zip(year["measure_id"], year["breakdown_topic"], year["breakdown"]))
    for whole, parts in LINKED_NUMERATORS.items():
        for _, topic, breakdown in [c for c in cells if c[0] == whole]:
            if all((p, topic, breakdown) in cells for p in parts):
                numerators.append({(whole, topic, breakdown): 1.0,
                                   **{(p, topic, breakdown): -1.0 for p in parts}})
    denominators = list(as_equation)
    for family in shared_denominators:
        for first, other in zip(family, family[1:]):
            for _, topic, breakdown in [c for c in cells if c[0] == first]:
                denominators.append({(first, topic, breakdown): 1.0, (other, topic, breakdown): -1.0})
    return numerators, denominators


def recovered(system: list[dict], hidden: set) -> list:
    """Hidden cells that take one value in every solution of ``system`` (published cells known)."""
    unknown = sorted({cell for equation in system for cell in equation if cell in hidden})
    if not unknown:
        return []
    column = {cell: j for j, cell in enumerate(unknown)}
    matrix = np.zeros((len(system), len(unknown)))
    for i, equation in enumerate(system):
        for cell, coefficient in equation.items():
            if cell in column:
                matrix[i, column[cell]] = coefficient
    projection = np.linalg.pinv(matrix) @ matrix          # onto the row space
    return [cell for cell, j in column.items() if abs(projection[j, j] - 1.0) < 1e-8]


def same_pupils(results: pd.DataFrame, time_period: str) -> list[list[str]]:
    """Measures of one year whose denominators agree in every row (from the unsuppressed truth,
    which the attacker is granted: stronger than guessing it from the published rows)."""
    year = results[results["time_period"] == time_period].sort_values(["breakdown_topic", "breakdown"])
    signatures = {}
    for measure, rows in year.groupby("measure_id"):
        key = tuple(zip(rows["breakdown_topic"], rows["breakdown"], rows["denominator"].fillna(-1)))
        signatures.setdefault(key, []).append(measure)
    return [family for family in signatures.values() if len(family) > 1]


def attack(published: pd.DataFrame, results: pd.DataFrame, geography: dict, threshold: int = 5) -> dict[str, list]:
    """Every suppressed number of a published measures.csv that the published figures give away,
    by year: any hidden numerator, and any hidden denominator that is itself a small number (one
    measure's published count of pupils may be another's hidden one; only a group of fewer than
    ``threshold`` pupils is protected by hiding it)."""
    truth = results.set_index(["time_period", "measure_id", "breakdown_topic", "breakdown"])["denominator"]
    leaks = {}
    for time_period, year in published.groupby("time_period"):
        numerators, denominators = equations(year, geography, same_pupils(results, time_period))
        for column, system in (("numerator", numerators), ("denominator", denominators)):
            shown = dict(zip(zip(year["measure_id"], year["breakdown_topic"], year["breakdown"]), year[column]))
            hidden = {cell for cell, value in shown.items() if value in ("c", "x")}
            # a sum with a cell not available ('x': a median has no numerator) tells nothing
            usable = [e for e in system if not any(shown.get(c) == "x" for c in e)]
            found = [c for c in recovered(usable, hidden) if shown[c] == "c"
                     and (column == "numerator" or 0 < truth[(time_period, *c)] < threshold)]
            if found:
                leaks[f"{time_period} {column}"] = found
    return leaks


def published_file(run, folder) -> pd.DataFrame:
    write_open_data(run.marked, run.settings, folder)
    return pd.read_csv(folder / "measures.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def small_seed_1(tmp_path_factory):
    from edstats.synth import write_synthetic

    folder = tmp_path_factory.mktemp("attack") / "raw"
    write_synthetic(folder, scale="small", seed=1)
    return folder


@pytest.mark.parametrize("fixture", ["small_seed_1", "small_data"])
def test_no_suppressed_cell_is_recoverable_from_the_small_la(fixture, request, tmp_path):
    data = request.getfixturevalue(fixture)
    run = prepare_run(data, Settings())
    published = published_file(run, tmp_path)
    assert (published["numerator"] == "c").sum() > 200, "the small LA must have suppressed cells to attack"
    assert attack(published, run.results, public_geography(data)) == {}


@pytest.mark.slow
def test_no_suppressed_cell_is_recoverable_at_city_scale(city_data, tmp_path):
    run = prepare_run(city_data, Settings())
    published = published_file(run, tmp_path)
    assert (published["numerator"] == "c").sum() > 100
    assert attack(published, run.results, public_geography(city_data)) == {}


# -- hand-made tables where a naive rule leaks -------------------------------------------------------------

UNITS = measure_dictionary()["unit"]


def table(rows, measure_id="ks2_rwm_high_pct", time_period="202223"):
    return pd.DataFrame([{"measure_id": measure_id, "time_period": time_period, "breakdown_topic": t, "breakdown": b,
                          "numerator": float(n), "denominator": float(d), "value": 100 * n / d, "ci_lower": 0.0,
                          "ci_upper": 0.0} for t, b, n, d in rows])


def publish(frame: pd.DataFrame, parents: dict, tmp_path) -> pd.DataFrame:
    marked = suppress(frame, 5, UNITS, parents)
    write_open_data(marked, Settings(), tmp_path)
    return pd.read_csv(tmp_path / "measures.csv", dtype=str, keep_default_na=False)


ASHGROVE = [("Total", "Total", 31, 305), ("District", "Ashgrove", 9, 97), ("District", "Brackenhurst", 22, 208),
            ("Ward", "Ashgrove North", 7, 54), ("Ward", "Ashgrove South", 2, 43),
            ("Ward", "Brackenhurst North", 10, 50), ("Ward", "Brackenhurst South", 12, 158)]
WARDS = {"Ashgrove North": "Ashgrove", "Ashgrove South": "Ashgrove", "Brackenhurst North": "Brackenhurst",
         "Brackenhurst South": "Brackenhurst"}


def test_a_ward_is_not_recovered_as_its_district_less_its_other_ward(tmp_path):
    """The issue's case: District Ashgrove 9 of 97, Ward Ashgrove North 7 of 54, so a suppressed
    Ashgrove South is 2 of 43. Suppressing by topic alone (both wards of the LA) leaks it."""
    frame = table(ASHGROVE)
    naive = publish(frame, {}, tmp_path)          # no nesting known: wards only sum to the Total
    geography = {"Ward": WARDS, "School": {}}
    assert attack(naive, frame, geography), "the attacker must find the leak of the topic-only rule"
    safe = publish(frame, {"Ward": WARDS}, tmp_path)
    assert attack(safe, frame, geography) == {}
    hidden = safe.set_index("breakdown")["numerator"] == "c"
    assert hidden["Ashgrove South"] and hidden["Ashgrove North"]
    assert not hidden["Brackenhurst North"] and not hidden["Total"]


def test_a_district_whose_only_school_is_suppressed_is_suppressed_too(tmp_path):
    frame = table([("Total", "Total", 40, 300), ("School district", "Ashgrove", 3, 40),
                   ("School district", "Castlemead", 37, 260), ("School", "100001", 3, 40),
                   ("School", "100002", 17, 130), ("School", "100003", 20, 130)])
    schools = {"100001": "Ashgrove", "100002": "Castlemead", "100003": "Castlemead"}
    geography = {"Ward": {}, "School": schools}
    safe = publish(frame, {"School": schools}, tmp_path)
    hidden = safe.set_index("breakdown")["numerator"] == "c"
    assert hidden["100001"] and hidden["Ashgrove"], "Ashgrove's row is its only school's"
    assert attack(safe, frame, geography) == {}


def test_linked_measures_hide_the_same_rows(tmp_path):
    """Not known = (NEET or not known) - NEET: a not-known count of 2 hidden alone would be given
    away by the other two measures' rows."""
    rows = lambda n: [("Total", "Total", n[0], 400), ("Sex", "Female", n[1], 200), ("Sex", "Male", n[2], 200)]
    frame = pd.concat([table(rows((30, 14, 16)), "neet_pct"), table(rows((12, 2, 10)), "nk_pct"),
                       table(rows((42, 16, 26)), "neet_nk_pct")], ignore_index=True)
    safe = publish(frame, {}, tmp_path)
    hidden = safe.set_index(["measure_id", "breakdown"])["numerator"] == "c"
    assert hidden[("nk_pct", "Female")]
    assert hidden[("neet_pct", "Female")] and hidden[("neet_nk_pct", "Female")]
    assert attack(safe, frame, {"Ward": {}, "School": {}}) == {}
