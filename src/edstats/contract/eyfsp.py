"""``eyfsp``: Early Years Foundation Stage Profile, one row per child."""

from .spec import CHARACTERISTICS, Column, Dataset

#: ELG judgements (2021 framework): 1 emerging, 2 expected, A not assessed (whole child).
ELG_CODES = ("1", "2", "A")
ELG_COLUMNS = tuple(f"elg{i:02d}" for i in range(1, 18))
#: The 12 ELGs of the Good Level of Development: communication and language (01-02),
#: personal, social and emotional development (03-05), physical development (06-07),
#: literacy (08-10) and mathematics (11-12).
GLD_ELGS = ELG_COLUMNS[:12]

EYFSP = Dataset(
    name="eyfsp",
    title="Early Years Foundation Stage Profile",
    key=("upn", "academic_year"),
    columns=(
        Column("upn", "upn"),
        Column("academic_year", "academic_year"),
        Column("school_urn", "urn"),
        Column("date_of_birth", "date"),
        *(Column(name, "code", ELG_CODES) for name in ELG_COLUMNS),
        *CHARACTERISTICS,
    ),
)
