"""The measures on Apache Spark: the same queries, transpiled from DuckDB's SQL by SQLGlot.

A measure module's queries are written once, in DuckDB's dialect (``sql/*.sql`` and the queries
in ``measures/``). :class:`SparkEngine` runs them on a Spark session instead of an embedded
DuckDB: each input frame becomes a temporary view and each query is transpiled by SQLGlot
(``read="duckdb", write="spark"``). ``tests/test_spark.py`` runs every measure on both engines
and asserts the same results; ``docs/scale.md`` says how to use it on a cluster.

    from edstats import engine
    from edstats.spark import SparkEngine
    with engine.using(SparkEngine(spark)):
        results = compute_all(frames, settings)
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlglot

from .engine import FUNCTIONS, as_arrow, bind, frame_of, kept_name


def local_session(cores: int = 2, memory: str = "4g"):
    """A Spark session in local mode on ``cores`` cores with ``memory`` for the driver, which in
    local mode runs every task (Spark's default, 1 GB, runs out on twelve LAs' KS4 results)."""
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master(f"local[{cores}]").appName("edstats")
            .config("spark.driver.memory", memory)
            .config("spark.sql.shuffle.partitions", str(cores))
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.timestampType", "TIMESTAMP_NTZ")      # dates and times as written, no time zone
            .config("spark.ui.enabled", "false")
            .getOrCreate())


def to_spark_sql(query: str, parameters: dict | None = None) -> str:
    """``query`` (DuckDB's SQL, ``$name`` parameters) as Spark SQL, parameters bound."""
    return sqlglot.transpile(bind(query, parameters or {}), read="duckdb", write="spark")[0]


def _spark_type(duckdb_type: str) -> str:
    """A DuckDB type name as Spark's (VARCHAR -> STRING)."""
    return sqlglot.transpile(f"CAST(x AS {duckdb_type})", read="duckdb", write="spark")[0].split(" AS ", 1)[1][:-1]


def _spark_parameters(parameters: str) -> str:
    """'day DATE, n INTEGER' with each type as Spark's."""
    return ", ".join(f"{p.split()[0]} {_spark_type(p.split(None, 1)[1])}" for p in parameters.split(","))


class SparkEngine:
    """Runs a measure's query on a Spark session."""

    def __init__(self, session=None):
        self.session = session or local_session()
        for name, (parameters, returns, body) in FUNCTIONS.items():
            self.session.sql(f"CREATE OR REPLACE TEMPORARY FUNCTION {name}({_spark_parameters(parameters)}) "
                             f"RETURNS {_spark_type(returns)} RETURN {to_spark_sql(body)}")

    def _views(self, tables: dict) -> None:
        for name, table in tables.items():
            if isinstance(table, SparkTable):
                self.session.table(table.name).createOrReplaceTempView(name)
            else:
                self.session.createDataFrame(as_arrow(table)).createOrReplaceTempView(name)

    def query(self, query: str, tables: dict, parameters: dict | None = None) -> pd.DataFrame:
        self._views(tables)
        return frame_of(self.session.sql(to_spark_sql(query, parameters)).toArrow())

    def table(self, name: str, query: str, tables: dict, parameters: dict | None = None) -> "SparkTable":
        """The rows of ``query`` kept in Spark (cached, as the temporary view ``<name>_<n>``)."""
        self._views(tables)
        kept = kept_name(name)
        self.session.sql(to_spark_sql(query, parameters)).cache().createOrReplaceTempView(kept)
        return SparkTable(self, kept)

    def forget(self, table: "SparkTable") -> None:
        """Drop (and uncache) a table :meth:`table` kept."""
        self.session.catalog.dropTempView(table.name)


@dataclass(frozen=True)
class SparkTable:
    """A query's rows kept in Spark (:meth:`SparkEngine.table`), for the next queries to read there."""

    engine: SparkEngine
    name: str

    @property
    def columns(self) -> list[str]:
        return self.engine.session.table(self.name).columns

    def __contains__(self, column: str) -> bool:
        return column in self.columns

    @property
    def empty(self) -> bool:
        return self.engine.session.table(self.name).isEmpty()

    def to_pandas(self) -> pd.DataFrame:
        return frame_of(self.engine.session.table(self.name).toArrow())
