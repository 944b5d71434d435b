-- Macros every edstats DuckDB connection has (edstats.engine.connect), for reading and validation.
-- The functions the measures use are engine.FUNCTIONS, which Spark has too.

-- DfE's UPN: a check letter, then 12 characters (permanent: 12 digits; temporary: 11 digits and a
-- letter). Characters 2-13 are weighted by their position (2..13), a digit counting as its value
-- and a letter as its place in the 23-letter alphabet without I, O and S (A is 0); the sum modulo
-- 23 gives the check letter from the same alphabet. Only the 13th character can be a letter.
CREATE OR REPLACE MACRO upn_is_valid(upn) AS
    regexp_full_match(upn, '[A-HJ-NP-RT-Z][0-9]{11}[0-9A-HJ-NP-RT-Z]')
    AND substr('ABCDEFGHJKLMNPQRTUVWXYZ',
               1 + ((2 * (ascii(upn[2]) - 48) + 3 * (ascii(upn[3]) - 48) + 4 * (ascii(upn[4]) - 48)
                     + 5 * (ascii(upn[5]) - 48) + 6 * (ascii(upn[6]) - 48) + 7 * (ascii(upn[7]) - 48)
                     + 8 * (ascii(upn[8]) - 48) + 9 * (ascii(upn[9]) - 48) + 10 * (ascii(upn[10]) - 48)
                     + 11 * (ascii(upn[11]) - 48) + 12 * (ascii(upn[12]) - 48)
                     + 13 * CASE WHEN upn[13] BETWEEN '0' AND '9' THEN ascii(upn[13]) - 48
                                 ELSE strpos('ABCDEFGHJKLMNPQRTUVWXYZ', upn[13]) - 1 END) % 23),
               1) = upn[1];

-- A date written YYYY-MM-DD (ASCII digits, a real day) as a DATE; NULL for anything else.
CREATE OR REPLACE MACRO iso_date(text) AS
    CASE WHEN regexp_full_match(text, '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN try_cast(text AS DATE) END;

-- A cell trimmed of the white space around it (spaces, tabs, line ends).
CREATE OR REPLACE MACRO stripped(text) AS trim(text, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13));

-- A cell as the rules across columns read it, whether it came as text (CSV) or a number (Parquet):
-- txt() trimmed text, '' for a blank; num() a number, NULL for a blank or anything not a number.
CREATE OR REPLACE MACRO txt(cell) AS coalesce(stripped(cell::VARCHAR), '');
CREATE OR REPLACE MACRO num(cell) AS nullif(try_cast(cell AS DOUBLE), 'NaN'::DOUBLE);
