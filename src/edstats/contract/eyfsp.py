"""``eyfsp``: Early Years Foundation Stage Profile, one row per child."""

from .spec import CHARACTERISTICS, Column, Dataset, RowCheck

#: ELG judgements (2021 framework): 1 emerging, 2 expected, A not assessed (whole child).
ELG_CODES = ("1", "2", "A")
ELG_COLUMNS = tuple(f"elg{i:02d}" for i in range(1, 18))
#: The 12 ELGs of the Good Level of Development: communication and language (01-02),
#: personal, social and emotional development (03-05), physical development (06-07),
#: literacy (08-10) and mathematics (11-12).
GLD_ELGS = ELG_COLUMNS[:12]

#: A child not assessed (A) on some goals but not on all of them.
_NOT_ASSESSED = [f"txt({c}) = 'A'" for c in ELG_COLUMNS]
_PARTLY_NOT_ASSESSED = f"({' OR '.join(_NOT_ASSESSED)}) AND NOT ({' AND '.join(_NOT_ASSESSED)})"

#: Born outside 1 September (start year - 5) to 31 August (start year - 4).
_NOT_RECEPTION_AGE = ("iso_date(txt(date_of_birth)) NOT BETWEEN "
                      "make_date(try_cast(left(txt(academic_year), 4) AS INTEGER) - 5, 9, 1) "
                      "AND make_date(try_cast(left(txt(academic_year), 4) AS INTEGER) - 4, 8, 31)")


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
                 _PARTLY_NOT_ASSESSED, ELG_COLUMNS),
        RowCheck("date_of_birth", "date_of_birth is outside the academic year's Reception age range",
                 "A child in Reception in 2024/25 was born between 1 September 2019 and 31 August 2020; check the "
                 "date of birth or the academic year.", _NOT_RECEPTION_AGE,
                 ("academic_year", "date_of_birth")),
    ),
)
