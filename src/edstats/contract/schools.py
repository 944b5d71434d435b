"""``schools``: one row per school, for school-location breakdowns and headcounts."""

from .spec import Column, Dataset

SCHOOLS = Dataset(
    name="schools",
    title="Schools",
    pupil_level=False,
    key=("school_urn",),
    columns=(
        Column("school_urn", "urn"),
        Column("laestab", "text"),
        Column("school_name", "text"),
        Column("phase", "code", ("NUR", "PRI", "SEC", "ALL", "SPE", "PRU", "AP")),
        Column("school_type", "code", ("LA_MAINTAINED", "ACADEMY", "FREE", "SPECIAL", "PRU", "INDEPENDENT")),
        Column("district", "text"),
        Column("ward", "text"),
        Column("ofsted_rating", "code", ("1", "2", "3", "4"), nullable=True),
        Column("ofsted_date", "date", nullable=True),
        Column("headcount", "integer", minimum=0),
        Column("open_date", "date", nullable=True),
        Column("close_date", "date", nullable=True),
    ),
)
