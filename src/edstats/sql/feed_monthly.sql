-- Each enrolment's possible sessions and absences by month, from the feed's counts
-- (feed_marks.sql); rows missing a pupil, school or date count for none (and a missing mark is
-- neither possible nor absent).
SELECT upn, school_urn, month, possible::BIGINT AS possible, absent::BIGINT AS absent
FROM enrolment_months
WHERE upn IS NOT NULL AND school_urn IS NOT NULL AND month IS NOT NULL
