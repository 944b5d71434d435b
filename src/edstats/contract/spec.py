"""Declarative column and dataset specifications (the data contract's vocabulary)."""

from __future__ import annotations

from dataclasses import dataclass

#: Kinds of column the checker knows.
KINDS = ("upn", "urn", "code", "integer", "number", "date", "academic_year", "month", "text")


@dataclass(frozen=True)
class Column:
    """One column of the contract.

    ``kind`` picks the check (see :data:`KINDS`); ``codes`` lists the only allowed values of a
    ``code`` column; ``required`` means the column must be in the file; ``nullable`` means a
    blank cell is allowed; ``minimum``/``maximum`` bound numbers.
    """

    name: str
    kind: str
    codes: tuple[str, ...] = ()
    required: bool = True
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    meaning: str = ""
    future_allowed: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass(frozen=True)
class RowCheck:
    """A rule across columns of a row: ``condition`` is SQL that is true for a row that breaks it.

    It reads ``columns`` through the macros ``txt(column)`` (the cell trimmed, '' for blank) and
    ``num(column)`` (the cell as a number, NULL for blank or not a number) of ``sql/macros.sql``,
    so that a cell reads the same whether it came as text (CSV) or as a number (Parquet). A row
    where the condition is NULL does not break it. ``column`` is the column the problem is
    reported against; the rule is not checked when the dataset lacks one of ``columns`` (that is
    reported already, as a missing column).
    """

    column: str
    rule: str
    fix: str
    condition: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Dataset:
    """A dataset folder of ``data/raw``: its columns and the key that must be unique."""

    name: str
    title: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    pupil_level: bool = True
    row_checks: tuple[RowCheck, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


YES_NO = ("Y", "N")

#: Optional pupil characteristics, allowed on every pupil-level dataset.
CHARACTERISTICS: tuple[Column, ...] = (
    Column("sex", "code", ("F", "M"), required=False, nullable=True),
    Column("disadvantaged", "code", YES_NO, required=False, nullable=True),
    Column("fsm", "code", YES_NO, required=False, nullable=True),
    Column("sen_provision", "code", ("N", "K", "E"), required=False, nullable=True),
    Column("eal", "code", YES_NO, required=False, nullable=True),
    Column("ethnicity_major", "code", ("WHIT", "MIXD", "ASIA", "BLAC", "CHIN", "AOEG", "UNCL"),
           required=False, nullable=True),
    Column("looked_after", "code", YES_NO, required=False, nullable=True),
    Column("home_district", "text", required=False, nullable=True),
    Column("home_ward", "text", required=False, nullable=True),
)
