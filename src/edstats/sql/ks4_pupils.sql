-- Each KS4 pupil with their Attainment 8 elements (attainment8.sql; 0 for a pupil without results,
-- who stays in every denominator) and KS2 prior attainment: the mean of the reading and maths scaled
-- scores, a test sat without a scaled score (code N) counting at 79, one below the lowest awarded.
-- With $prior_from_one_subject a pupil with one usable score has that score.
WITH scored AS (
    SELECT p.*, coalesce(a.eng, 0) AS eng, a.best_english, coalesce(a.mat, 0) AS mat, a.best_maths,
           coalesce(a.ebacc, 0) AS ebacc, coalesce(a."open", 0) AS "open", coalesce(a.a8, 0) AS a8,
           coalesce(a.ebacc_aps, 0) AS ebacc_aps,
           CAST(coalesce(p.ks2_read_ss, CASE WHEN trim({read_code}) = 'N' THEN 79 END) AS DOUBLE) AS prior_read,
           CAST(coalesce(p.ks2_mat_ss, CASE WHEN trim({mat_code}) = 'N' THEN 79 END) AS DOUBLE) AS prior_mat
    FROM ks4_pupils AS p
    LEFT JOIN attainment8 AS a
      ON CAST(a.upn AS VARCHAR) = CAST(p.upn AS VARCHAR) AND CAST(a.academic_year AS VARCHAR) = CAST(p.academic_year AS VARCHAR)
)
SELECT *, CASE WHEN $prior_from_one_subject THEN coalesce((prior_read + prior_mat) / 2, prior_read, prior_mat)
               ELSE (prior_read + prior_mat) / 2 END AS prior
FROM scored
