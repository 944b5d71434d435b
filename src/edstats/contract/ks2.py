"""``ks2``: end of key stage 2 results, one row per pupil."""

from .spec import CHARACTERISTICS, Column, Dataset

#: Codes for a test with no scaled score (data contract; methodology section 2.2).
TEST_CODES = ("A", "B", "N", "U", "J", "H", "Q", "L", "M", "F", "P", "D")
WRITING_TA = ("GDS", "EXS", "WTS", "PK1", "PK2", "PK3", "PK4", "PK5", "PK6", "EM", "HNM", "BLW", "A", "D", "L", "M")


def _test(subject: str):
    return (Column(f"{subject}_ss", "integer", nullable=True, minimum=80, maximum=120),
            Column(f"{subject}_code", "code", TEST_CODES, nullable=True))


KS2 = Dataset(
    name="ks2",
    title="Key stage 2 results",
    key=("upn", "academic_year"),
    columns=(
        Column("upn", "upn"),
        Column("academic_year", "academic_year"),
        Column("school_urn", "urn"),
        *_test("read"), *_test("mat"), *_test("gps"),
        Column("writ_ta", "code", WRITING_TA),
        *CHARACTERISTICS,
    ),
)
