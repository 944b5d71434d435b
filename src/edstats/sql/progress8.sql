-- Progress 8 of each pupil (methodology section 3), from their Attainment 8 elements and KS2
-- prior attainment (scores) and DfE's estimates for the year (estimates: one row per year and
-- prior-attainment group). A pupil's group is the estimates' range their prior falls in (the higher
-- range where two meet). P8 of each element: (points - the group's national average) / 10 for A8,
-- / 2 for English and maths, / 3 for EBacc and open. The adjusted P8 counts a pupil below the
-- group's outlier floor at the floor. Years without estimates, and pupils without a prior, have no P8.
WITH placed AS (       -- each year's distinct priors placed in their group once (a few hundred rows)
    SELECT academic_year, prior, pag FROM (
        SELECT p.academic_year, p.prior, e.pag,
               row_number() OVER (PARTITION BY p.academic_year, p.prior ORDER BY e.low DESC) AS "match"
        FROM (SELECT DISTINCT CAST(academic_year AS VARCHAR) AS academic_year, prior FROM scores
              WHERE prior IS NOT NULL) AS p
        JOIN estimates AS e ON e.academic_year = p.academic_year AND p.prior BETWEEN e.low AND e.high
    ) AS matched WHERE "match" = 1
),
grouped AS (
    SELECT s.*, e.pag, e.a8 AS expected_a8, e.eng AS expected_eng, e.mat AS expected_mat,
           e.ebacc AS expected_ebacc, e."open" AS expected_open, e.floor
    FROM scores AS s
    LEFT JOIN placed AS g ON g.academic_year = CAST(s.academic_year AS VARCHAR) AND g.prior = s.prior
    LEFT JOIN estimates AS e ON e.academic_year = g.academic_year AND e.pag = g.pag
),
progress AS (
    SELECT *, (a8 - expected_a8) / 10 AS p8_a8, (eng - expected_eng) / 2 AS p8_eng,
           (mat - expected_mat) / 2 AS p8_mat, (ebacc - expected_ebacc) / 3 AS p8_ebacc,
           ("open" - expected_open) / 3 AS p8_open
    FROM grouped
)
SELECT *, CASE WHEN p8_a8 < floor THEN floor ELSE p8_a8 END AS p8_adjusted
FROM progress
