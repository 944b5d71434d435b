"""``eyfsp``: Early Years Foundation Stage Profile, one row per child."""

import pandas as pd

from .spec import CHARACTERISTICS, Column, Dataset, RowCheck, text

#: ELG judgements (2021 framework): 1 emerging, 2 expected, A not assessed (whole child).
ELG_CODES = ("1", "2", "A")
ELG_COLUMNS = tuple(f"elg{i:02d}" for i in range(1, 18))
#: The 12 ELGs of the Good Level of Development: communication and language (01-02),
#: personal, social and emotional development (03-05), physical development (06-07),
#: literacy (08-10) and mathematics (11-12).
GLD_ELGS = ELG_COLUMNS[:12]

def _partly_not_assessed(frame):
    codes = pd.concat([text(frame, c) for c in ELG_COLUMNS if c in frame], axis=1)
    is_a = codes.eq("A")
    return is_a.any(axis=1) & ~is_a.all(axis=1)


def _not_reception_age(frame):
    """Born outside 1 September (start year - 5) to 31 August (start year - 4)."""
    start = pd.to_numeric(text(frame, "academic_year").str[:4], errors="coerce")
    born = pd.to_datetime(text(frame, "date_of_birth"), format="%Y-%m-%d", errors="coerce")
    first = pd.to_datetime((start - 5).astype("Int64").astype("string") + "-09-01", errors="coerce")
    last = pd.to_datetime((start - 4).astype("Int64").astype("string") + "-08-31", errors="coerce")
    return (born < first) | (born > last)


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
    row_checks=(
        RowCheck("elg01", "A (not assessed) must apply to all 17 goals or none",
                 "A child is either assessed on every goal or not assessed at all; correct the judgements.",
                 _partly_not_assessed, columns=ELG_COLUMNS),
        RowCheck("date_of_birth", "date_of_birth is outside the academic year's Reception age range",
                 "A child in Reception in 2024/25 was born between 1 September 2019 and 31 August 2020; check the "
                 "date of birth or the academic year.", _not_reception_age,
                 columns=("academic_year", "date_of_birth")),
    ),
)
