"""``ccis``: young people's activity (NEET), monthly snapshots from the LA's CCIS."""

from .spec import CHARACTERISTICS, Column, Dataset

CCIS = Dataset(
    name="ccis",
    title="Young people's activity (CCIS)",
    key=("person_id", "month"),
    columns=(
        Column("person_id", "text"),
        Column("month", "month"),
        Column("academic_age", "code", ("16", "17")),
        Column("residence_la", "text"),
        Column("activity_group", "code", ("EET", "NEET", "NOT_KNOWN", "EXCLUDED")),
        Column("activity_code", "text"),
        *CHARACTERISTICS,
    ),
)
