"""``ks4_pupils`` (one row per pupil, with KS2 prior attainment) and ``ks4_results`` (one row per result)."""

from .ks2 import TEST_CODES
from .spec import CHARACTERISTICS, Column, Dataset

A8_CATEGORIES = ("ENG_LANG", "ENG_LIT", "MATHS", "SCI_COMBINED", "SCI_BIO", "SCI_CHEM", "SCI_PHYS", "COMP_SCI",
                 "HISTORY", "GEOGRAPHY", "LANGUAGE", "OTHER_GCSE", "OTHER_APPROVED")

KS4_PUPILS = Dataset(
    name="ks4_pupils",
    title="Key stage 4 pupils",
    key=("upn", "academic_year"),
    columns=(
        Column("upn", "upn"),
        Column("academic_year", "academic_year"),
        Column("school_urn", "urn"),
        Column("ks2_read_ss", "integer", nullable=True, minimum=80, maximum=120),
        Column("ks2_mat_ss", "integer", nullable=True, minimum=80, maximum=120),
        Column("ks2_read_code", "code", TEST_CODES, nullable=True),
        Column("ks2_mat_code", "code", TEST_CODES, nullable=True),
        *CHARACTERISTICS,
    ),
)

KS4_RESULTS = Dataset(
    name="ks4_results",
    title="Key stage 4 results",
    key=("upn", "academic_year", "qualification", "subject"),
    columns=(
        Column("upn", "upn"),
        Column("academic_year", "academic_year"),
        Column("qualification", "code", ("GCSE", "OTHER_APPROVED")),
        Column("subject", "text"),
        Column("a8_category", "code", A8_CATEGORIES),
        Column("grade", "text"),
        Column("points", "number", nullable=True, minimum=0, maximum=9),
    ),
)
