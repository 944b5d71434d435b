-- Each enrolment's possible sessions (a mark in $counted) and absences (a mark in $absent) by month,
-- from the feed's counts (feed_marks.sql); rows missing a pupil, school, date or mark count for none.
SELECT upn, school_urn, month,
       coalesce(sum(sessions) FILTER (WHERE list_contains($counted, mark)), 0)::BIGINT AS possible,
       coalesce(sum(sessions) FILTER (WHERE list_contains($absent, mark)), 0)::BIGINT AS absent
FROM marks
WHERE upn IS NOT NULL AND school_urn IS NOT NULL AND month IS NOT NULL AND mark IS NOT NULL
GROUP BY ALL
