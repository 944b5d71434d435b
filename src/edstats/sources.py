"""Where the datasets come from: a folder of CSV and Parquet files (the default), a DuckDB
database file, or a PostgreSQL database — the LA's warehouse — with one table or view per dataset,
named as the dataset's folder would be (``schools``, ``ks2``, ...).

A database's tables are read into the validation's DuckDB connection as the folder's files are
(``raw_<dataset>``) and checked the same way. A problem in a database row names the table and the
row's place when the table's rows are put in the order of the dataset's key (a table has no line
numbers of its own).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import duckdb

from .contract import DATASETS
from .contract.reader import FILE_COL, LINE_COL, ROW_COL, InputFile, RawDataset, as_read, quoted
from .errors import InputError

DATABASE_SUFFIXES = (".duckdb", ".ddb", ".db")
_PASSWORD = re.compile(r"(://[^:/@]+):[^@]*@")


def has_password(url: str) -> bool:
    return bool(_PASSWORD.search(url))


def without_password(text: str) -> str:
    """``text`` with any password in a database address in it replaced by ``***``."""
    return _PASSWORD.sub(r"\1:***@", text)


@dataclass(frozen=True)
class Database:
    """A database source: ``url`` as given (``postgresql://...`` or a DuckDB file's path)."""

    url: str

    @property
    def kind(self) -> str:
        return "postgres" if is_postgres(self.url) else "duckdb"

    @property
    def shown(self) -> str:
        """The source as messages show it: a PostgreSQL password is never printed."""
        return without_password(self.url)


def is_postgres(data: str | Path) -> bool:
    return str(data).startswith(("postgresql://", "postgres://"))


def is_database(data: str | Path) -> bool:
    """Whether ``--data`` names a database rather than a folder."""
    return is_postgres(data) or (Path(data).suffix.lower() in DATABASE_SUFFIXES and Path(data).is_file())


def load_extension(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Load a DuckDB extension from its PyPI package (``duckdb-extension-<name>``, pinned to this
    DuckDB's version): DuckDB's own download is never used. It is installed into a folder of the
    system's temporary folder, not the home folder."""
    package = f"duckdb_extension_{name}"
    path = files(package).joinpath("extensions", f"v{duckdb.__version__}", f"{name}.duckdb_extension")
    con.execute(f"SET extension_directory = '{Path(tempfile.gettempdir()) / 'edstats-duckdb-extensions'}'")
    con.execute(f"INSTALL '{path}'")
    con.execute(f"LOAD {name}")


def attach(con: duckdb.DuckDBPyConnection, source: Database, read_only: bool = True) -> str:
    """Attach the database to ``con`` as ``source``; returns the schema its tables are in."""
    try:
        if source.kind == "postgres":
            load_extension(con, "postgres")
            con.execute(f"ATTACH '{source.url}' AS source (TYPE postgres{', READ_ONLY' if read_only else ''})")
            return "source.public"
        con.execute(f"ATTACH '{source.url}' AS source{' (READ_ONLY)' if read_only else ''}")
        return "source.main"
    except duckdb.Error as exc:
        raise InputError(f"The database {source.shown} could not be opened: {without_password(str(exc))}. Check the address, the user "
                         "and that the server is running.") from None


def dataset_tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    """The datasets the database holds a table or view for, in the contract's order."""
    catalog, name = schema.split(".")
    held = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = $c "
                                      "AND table_schema = $s", {"c": catalog, "s": name}).fetchall()}
    return [d for d in DATASETS if d in held and d != "attendance_sessions"]


def read_table(con: duckdb.DuckDBPyConnection, source: Database, schema: str, name: str) -> RawDataset:
    """A database table of dataset ``name`` read as the folder's files are: numbers as numbers,
    everything else as text, into ``raw_<name>``; ``_file`` names the table, ``_line`` is the row's
    place in the order of the dataset's key (the first row 2, as in a file)."""
    table = f"{schema}.{name}"
    described = con.execute(f"DESCRIBE SELECT * FROM {table}").fetchall()
    columns = {str(column).strip().lower(): (column, kind) for column, kind, *_ in described}

    order = [as_read(*columns[c]) for c in DATASETS[name].key if c in columns] or ["1"]
    con.execute(f"""
        CREATE TABLE raw_{name} AS SELECT *, {LINE_COL} AS {ROW_COL} FROM (
            SELECT {', '.join(f'{as_read(column, kind)} AS {quoted(trimmed)}' for trimmed, (column, kind) in columns.items())},
                   $file AS {FILE_COL}, (row_number() OVER (ORDER BY {', '.join(order)}) + 1)::BIGINT AS {LINE_COL}
            FROM {table})""", {"file": f"{source.shown} table {name}"})
    # The table's fingerprint, as a file's SHA-256 is its bytes': the SHA-256 of its rows' MD5s in
    # the key's order, each row's cells as text
    cells = ", ".join(quoted(c) for c in columns)
    rows, sha256 = con.execute(f"SELECT count(*), sha256(coalesce(string_agg(md5(CAST(ROW({cells}) AS VARCHAR)), '' "
                               f"ORDER BY {LINE_COL}), '')) FROM raw_{name}").fetchone()
    return RawDataset(name, f"raw_{name}", files=[InputFile(f"{source.shown} table {name}", rows, sha256)],
                      copies=[f"raw_{name}"])
