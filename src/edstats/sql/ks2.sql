-- Key stage 2 pupils, as the KS2 measures count them (methodology section 2.2): one row per pupil.
--
-- A pupil whose result in a subject is coded L (left) or M (missing) is out of that subject's
-- measures, and out of the combined reading, writing and maths measures if out of any of the three.
-- Every other code (A absent, B working below the test, N no scaled score, ...) and a writing
-- judgement below EXS stays in the denominator as not meeting the standard.
-- Expected standard: a scaled score of 100 or more, or writing EXS or GDS; higher standard: 110 or
-- more, or writing GDS. Average scaled scores are of the pupils with a scaled score.
WITH judged AS (
    SELECT *,
           coalesce(read_code IN ('L', 'M'), FALSE) AS read_out,
           coalesce(writ_ta IN ('L', 'M'), FALSE) AS writ_out,
           coalesce(mat_code IN ('L', 'M'), FALSE) AS mat_out,
           coalesce(gps_code IN ('L', 'M'), FALSE) AS gps_out,
           coalesce(read_ss >= 100, FALSE) AS read_expected,
           coalesce(writ_ta IN ('EXS', 'GDS'), FALSE) AS writ_expected,
           coalesce(mat_ss >= 100, FALSE) AS mat_expected,
           coalesce(gps_ss >= 100, FALSE) AS gps_expected,
           coalesce(read_ss >= 110, FALSE) AND coalesce(writ_ta = 'GDS', FALSE) AND coalesce(mat_ss >= 110, FALSE)
               AS rwm_higher
    FROM ks2)
SELECT *,
       NOT (read_out OR writ_out OR mat_out) AS rwm_in,
       read_expected AND writ_expected AND mat_expected AS rwm_expected
FROM judged
