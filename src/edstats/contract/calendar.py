"""``calendar``: every date of every academic year in the data, and whether it is a school day."""

from .spec import Column, Dataset

CALENDAR = Dataset(
    name="calendar",
    title="School calendar",
    pupil_level=False,
    key=("date",),
    columns=(
        Column("date", "date", future_allowed=True, meaning="the calendar covers whole academic years"),
        Column("is_school_day", "code", ("Y", "N")),
        Column("term", "code", ("AUT", "SPR", "SUM"), nullable=True),
        Column("note", "text", nullable=True),
    ),
)
