-- Attainment 8, its elements and the EBacc average point score of each pupil with results
-- (methodology section 3): one row per pupil (upn, academic_year) of ks4_results, with the row
-- number of their first result (first_row).
--
-- Points: GCSE grades 9-1 score 9-1, U and X score 0; an approved non-GCSE qualification scores its
-- points; a combined science double award (like 6-5) fills two slots, each with one of its grades'
-- points, or both with their mean ($mean_combined). A result was taken unless its grade is X.
WITH graded AS (
    SELECT upn, academic_year, _row, a8_category AS category, qualification = 'OTHER_APPROVED' AS approved,
           points AS approved_points, grade IS NULL OR grade <> 'X' OR qualification = 'OTHER_APPROVED' AS taken,
           CASE WHEN grade IN ('1', '2', '3', '4', '5', '6', '7', '8', '9') THEN CAST(grade AS INTEGER)
                WHEN grade IN ('U', 'X') THEN 0 END AS gcse_points,
           CASE WHEN grade IN ('U', 'X') THEN 0
                WHEN length(grade) = 3 AND substr(grade, 2, 1) = '-' AND substr(grade, 1, 1) BETWEEN '1' AND '9'
                     AND substr(grade, 3, 1) BETWEEN '1' AND '9' THEN CAST(substr(grade, 1, 1) AS INTEGER) END AS first_grade,
           CASE WHEN grade IN ('U', 'X') THEN 0
                WHEN length(grade) = 3 AND substr(grade, 2, 1) = '-' AND substr(grade, 1, 1) BETWEEN '1' AND '9'
                     AND substr(grade, 3, 1) BETWEEN '1' AND '9' THEN CAST(substr(grade, 3, 1) AS INTEGER) END AS second_grade
    FROM (SELECT upn, academic_year, _row, qualification, a8_category, points, trim(grade) AS grade
          FROM ks4_results) AS r
),
entries AS (    -- one row per slot a result can fill
    SELECT upn, academic_year, _row, category, taken,
           coalesce(CASE WHEN category = 'SCI_COMBINED'
                         THEN CASE WHEN $mean_combined THEN (first_grade + second_grade) / 2.0 ELSE first_grade END
                         WHEN approved THEN approved_points ELSE gcse_points END, 0) AS points
    FROM graded
    UNION ALL       -- a double award's second slot
    SELECT upn, academic_year, _row, category, taken,
           coalesce(CASE WHEN $mean_combined THEN (first_grade + second_grade) / 2.0 ELSE second_grade END, 0)
    FROM graded WHERE category = 'SCI_COMBINED'
),
best AS (       -- English and maths count only if taken; the best humanity and language, for the EBacc APS
    SELECT upn, academic_year, min(_row) AS first_row,
           max(CASE WHEN category = 'ENG_LANG' AND taken THEN points END) AS language,
           max(CASE WHEN category = 'ENG_LIT' AND taken THEN points END) AS literature,
           max(CASE WHEN category = 'MATHS' AND taken THEN points END) AS best_maths,
           coalesce(max(CASE WHEN category IN ('HISTORY', 'GEOGRAPHY') THEN points END), 0) AS humanity,
           coalesce(max(CASE WHEN category = 'LANGUAGE' THEN points END), 0) AS foreign_language,
           sum(CASE WHEN category IN $single_sciences AND taken THEN 1 ELSE 0 END) AS single_sciences_taken
    FROM entries GROUP BY upn, academic_year
),
pools AS (      -- each entry's place in its pool, best first
    SELECT *, row_number() OVER (PARTITION BY upn, academic_year, pool ORDER BY points DESC) AS place
    FROM (SELECT upn, academic_year, 'EBacc' AS pool, points FROM entries WHERE category IN $ebacc_categories
          UNION ALL
          SELECT upn, academic_year, 'combined science', points FROM entries WHERE category = 'SCI_COMBINED'
          UNION ALL
          SELECT upn, academic_year, 'single sciences', points FROM entries
          WHERE category IN $single_sciences AND taken) AS pooled
),
open_pool AS (  -- the open slots' pool: other GCSEs and approved qualifications, the EBacc entries
                -- beyond the best three, and the spare English (the lesser of the two, both taken)
    SELECT *, row_number() OVER (PARTITION BY upn, academic_year ORDER BY points DESC) AS place
    FROM (SELECT upn, academic_year, points FROM entries WHERE category IN ('OTHER_GCSE', 'OTHER_APPROVED')
          UNION ALL
          SELECT upn, academic_year, points FROM pools WHERE pool = 'EBacc' AND place > 3
          UNION ALL
          SELECT upn, academic_year, least(language, literature) FROM best
          WHERE language IS NOT NULL AND literature IS NOT NULL) AS pooled
),
slots AS (
    SELECT upn, academic_year,
           sum(CASE WHEN pool = 'EBacc' AND place <= 3 THEN points ELSE 0 END) AS ebacc,
           sum(CASE WHEN pool = 'combined science' AND place <= 2 THEN points ELSE 0 END) AS combined_science,
           sum(CASE WHEN pool = 'single sciences' AND place <= 2 THEN points ELSE 0 END) AS single_sciences
    FROM pools GROUP BY upn, academic_year
),
open_slots AS (
    SELECT upn, academic_year, sum(points) AS "open" FROM open_pool WHERE place <= 3 GROUP BY upn, academic_year
),
elements AS (   -- English is double weighted when both were taken ($double_needs_both) or always
    SELECT b.upn, b.academic_year, b.first_row, b.language, b.literature, b.best_maths, b.humanity, b.foreign_language,
           b.single_sciences_taken, greatest(b.language, b.literature) AS best_english,
           b.language IS NOT NULL AND b.literature IS NOT NULL AS both_english,
           coalesce(s.ebacc, 0) AS ebacc, coalesce(s.combined_science, 0) AS combined_science,
           coalesce(s.single_sciences, 0) AS single_sciences, coalesce(o."open", 0) AS "open"
    FROM best AS b
    LEFT JOIN slots AS s ON s.upn = b.upn AND s.academic_year = b.academic_year
    LEFT JOIN open_slots AS o ON o.upn = b.upn AND o.academic_year = b.academic_year
),
weighted AS (
    SELECT *,
           coalesce(best_english * CASE WHEN both_english OR NOT $double_needs_both THEN 2 ELSE 1 END, 0) AS eng,
           coalesce(2 * best_maths, 0) AS mat
    FROM elements
)
-- EBacc APS: English (the better of the two, both taken), maths, science (combined science's two
-- grades, or the best two of three or more single sciences taken), the better humanity and the best
-- language, over $aps_divisor
SELECT upn, academic_year, first_row, CAST(eng AS DOUBLE) AS eng, CAST(best_english AS DOUBLE) AS best_english,
       CAST(mat AS DOUBLE) AS mat, CAST(best_maths AS DOUBLE) AS best_maths, CAST(ebacc AS DOUBLE) AS ebacc,
       CAST("open" AS DOUBLE) AS "open", CAST(eng + mat + ebacc + "open" AS DOUBLE) AS a8,
       (CASE WHEN both_english THEN best_english ELSE 0 END + coalesce(best_maths, 0)
        + greatest(combined_science, CASE WHEN single_sciences_taken >= 3 THEN single_sciences ELSE 0 END)
        + humanity + foreign_language) / $aps_divisor AS ebacc_aps
FROM weighted
