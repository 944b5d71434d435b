"""``ks4_pupils`` (one row per pupil, with KS2 prior attainment) and ``ks4_results`` (one row per result)."""

from .ks2 import TEST_CODES
from .spec import CHARACTERISTICS, Column, Dataset, RowCheck

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

GCSE_GRADES = ("9", "8", "7", "6", "5", "4", "3", "2", "1", "U", "X")


#: A GCSE grade that is not 9 to 1, U or X; a double award (combined science) is two grades, the
#: same or one apart, the higher first: 9-9, 9-8, 8-8, ..., 1-1.
_BAD_GRADE = ("txt(qualification) = 'GCSE' AND CASE WHEN txt(a8_category) = 'SCI_COMBINED' "
              "THEN NOT (txt(grade) IN ('U', 'X') OR (regexp_full_match(txt(grade), '[1-9]-[1-9]') "
              "AND ascii(txt(grade)[1]) - ascii(txt(grade)[3]) IN (0, 1))) "
              f"ELSE txt(grade) NOT IN ({', '.join(repr(g) for g in GCSE_GRADES)}) END")


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
    row_checks=(
        RowCheck("grade", "GCSE grade must be 9 to 1, U or X (combined science: two grades the same or one apart, "
                 "the higher first, like 6-5)",
                 "Correct the grade; legacy letter grades are not part of the contract.", _BAD_GRADE,
                 ("qualification", "a8_category", "grade")),
        RowCheck("points", "points are required for an approved non-GCSE qualification",
                 "Add the qualification's points from DfE's KS4 qualifications list.",
                 "txt(qualification) = 'OTHER_APPROVED' AND txt(points) = ''", ("qualification", "points")),
    ),
)
