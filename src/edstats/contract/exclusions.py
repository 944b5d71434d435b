"""``exclusions`` (one row per suspension or permanent exclusion) and ``provision`` (placements after exclusion)."""

from .spec import CHARACTERISTICS, Column, Dataset

EXCLUSIONS = Dataset(
    name="exclusions",
    title="Exclusions",
    key=("exclusion_id",),
    columns=(
        Column("exclusion_id", "text"),
        Column("upn", "upn"),
        Column("school_urn", "urn"),
        Column("category", "code", ("PERM", "SUSP")),
        Column("start_date", "date"),
        Column("sessions", "integer", nullable=True, minimum=1),
        Column("reason", "text"),
        *CHARACTERISTICS,
    ),
)

PROVISION = Dataset(
    name="provision",
    title="Provision after exclusion",
    key=("exclusion_id", "start_date", "provision_type"),
    columns=(
        Column("exclusion_id", "text"),
        Column("upn", "upn"),
        Column("start_date", "date"),
        Column("provision_type", "code", ("FULL_TIME_SCHOOL", "FULL_TIME_AP", "PART_TIME", "TUITION")),
        Column("hours_per_week", "number", minimum=0, maximum=40),
    ),
)
