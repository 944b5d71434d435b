-- The sixth-day duty (methodology section 6): one row per permanent exclusion starting on or
-- before the snapshot date $as_at, with when full-time provision started.
--
-- School days are numbered in calendar order. Day 1 of an exclusion is the first school day on or
-- after its start; the LA must arrange full-time education (FULL_TIME_SCHOOL or FULL_TIME_AP) from
-- day 6. The provision day is the school days from day 1 to the first full-time start inclusive (a
-- start on a day without school counts as the next school day); an exclusion still waiting at the
-- snapshot has waited the school days from day 1 to the snapshot. Provision starting after the
-- snapshot is not yet known.
WITH school_days AS (
    SELECT CAST("date" AS DATE) AS day FROM calendar WHERE is_school_day = 'Y'
),
permanent AS (
    SELECT *, CAST(start_date AS DATE) AS excluded_on FROM exclusions
    WHERE category = 'PERM' AND CAST(start_date AS DATE) <= CAST($as_at AS DATE)
),
first_provision AS (    -- each exclusion's first full-time, and first other, provision up to the snapshot
    SELECT exclusion_id,
           min(CASE WHEN provision_type IN ('FULL_TIME_SCHOOL', 'FULL_TIME_AP') THEN CAST(start_date AS DATE) END)
               AS full_time_from,
           min(CASE WHEN provision_type NOT IN ('FULL_TIME_SCHOOL', 'FULL_TIME_AP') THEN CAST(start_date AS DATE) END)
               AS part_time_from
    FROM provision WHERE CAST(start_date AS DATE) <= CAST($as_at AS DATE)
    GROUP BY exclusion_id
),
dates AS (              -- every date to place on the calendar: exclusions' starts, full-time starts
    SELECT excluded_on AS day FROM permanent
    UNION SELECT full_time_from FROM first_provision WHERE full_time_from IS NOT NULL
),
school_days_before AS ( -- how many school days come before each of those dates
    SELECT day, days_before FROM (
        SELECT day, is_school_day,
               sum(is_school_day) OVER (ORDER BY day, is_school_day ROWS UNBOUNDED PRECEDING) AS days_before
        FROM (SELECT day, 0 AS is_school_day FROM dates UNION ALL SELECT day, 1 FROM school_days) AS marked
    ) AS counted WHERE is_school_day = 0
),
placed AS (
    SELECT p.*, f.full_time_from, f.part_time_from,
           start_place.days_before AS day1_place, full_time_place.days_before AS full_time_place,
           (SELECT count(*) FROM school_days WHERE day <= CAST($as_at AS DATE)) - 1 AS as_at_place
    FROM permanent AS p
    LEFT JOIN first_provision AS f ON f.exclusion_id = p.exclusion_id
    JOIN school_days_before AS start_place ON start_place.day = p.excluded_on
    LEFT JOIN school_days_before AS full_time_place ON full_time_place.day = f.full_time_from
)
SELECT * ,
       day1_place + 6 - 1 <= as_at_place AS sixth_day_passed,
       CASE WHEN full_time_from IS NOT NULL THEN full_time_place - day1_place + 1 END AS provision_day,
       CASE WHEN full_time_from IS NULL THEN as_at_place - day1_place + 1 END AS days_waiting,
       full_time_from IS NOT NULL AND full_time_place - day1_place + 1 <= 6 AS within_sixth_day,
       full_time_from IS NULL AND part_time_from IS NOT NULL AS in_part_time,
       academic_year(excluded_on) AS academic_year
FROM placed
ORDER BY _row
