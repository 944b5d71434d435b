"""``ks2``: end of key stage 2 results, one row per pupil."""

from .spec import CHARACTERISTICS, Column, Dataset, RowCheck

#: Codes for a test with no scaled score (data contract; methodology section 2.2).
TEST_CODES = ("A", "B", "N", "U", "J", "H", "Q", "L", "M", "F", "P", "D")
WRITING_TA = ("GDS", "EXS", "WTS", "PK1", "PK2", "PK3", "PK4", "PK5", "PK6", "EM", "HNM", "BLW", "A", "D", "L", "M")


def _test(subject: str):
    return (Column(f"{subject}_ss", "integer", nullable=True, minimum=80, maximum=120),
            Column(f"{subject}_code", "code", TEST_CODES, nullable=True))


def _score_and_code(subject):
    return RowCheck(f"{subject}_code", f"{subject}: give either a scaled score or a code, not both and not neither",
                    "A pupil with a scaled score has a blank code; a pupil without one has a code such as A or B.",
                    f"(txt({subject}_ss) <> '') = (txt({subject}_code) <> '')", (f"{subject}_ss", f"{subject}_code"))


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
    row_checks=tuple(_score_and_code(s) for s in ("read", "mat", "gps")),
)
