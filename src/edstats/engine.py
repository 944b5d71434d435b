"""The query engine: DuckDB, embedded in the process (no server), one connection per piece of work.

Every connection gets the SQL macros of ``sql/macros.sql`` (the UPN check letter, the academic
year of a date), so that a rule or a measure written as a query reads as its definition. DuckDB
runs a query on every core it is given and spills to disk past its memory limit; edstats never
downloads an extension at run time.
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
from dataclasses import dataclass
import os
import re
import tempfile
from importlib.resources import files

import duckdb
import pandas as pd
import pyarrow as pa


#: The SQL functions the measures' queries use, which every engine has: name -> (parameters, the
#: type returned, the body in DuckDB's SQL). DuckDB gets each as a macro (:func:`connect`); Spark
#: as a temporary SQL function, its body transpiled (:class:`edstats.spark.SparkEngine`).
FUNCTIONS = {
    # The academic year (1 September to 31 August) of a date, written like 2024/25.
    "academic_year": ("day DATE", "VARCHAR",
                      "concat(CAST(year(day) - CASE WHEN month(day) < 9 THEN 1 ELSE 0 END AS VARCHAR), '/', "
                      "lpad(CAST((year(day) - CASE WHEN month(day) < 9 THEN 1 ELSE 0 END + 1) % 100 AS VARCHAR), 2, '0'))"),
}


def cores() -> int:
    """The cores this process may run on (DuckDB's threads)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:      # not Linux
        return max(1, os.cpu_count() or 1)


def sql(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    return files("edstats").joinpath("sql", f"{name}.sql").read_text()


def run_script(con: duckdb.DuckDBPyConnection, name: str, parameters: dict) -> None:
    """Run each statement of ``sql/<name>.sql`` (statements end with a semicolon at the end of a
    line), each with the ``parameters`` it names (``$name``)."""
    for statement in re.split(r";\s*\n", sql(name)):
        if statement.strip() and not all(line.lstrip().startswith("--") for line in statement.strip().splitlines()):
            con.execute(statement, {k: v for k, v in parameters.items() if re.search(rf"\${k}\b", statement)})


#: The share of the machine's memory a DuckDB connection may use before it spills to disk, not
#: DuckDB's own 80%: the process also holds pandas frames of results and the papers' data.
MEMORY_SHARE = 0.4


def memory_limit() -> str:
    """The memory DuckDB may use before it spills to disk: ``EDSTATS_MEMORY_LIMIT`` when set (in
    DuckDB's form, e.g. ``3GB``), else :data:`MEMORY_SHARE` of the machine's physical memory."""
    if os.environ.get("EDSTATS_MEMORY_LIMIT"):
        return os.environ["EDSTATS_MEMORY_LIMIT"]
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):     # not Linux or macOS: DuckDB's own default
        return "80%"
    return f"{int(total * MEMORY_SHARE / 2**20)}MB"


def connect(database: str = ":memory:", read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with edstats' macros. Rows need not come back in the order they were
    read unless a query says ``ORDER BY`` (less memory on large scans); work that does not fit in
    :func:`memory_limit` spills to the system's temporary folder."""
    con = duckdb.connect(database, read_only=read_only, config={
        "threads": cores(), "preserve_insertion_order": False, "memory_limit": memory_limit(),
        "autoinstall_known_extensions": False, "autoload_known_extensions": False,
        "temp_directory": os.path.join(tempfile.gettempdir(), f"edstats-duckdb-{os.getpid()}")})
    try:
        con.execute("SET enable_progress_bar = false")     # no bar on the terminal beside edstats' own
    except duckdb.InvalidInputException:
        pass             # in a Jupyter kernel DuckDB draws no bar without ipywidgets, and will not be told
    con.execute(sql("macros"))
    for name, (parameters, _, body) in FUNCTIONS.items():
        names = ", ".join(p.split()[0] for p in parameters.split(","))
        con.execute(f"CREATE OR REPLACE MACRO {name}({names}) AS {body}")
    return con


def register(con: duckdb.DuckDBPyConnection, name: str, frame) -> None:
    """Make a pandas frame (or an Arrow table) a table of ``con``. A pandas frame goes as Arrow:
    DuckDB reads Arrow in place, where it reads pandas' Arrow-held text a value at a time (3.5
    million census rows: 8.6 s against 0.1 s)."""
    if isinstance(frame, pd.DataFrame):
        frame = pa.Table.from_pandas(frame, preserve_index=False)
    con.register(name, frame)


_PANDAS_TYPES = {pa.string(): pd.StringDtype("pyarrow"), pa.large_string(): pd.StringDtype("pyarrow"),
                 pa.int64(): pd.Int64Dtype(), pa.int32(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype()}


def as_frame(con, query: str, parameters=None) -> pd.DataFrame:
    """A query's rows as a pandas frame (:func:`frame_of`)."""
    return frame_of(con.execute(query, parameters or {}).to_arrow_table())


def frame_of(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as a pandas frame: text as pandas' string type, whole numbers as nullable
    integers, numbers as nullable floats, dates as datetimes."""
    frame = table.to_pandas(types_mapper=_PANDAS_TYPES.get, date_as_object=False)
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            if getattr(frame[column].dt, "tz", None) is not None:      # an engine that gives UTC times
                frame[column] = frame[column].dt.tz_convert("UTC").dt.tz_localize(None)
            frame[column] = frame[column].astype("datetime64[us]")
    return frame


def bind(query: str, parameters: dict) -> str:
    """``query`` with each ``$name`` replaced by the SQL literal of ``parameters[name]``: text
    quoted, numbers as written, ``None`` as NULL, a list or tuple as ``(a, b, ...)`` for ``IN``.
    Measures pass their parameters this way so that the same text runs on every engine."""
    def literal(value) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, (int, float)):
            return repr(value)
        if isinstance(value, (list, tuple)):
            return "(" + ", ".join(literal(v) for v in value) + ")" if value else "(NULL)"
        return "'" + str(value).replace("'", "''") + "'"

    def replace(match):
        name = match.group(1)
        if name not in parameters:
            raise KeyError(f"the query names ${name}, which was not given")
        return literal(parameters[name])
    return re.sub(r"\$([A-Za-z_][A-Za-z0-9_]*)", replace, query)


#: Every table a measure reads has this column: the row's place in the order the rows were read
#: (validation numbers the rows of a dataset's files one after another; a frame given without it
#: is numbered in its own order). A measure that keeps "the first row" of something means this.
ROW_COL = "_row"


@dataclass(frozen=True)
class Relation:
    """A table or view of an open DuckDB connection, which the measures query where it is: a
    validated dataset (:func:`edstats.validate.validate_data`), never copied into Python."""

    con: duckdb.DuckDBPyConnection
    name: str

    @property
    def columns(self) -> list[str]:
        return [row[0] for row in self.con.execute(f"DESCRIBE {self.name}").fetchall()]

    def __contains__(self, column: str) -> bool:
        return column in self.columns

    def __len__(self) -> int:
        return self.con.execute(f"SELECT count(*) FROM {self.name}").fetchone()[0]

    @property
    def empty(self) -> bool:
        return self.con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {self.name} LIMIT 1)").fetchone()[0] == 0

    def to_pandas(self) -> pd.DataFrame:
        """Its rows as a pandas frame (:func:`frame_of`), in the order they were read; for the
        small tables (schools, the calendar) that code outside a query reads."""
        order = f" ORDER BY {ROW_COL}" if ROW_COL in self.columns else ""
        return as_frame(self.con, f"SELECT * FROM {self.name}{order}")


def as_pandas(table) -> pd.DataFrame:
    """A table a measure was given (a pandas frame, an Arrow table, a :class:`Relation` or a table
    an engine keeps) as a pandas frame."""
    if isinstance(table, pd.DataFrame):
        return table
    return frame_of(table) if isinstance(table, pa.Table) else table.to_pandas()


def as_arrow(table) -> pa.Table:
    """A table a measure was given as an Arrow table with :data:`ROW_COL` (an engine's input)."""
    if isinstance(table, Relation):
        return table.con.execute(f"SELECT * FROM {table.name}").to_arrow_table()
    if isinstance(table, pd.DataFrame):
        table = pa.Table.from_pandas(table, preserve_index=False)
    if ROW_COL not in table.column_names:
        table = table.append_column(ROW_COL, pa.array(range(table.num_rows), pa.int64()))
    return table


def in_one_database(tables: dict) -> dict[str, Relation]:
    """``tables`` as relations of one DuckDB connection, the measures' inputs: validation's as they
    are, frames (a test's, the synthetic England's) loaded into a new connection."""
    if all(isinstance(t, Relation) for t in tables.values()):
        if len({id(t.con) for t in tables.values()}) > 1:
            raise ValueError("the tables must all be of one DuckDB connection")
        return dict(tables)
    if any(isinstance(t, Relation) for t in tables.values()):
        raise ValueError("give the tables all as frames or all as relations of one DuckDB connection")
    con = connect()
    for name, frame in tables.items():
        con.register("incoming", as_arrow(frame))
        con.execute(f"CREATE TABLE given_{name} AS SELECT * FROM incoming")
        con.unregister("incoming")
    return {name: Relation(con, f"given_{name}") for name in tables}


def derived(table: Relation, suffix: str, query: str) -> Relation:
    """A view ``<table>_<suffix>`` of ``query`` (which names the table ``{table}``) beside ``table``."""
    name = f"{table.name}_{suffix}"
    table.con.execute(f"CREATE OR REPLACE VIEW {name} AS " + query.format(table=table.name))
    return Relation(table.con, name)


_kept = itertools.count(1)


def kept_name(name: str) -> str:
    """A new name for a table an engine keeps (:func:`table`): ``<name>_<n>``."""
    return f"{name}_{next(_kept)}"


class DuckDBEngine:
    """Runs a measure's query on DuckDB (the default engine): on the connection that holds its
    :class:`Relation` tables, or on a new one for frames."""

    @contextlib.contextmanager
    def _cursor(self, tables: dict):
        """A connection with ``tables`` under their names: a cursor of the connection that holds
        the :class:`Relation` tables (it shares that database, but has its own temporary names, so
        that one query's names never meet another's), or a new connection."""
        held = {id(t.con): t.con for t in tables.values() if isinstance(t, Relation)}
        if len(held) > 1:
            raise ValueError("a query's tables must all be of one DuckDB connection")
        owner = next(iter(held.values())) if held else connect()
        con = owner.cursor()
        try:
            for name, table in tables.items():
                if isinstance(table, Relation):
                    con.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM {table.name}")
                else:
                    con.register(name, as_arrow(table))
            yield owner, con
        finally:
            con.close()

    def query(self, query: str, tables: dict, parameters: dict | None = None) -> pd.DataFrame:
        """The rows of ``query`` (DuckDB's SQL, ``$name`` parameters) over ``tables`` (name -> pandas
        frame, Arrow table or :class:`Relation`) as a pandas frame (:func:`as_frame`)."""
        with self._cursor(tables) as (_, con):
            return as_frame(con, bind(query, parameters or {}))

    def table(self, name: str, query: str, tables: dict, parameters: dict | None = None) -> Relation:
        """The rows of ``query`` kept as a table of the connection (``<name>_<n>``), for the next
        queries to read where it is."""
        with self._cursor(tables) as (owner, con):
            kept = kept_name(name)
            con.execute(f"CREATE TABLE {kept} AS {bind(query, parameters or {})}")
            return Relation(owner, kept)

    def forget(self, table: Relation) -> None:
        """Drop a table :meth:`table` kept."""
        table.con.execute(f"DROP TABLE IF EXISTS {table.name}")


_current: contextvars.ContextVar = contextvars.ContextVar("edstats_engine", default=None)


def current():
    """The engine the measures run on: DuckDB unless :func:`using` says otherwise."""
    return _current.get() or DuckDBEngine()


@contextlib.contextmanager
def using(engine):
    """Run the measures inside the ``with`` block on ``engine`` (e.g. :class:`edstats.spark.SparkEngine`)."""
    token = _current.set(engine)
    try:
        yield engine
    finally:
        _current.reset(token)


def query(text: str, tables: dict, parameters: dict | None = None) -> pd.DataFrame:
    """``text`` run on the current engine (:func:`current`)."""
    return current().query(text, tables, parameters)


def table(name: str, text: str, tables: dict, parameters: dict | None = None):
    """``text`` run on the current engine, its rows kept there as a table for the next queries'
    ``tables`` (a pupil-level step between two queries never comes back to Python)."""
    return current().table(name, text, tables, parameters)


def forget(*tables) -> None:
    """Drop tables the current engine kept (:func:`table`); a frame among them is left alone."""
    for kept in tables:
        if not isinstance(kept, (pd.DataFrame, pa.Table)):
            current().forget(kept)
