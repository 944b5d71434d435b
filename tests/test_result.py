"""The one result shape's query (edstats.measures.result): the total and every breakdown from one
query of grouping sets, checked against pandas' groupby of the same rows."""

import numpy as np
import pandas as pd

TOPICS = {"Sex": ("sex", {"F": "Female", "M": "Male"}), "Ward": ("ward", None)}


def _units(rows=5000, seed=11):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "academic_year": rng.choice(["2024/25", "2022/23"], rows),
        "sex": pd.Series(rng.choice(["F", "M", "X", None], rows), dtype=object),   # X has no label: 'Unknown'
        "ward": pd.Series(rng.choice(["Aston", "Bordesley", None], rows), dtype=object),
        "flag": rng.random(rows) < 0.3,
        "sessions": rng.integers(0, 400, rows),
    })


def test_totals_are_pandas_groupby_sums_for_the_total_and_each_breakdown():
    from edstats.measures.result import totals

    units = _units()
    got = totals("SELECT * FROM units_table", {"units_table": units},
                 {"k": "CASE WHEN flag THEN 1 ELSE 0 END", "p": "sessions"}, TOPICS, units.columns)
    labelled = units.assign(Total="Total", Sex=units["sex"].map(TOPICS["Sex"][1]).fillna("Unknown"),
                            Ward=units["ward"].fillna("Unknown"))
    for topic in ("Total", "Sex", "Ward"):
        expected = labelled.groupby(["academic_year", topic]).agg(
            rows=("flag", "size"), k=("flag", "sum"), p=("sessions", "sum")).reset_index()
        mine = got[got["breakdown_topic"] == topic].sort_values(["academic_year", "breakdown"])
        assert mine["breakdown"].tolist() == expected[topic].tolist()
        assert mine["academic_year"].tolist() == expected["academic_year"].tolist()
        for column in ("rows", "k", "p"):
            assert mine[column].tolist() == expected[column].astype(float).tolist()
    assert set(got.loc[got["breakdown_topic"] == "Sex", "breakdown"]) == {"Female", "Male", "Unknown"}


def test_a_breakdown_appears_for_a_measure_only_where_its_denominator_has_units():
    from edstats.measures.result import Proportion, measures_over

    units = _units(rows=400, seed=2)
    out = measures_over("SELECT * FROM u", {"u": units}, [
        Proportion("everyone", "flag"), Proportion("wards_only", "flag", denominator="ward IS NOT NULL")],
        TOPICS, units.columns)
    wards = out[(out["measure_id"] == "wards_only") & (out["breakdown_topic"] == "Ward")]
    assert "Unknown" not in set(wards["breakdown"])
    everyone = out[(out["measure_id"] == "everyone") & (out["breakdown_topic"] == "Total")].set_index("time_period")
    for year, one in units.groupby("academic_year"):
        assert everyone.loc[year[:4] + year[5:], "numerator"] == one["flag"].sum()
        assert everyone.loc[year[:4] + year[5:], "denominator"] == len(one)


def test_the_sql_academic_year_is_the_python_one_on_every_day_of_four_years():
    """The measures' SQL function academic_year (engine.FUNCTIONS) against periods.academic_year_of,
    1 September and 31 August included."""
    from datetime import date, timedelta

    from edstats.engine import connect
    from edstats.periods import academic_year_of

    days = [date(2022, 8, 1) + timedelta(days=n) for n in range(4 * 366)]
    got = connect().execute("SELECT academic_year(day) FROM unnest($days) AS t(day)", {"days": days}).fetchall()
    assert [year for (year,) in got] == [academic_year_of(day) for day in days]


def test_duckdb_memory_is_what_edstats_memory_limit_says(monkeypatch):
    """An analyst on a shared server caps DuckDB's memory (it spills to disk past it)."""
    from edstats.engine import connect

    monkeypatch.setenv("EDSTATS_MEMORY_LIMIT", "1GB")
    (limit,) = connect().execute("SELECT current_setting('memory_limit')").fetchone()
    assert limit == "953.6 MiB"       # 10^9 bytes, as DuckDB shows it
    monkeypatch.delenv("EDSTATS_MEMORY_LIMIT")
    (default,) = connect().execute("SELECT current_setting('memory_limit')").fetchone()
    assert default != limit


def test_a_relation_is_queried_where_it_is_and_its_first_rows_are_its_read_order():
    """A validated dataset is a table of its connection: a query names it as a frame would be
    named, and a frame without ``_row`` is numbered in its own order."""
    from edstats import engine

    con = engine.connect()
    con.execute("CREATE TABLE valid_x AS SELECT * FROM (VALUES ('b', 2, 7), ('a', 1, 5), ('b', 3, 9)) t(k, _row, v)")
    x = engine.Relation(con, "valid_x")
    first = engine.query("SELECT k, arg_min(v, _row) AS v FROM x GROUP BY k ORDER BY k", {"x": x})
    assert first.to_dict("list") == {"k": ["a", "b"], "v": [5, 7]}
    frame = pd.DataFrame({"k": ["b", "a", "b"], "v": [9, 5, 7]})
    first = engine.query("SELECT k, arg_min(v, _row) AS v FROM x GROUP BY k ORDER BY k", {"x": frame})
    assert first.to_dict("list") == {"k": ["a", "b"], "v": [5, 9]}
    assert x.columns == ["k", "_row", "v"] and len(x) == 3 and not x.empty
