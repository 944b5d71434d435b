"""Exclusions: rates per 100 pupils and the sixth-day duty counted on the school calendar."""

from datetime import date, timedelta

import pandas as pd
import pytest

from edstats.measures.exclusions import exclusion_rates, sixth_day_cases, sixth_day_measures
from edstats.synth.calendar import academic_year_calendar


def calendar_with(holidays=(), start="2025-01-06", days=60):
    """Weekdays from ``start`` are school days, except ``holidays``."""
    rows = []
    d = date.fromisoformat(start) - timedelta(days=3)
    for _ in range(days):
        school = d.weekday() < 5 and d.isoformat() not in holidays and d.isoformat() >= start
        rows.append({"date": d.isoformat(), "is_school_day": "Y" if school else "N", "term": "SPR", "note": ""})
        d += timedelta(days=1)
    return pd.DataFrame(rows)


def perm(start, exclusion_id="EX1"):
    return pd.DataFrame([{"exclusion_id": exclusion_id, "upn": "Q999216000001", "school_urn": "100001",
                          "category": "PERM", "start_date": start}])


def ft(start, exclusion_id="EX1", kind="FULL_TIME_AP"):
    return pd.DataFrame([{"exclusion_id": exclusion_id, "upn": "Q999216000001", "start_date": start,
                          "provision_type": kind, "hours_per_week": 25.0}])


@pytest.mark.parametrize("provision_start, day", [
    ("2025-01-13", 6),   # Mon 6 Jan is day 1, so Mon 13 Jan is day 6 (the weekend does not count)
    ("2025-01-14", 7),
])
def test_sixth_versus_seventh_school_day_across_a_weekend(provision_start, day):
    cases = sixth_day_cases(perm("2025-01-06"), ft(provision_start), calendar_with(), "2025-02-28")
    assert cases.iloc[0]["provision_day"] == day
    assert cases.iloc[0]["within_sixth_day"] == (day <= 6)


def test_sixth_day_across_a_bank_holiday_and_a_half_term():
    holidays = {"2025-01-08"} | {(date(2025, 1, 13) + timedelta(days=i)).isoformat() for i in range(5)}
    calendar = calendar_with(holidays)
    # day 1 Mon 6, day 2 Tue 7, (Wed 8 closed), day 3 Thu 9, day 4 Fri 10, half-term week, day 5 Mon 20, day 6 Tue 21
    assert sixth_day_cases(perm("2025-01-06"), ft("2025-01-21"), calendar, "2025-02-28").iloc[0]["provision_day"] == 6
    assert sixth_day_cases(perm("2025-01-06"), ft("2025-01-22"), calendar, "2025-02-28").iloc[0]["provision_day"] == 7


def test_real_calendar_counts_easter_holiday_and_bank_holidays():
    calendar = academic_year_calendar(2024)
    school = calendar[calendar["is_school_day"] == "Y"]["date"].tolist()
    assert "2025-04-18" not in school and "2025-04-21" not in school       # Good Friday, Easter Monday
    assert "2025-05-05" not in school                                     # early May bank holiday
    assert 180 <= len(school) <= 195


def test_part_time_does_not_discharge_the_duty_and_waiting_counts_to_the_as_at_date():
    exclusions = pd.concat([perm("2025-01-06", "EX1"), perm("2025-01-06", "EX2")], ignore_index=True)
    provision = pd.concat([ft("2025-01-08", "EX1", "PART_TIME"), ft("2025-01-09", "EX2", "TUITION")],
                          ignore_index=True)
    cases = sixth_day_cases(exclusions, provision, calendar_with(), "2025-01-31")
    assert not cases["within_sixth_day"].any()
    assert cases["days_waiting"].tolist() == [20, 20]
    assert cases["in_part_time"].all()


def test_worked_example_twelve_exclusions():
    """Methodology 6.4: provision on days 4, 5, 6, 6, 6, 7, 8, 8, 10, 12, 15 and one still waiting on day 18."""
    calendar = calendar_with(days=80)
    days = calendar.loc[calendar["is_school_day"] == "Y", "date"].tolist()
    exclusions = pd.concat([perm(days[0], f"EX{i}") for i in range(12)], ignore_index=True)
    provision = pd.concat([ft(days[d - 1], f"EX{i}") for i, d in enumerate([4, 5, 6, 6, 6, 7, 8, 8, 10, 12, 15])],
                          ignore_index=True)
    out = sixth_day_measures(exclusions, provision, calendar, days[17]).set_index("measure_id")
    assert out.loc["sixth_day_within_pct", "value"] == pytest.approx(100 * 5 / 12)
    assert out.loc["days_to_provision_median", "value"] == 7.5
    assert out.loc["sixth_day_without_provision_count", "value"] == 1


def test_rates_per_100_pupils_on_the_january_headcount():
    schools = pd.DataFrame({"school_urn": ["100001", "100002", "100003"], "phase": ["PRI", "SEC", "PRU"],
                            "district": ["A", "B", "B"], "headcount": [1, 1, 1]})     # not the rate's: the census is
    census = pd.DataFrame({"school_urn": ["100001", "100002", "100003"], "academic_year": "2024/25",
                           "headcount": [60_000, 100_000, 500]})
    exclusions = pd.DataFrame({"exclusion_id": [f"E{i}" for i in range(236)], "school_urn": ["100002"] * 235 + ["100003"],
                               "category": "PERM", "start_date": "2024-10-01"})
    rates = exclusion_rates(exclusions, schools, census, {})
    perm_rate = rates[rates["measure_id"] == "excl_perm_rate"].iloc[0]
    assert perm_rate["value"] == pytest.approx(235 / 160_000 * 100)   # 0.147: the PRU is outside the rate
    assert round(perm_rate["value"], 2) == 0.15


