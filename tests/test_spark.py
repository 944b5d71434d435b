"""The same measure definitions on DuckDB and on Apache Spark (PySpark in local mode): every
measure of the small synthetic LA, and of twelve LAs at once, gives the same results on both.

Every number must be equal, to the last bit: counts and sessions are whole numbers, and the
fractional values a mean adds up (thirds, tenths) are added as decimals, exactly, on both engines,
whatever order each adds them in."""

import pandas as pd
import pytest

from edstats import engine
from edstats.compare.p8_estimates import load_estimates_by_year
from edstats.measures import compute_all, compute_by_la
from edstats.measures.monthly import compute_series
from edstats.settings import Settings
from edstats.validate import validate_data

pyspark = pytest.importorskip("pyspark")
KEY = ["measure_id", "time_period", "breakdown_topic", "breakdown"]


class CountingSparkEngine:
    """The Spark engine, counting the queries it is given (so that a test knows Spark ran them)."""

    def __init__(self, session):
        from edstats.spark import SparkEngine

        self.spark, self.queries = SparkEngine(session), 0

    def query(self, query, tables, parameters=None):
        self.queries += 1
        return self.spark.query(query, tables, parameters)

    def table(self, name, query, tables, parameters=None):
        self.queries += 1
        return self.spark.table(name, query, tables, parameters)

    def forget(self, table):
        self.spark.forget(table)


@pytest.fixture(scope="module")
def spark():
    from edstats.spark import local_session

    session = local_session()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def assert_same_results(duck: pd.DataFrame, spark_out: pd.DataFrame):
    assert len(duck) == len(spark_out) > 0
    merged = duck.merge(spark_out, on=KEY, how="outer", suffixes=("_duckdb", "_spark"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged.loc[merged["_merge"] != "both", [*KEY, "_merge"]].head()
    for column in ("numerator", "denominator", "value", "ci_lower", "ci_upper"):
        a, b = merged[f"{column}_duckdb"].astype(float), merged[f"{column}_spark"].astype(float)
        same = (a == b) | (a.isna() & b.isna())
        assert same.all(), merged.loc[~same, [*KEY, f"{column}_duckdb", f"{column}_spark"]].head()


def test_every_measure_of_one_la_is_the_same_on_spark(small_data, spark):
    data = validate_data(small_data)
    estimates = load_estimates_by_year(small_data / "p8_estimates")
    duck = compute_all(data.tables, Settings(), estimates=estimates, sessions=data.sessions)
    on_spark = CountingSparkEngine(spark)
    with engine.using(on_spark):
        spark_out = compute_all(data.tables, Settings(), estimates=estimates, sessions=data.sessions)
    assert on_spark.queries >= 10
    assert set(duck["measure_id"]) >= {"ks2_rwm_exp_pct", "ks4_att8_avg", "ks4_p8_avg", "abs_persistent_pct",
                                       "abs_ytd_persistent_pct", "neet_pct", "eyfs_gld_pct", "excl_perm_rate"}
    assert_same_results(duck, spark_out)


def test_the_monthly_series_are_the_same_on_spark(small_data, spark):
    data = validate_data(small_data)
    duck = compute_series(data.tables, data.sessions, Settings(), "2026-03-31")
    with engine.using(CountingSparkEngine(spark)):
        spark_out = compute_series(data.tables, data.sessions, Settings(), "2026-03-31")
    assert set(duck) == set(spark_out) >= {"neet_by_month", "pa_by_month"}
    def plain(frame):       # the engines' integer widths differ (Spark's counts are 64-bit, DuckDB's too; row
        return frame.reset_index(drop=True).apply(       # numbers 32-bit), so numbers compare as floats
            lambda c: c.astype(float) if pd.api.types.is_numeric_dtype(c) else c.astype(str))
    for name in duck:
        pd.testing.assert_frame_equal(plain(duck[name]), plain(spark_out[name]), check_exact=True)


def test_every_measure_of_twelve_las_at_once_is_the_same_on_spark(national, spark):
    data = validate_data(national)
    estimates = load_estimates_by_year(national / "p8_estimates")
    duck = compute_by_la(data.tables, Settings(), estimates)
    with engine.using(CountingSparkEngine(spark)):
        spark_out = compute_by_la(data.tables, Settings(), estimates)
    assert duck["breakdown"][duck["breakdown_topic"] == "Local authority"].nunique() == 12
    assert_same_results(duck, spark_out)
