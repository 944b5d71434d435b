"""``attendance`` (termly census, pupil x school x term) and ``attendance_sessions`` (daily feed)."""

from .spec import CHARACTERISTICS, Column, Dataset, RowCheck

#: DfE attendance codes in the daily feed, by how they count.
PRESENT_MARKS = ("/", "\\", "L")
AUTHORISED_MARKS = ("C", "E", "H", "I", "M", "R", "S", "T")
UNAUTHORISED_MARKS = ("G", "N", "O", "U")
EDUCATIONAL_ACTIVITY_MARKS = ("B", "D", "J", "K", "P", "V", "W")
NOT_COUNTED_MARKS = ("X", "Y", "Z", "#")
ALL_MARKS = PRESENT_MARKS + AUTHORISED_MARKS + UNAUTHORISED_MARKS + EDUCATIONAL_ACTIVITY_MARKS + NOT_COUNTED_MARKS

ATTENDANCE = Dataset(
    name="attendance",
    title="Termly attendance (school census)",
    key=("upn", "academic_year", "term", "school_urn"),
    columns=(
        Column("upn", "upn"),
        Column("academic_year", "academic_year"),
        Column("term", "code", ("AUT", "SPR", "SUM")),
        Column("school_urn", "urn"),
        Column("ncyear", "integer", minimum=0, maximum=14, meaning="national curriculum year; 0 = Reception"),
        Column("age_start_of_year", "integer", minimum=2, maximum=20),
        Column("possible_sessions", "integer", minimum=0),
        Column("authorised_absence", "integer", minimum=0),
        Column("unauthorised_absence", "integer", minimum=0),
        *CHARACTERISTICS,
    ),
    row_checks=(
        RowCheck("authorised_absence", "absences (authorised + unauthorised) exceed possible sessions",
                 "Check the three session counts for this pupil and term in the school's census return.",
                 "num(authorised_absence) + num(unauthorised_absence) > num(possible_sessions)",
                 ("authorised_absence", "unauthorised_absence", "possible_sessions")),
    ),
)

ATTENDANCE_SESSIONS = Dataset(
    name="attendance_sessions",
    title="Daily attendance feed",
    key=("upn", "school_urn", "date", "session"),
    columns=(
        Column("upn", "upn"),
        Column("school_urn", "urn"),
        Column("date", "date"),
        Column("session", "code", ("AM", "PM")),
        Column("mark", "code", ALL_MARKS),
    ),
)