def test_each_year_has_its_own_headcount_and_a_school_counts_while_open():
    """One headcount for every year made 2017/18's rates about 7% too low on the synthetic LA.
    Here the roll grows from 900 to 1,000 and a school closes after 2023/24: each year's rate is
    over that year's census, and the closed school's exclusions and pupils leave together."""
    schools = pd.DataFrame({"school_urn": ["100001", "100002"], "phase": ["SEC", "SEC"], "district": ["A", "B"],
                            "headcount": [1000, 0]})
    census = pd.DataFrame({"school_urn": ["100001", "100001", "100002"], "academic_year": ["2023/24", "2024/25", "2023/24"],
                           "headcount": [900, 1000, 300]})
    exclusions = pd.DataFrame({"exclusion_id": [f"E{i}" for i in range(12)], "category": "SUSP",
                               "school_urn": ["100001"] * 3 + ["100002"] * 3 + ["100001"] * 5 + ["100002"],
                               "start_date": ["2023-10-02"] * 6 + ["2024-10-01"] * 6})
    rates = exclusion_rates(exclusions, schools, census, {}).set_index(["measure_id", "time_period"])
    assert rates.loc[("excl_susp_rate", "202324"), "value"] == pytest.approx(6 / 1200 * 100)
    assert rates.loc[("excl_susp_rate", "202425"), "value"] == pytest.approx(5 / 1000 * 100)
    assert rates.loc[("excl_susp_rate", "202425"), "denominator"] == 1000


def test_exclusion_rates_are_not_available_without_census_headcounts(small_data, tmp_path):
    import shutil

    from edstats.runs import prepare_run
    from edstats.settings import Settings

    data = tmp_path / "raw"
    shutil.copytree(small_data, data, ignore=shutil.ignore_patterns("attendance_sessions", "school_census"))
    run = prepare_run(data, Settings())
    assert "excl_perm_rate" not in set(run.results["measure_id"])
    assert "school_census/ is not in the data folder" in run.unavailable["excl_perm_rate"]
    assert "sixth_day_within_pct" in set(run.results["measure_id"])


def test_suspensions_are_events_with_a_poisson_interval():
    """150 suspensions among 100 pupils is 150 per 100: a binomial interval cannot hold it (it
    stops at 100); the exact Poisson interval (Garwood, from the chi-squared distribution) does."""
    import pandas as pd
    from scipy.stats import chi2

    from edstats.measures.result import rate_result

    key = {"academic_year": ["2024/25"], "breakdown_topic": ["Total"], "breakdown": ["Total"]}
    out = rate_result(pd.DataFrame({**key, "n": [150]}), pd.DataFrame({**key, "n": [100]}), "excl_susp_rate",
                      events=True).iloc[0]
    assert out["value"] == 150
    assert out["ci_lower"] == pytest.approx(chi2.ppf(0.025, 300) / 2, rel=1e-9)
    assert out["ci_upper"] == pytest.approx(chi2.ppf(0.975, 302) / 2, rel=1e-9)
    assert out["ci_lower"] > 100


def test_provision_bands_agree_with_the_sixth_day_measures():
    """Issue 19 item 7: the chart said 'By day 6: 57' and 'Still waiting 13' where the measures said 55
    of 91 and 9. Bands come from the same cases: exclusions whose sixth day is still to come are
    their own band, so the decided bands add up to the measure's denominator."""
    from edstats.measures.monthly import provision_bands

    calendar = calendar_with(days=80)
    days = calendar.loc[calendar["is_school_day"] == "Y", "date"].tolist()
    as_at = days[29]
    # eight excluded on day 1: provision on days 3, 6, 6, 9, 14, 25, none, none; two excluded three
    # school days before as_at (their sixth day is to come): one already placed, one waiting
    starts = [days[0]] * 8 + [days[27]] * 2
    exclusions = pd.concat([perm(d, f"EX{i}") for i, d in enumerate(starts)], ignore_index=True)
    placed = {0: 3, 1: 6, 2: 6, 3: 9, 4: 14, 5: 25, 8: 1}
    provision = pd.concat([ft(days[(0 if i < 8 else 27) + d - 1], f"EX{i}") for i, d in placed.items()],
                          ignore_index=True)
    measures = sixth_day_measures(exclusions, provision, calendar, as_at).set_index("measure_id")
    bands = provision_bands(exclusions, provision, calendar, as_at).set_index("band")["exclusions"]
    within = measures.loc["sixth_day_within_pct"]
    assert (within["numerator"], within["denominator"]) == (3, 8)
    assert bands["By day 6"] == 3 and bands["Days 7-10"] == 1 and bands["Days 11-15"] == 1
    assert bands["Days 16-30"] == 1 and bands["Over 30 days"] == 0
    assert bands["Still waiting"] == measures.loc["sixth_day_without_provision_count", "value"] == 2
    assert bands["Sixth day still to come"] == 2
    assert bands.drop("Sixth day still to come").sum() == within["denominator"]
