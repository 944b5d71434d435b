"""``schools``: one row per school, for school-location breakdowns; ``school_census``: each school's
January census headcount by academic year, the denominator of exclusion rates."""

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

SCHOOL_CENSUS = Dataset(
    name="school_census",
    title="January census headcounts",
    pupil_level=False,
    key=("school_urn", "academic_year"),
    columns=(
        Column("school_urn", "urn"),
        Column("academic_year", "academic_year"),
        Column("headcount", "integer", minimum=0,
               meaning="pupils on roll at the January census (sole and dual main registrations)"),
    ),
)
