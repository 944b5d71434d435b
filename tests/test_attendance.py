"""Absence: methodology section 4.5's worked example, the 10% and 50% boundaries, scope rules, and
the daily feed agreeing exactly with the termly census."""

import numpy as np
import pandas as pd
import pytest

from edstats.contract.identifiers import upn_check_letter
from edstats.contract.sessions import read_sessions
from edstats.measures.attendance import absence_result, attendance_measures, enrolments, session_enrolments
from edstats.settings import Methodology, Settings
from edstats.validate import validate_data


def census(rows, terms=("AUT", "SPR", "SUM")):
    """rows: (upn, school, possible, authorised, unauthorised, age) for the whole year, put in AUT;
    the other terms get zero sessions so that every term is present."""
    out = []
    for upn, school, possible, auth, unauth, age in rows:
        for term in terms:
            first = term == "AUT"
            out.append({"upn": upn, "academic_year": "2024/25", "term": term, "school_urn": school,
                        "ncyear": age - 4, "age_start_of_year": age, "possible_sessions": possible if first else 0,
                        "authorised_absence": auth if first else 0, "unauthorised_absence": unauth if first else 0,
                        "sex": "F"})
    return pd.DataFrame(out)


SCHOOLS = pd.DataFrame({"school_urn": ["100001", "100002", "100003"], "phase": ["PRI", "SEC", "PRU"],
                        "district": ["A", "A", "B"]})


def values(results):
    total = results[results["breakdown_topic"] == "Total"]
    return total.set_index("measure_id")["value"]


def test_worked_example_three_enrolments():
    frame = census([("A", "100001", 300, 20, 10, 9), ("B", "100001", 300, 29, 0, 9), ("C", "100002", 120, 40, 21, 12)])
    v = values(attendance_measures(frame, SCHOOLS, Settings()))
    assert v["abs_overall_pct"] == pytest.approx(100 * 120 / 720)
    assert v["abs_persistent_pct"] == pytest.approx(200 / 3)
    assert v["abs_severe_pct"] == pytest.approx(100 / 3)


@pytest.mark.parametrize("absent, possible, persistent, severe", [
    (30, 300, True, False),     # exactly 10.0%: persistent (inclusive)
    (29, 300, False, False),    # 9.67%
    (150, 300, True, True),     # exactly 50.0%: severe
    (149, 300, True, False),
    (1, 10, True, False),       # a short enrolment can be persistent (DfE warns about this)
])
def test_thresholds(absent, possible, persistent, severe):
    v = values(attendance_measures(census([("A", "100001", possible, absent, 0, 9)]), SCHOOLS, Settings()))
    assert v["abs_persistent_pct"] == (100.0 if persistent else 0.0)
    assert v["abs_severe_pct"] == (100.0 if severe else 0.0)


def test_zero_possible_sessions_and_out_of_scope_enrolments_are_left_out():
    frame = census([("A", "100001", 300, 30, 0, 9),
                    ("B", "100001", 0, 0, 0, 9),        # never on roll for a session
                    ("C", "100001", 300, 200, 0, 4),    # aged 4: below compulsory school age
                    ("D", "100001", 300, 200, 0, 16),   # aged 16
                    ("E", "100003", 300, 200, 0, 12)])  # pupil referral unit
    enrol = enrolments(frame, SCHOOLS, Settings())
    assert list(enrol["upn"]) == ["A"]
    with_pru = enrolments(frame, SCHOOLS, Settings(methodology=Methodology(absence_include_pru_ap=True)))
    assert sorted(with_pru["upn"]) == ["A", "E"]


def test_enrolments_carry_only_the_breakdowns_asked_for():
    """Asked for the LA alone (every LA at once), enrolments are the same rows and sessions as with
    every characteristic, without the other columns."""
    frame = census([("A", "100001", 300, 30, 0, 9), ("A", "100002", 150, 0, 10, 9), ("B", "100001", 0, 0, 0, 9),
                    ("C", "100001", 280, 100, 40, 10)]).assign(la_code="330")
    every = enrolments(frame, SCHOOLS, Settings())
    la_only = enrolments(frame, SCHOOLS, Settings(), ["la_code"])
    assert set(every.columns) - set(la_only.columns) == {"sex", "ncyear"}
    pd.testing.assert_frame_equal(la_only, every[la_only.columns])
    assert list(la_only["upn"]) == ["A", "A", "C"] and list(la_only["absent"]) == [30, 10, 140]


def test_unit_is_the_enrolment_not_the_pupil():
    frame = census([("A", "100001", 150, 15, 0, 11), ("A", "100002", 150, 0, 0, 11)])
    v = values(attendance_measures(frame, SCHOOLS, Settings()))
    assert v["abs_persistent_pct"] == 50.0     # persistent at one school, not at the other


def test_a_year_without_every_term_is_not_reported():
    frame = census([("A", "100001", 300, 30, 0, 9)], terms=("AUT", "SPR"))
    assert attendance_measures(frame, SCHOOLS, Settings()).empty
    autumn_spring = Settings(methodology=Methodology(absence_period="autumn_spring"))
    assert not attendance_measures(frame, SCHOOLS, autumn_spring).empty


def test_a_term_present_only_in_rows_out_of_scope_does_not_complete_a_year():
    """2024/25's summer term is there only for a pupil aged 4 (out of scope): that year is not
    reported, 2023/24 (every term in scope) is, and a row with no year counts for none."""
    full = census([("A", "100001", 300, 30, 0, 9)]).assign(academic_year="2023/24")
    partial = census([("B", "100001", 300, 60, 0, 9)], terms=("AUT", "SPR"))
    young = census([("C", "100001", 100, 0, 0, 4)], terms=("SUM",))
    no_year = census([("D", "100001", 100, 50, 0, 9)]).assign(academic_year=None)
    frame = pd.concat([full, partial, young, no_year], ignore_index=True)
    result = attendance_measures(frame, SCHOOLS, Settings())
    assert set(result["time_period"]) == {"202324"}
    total = result[(result["measure_id"] == "abs_overall_pct") & (result["breakdown_topic"] == "Total")]
    assert total["numerator"].tolist() == [30] and total["denominator"].tolist() == [300]


def test_session_feed_agrees_exactly_with_the_census(small_data):
    data = validate_data(small_data)
    assert data.sessions is not None
    settings = Settings()
    termly = enrolments(data.frame("attendance"), data.frame("schools"), settings)
    termly = termly[termly["academic_year"] == "2024/25"]
    feed = session_enrolments(data.sessions, data.frame("attendance"), data.frame("schools"), settings)
    feed = feed[feed["academic_year"] == "2024/25"]
    keys = ["upn", "school_urn"]
    merged = termly.merge(feed, on=keys, suffixes=("_census", "_feed"), how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["possible_census"] == merged["possible_feed"]).all()
    assert (merged["absent_census"] == merged["absent_feed"]).all()
    census_results = absence_result(termly, ("a", "b", "c"))
    feed_results = absence_result(feed, ("a", "b", "c"))
    pd.testing.assert_frame_equal(census_results.reset_index(drop=True), feed_results.reset_index(drop=True),
                                  check_dtype=False)


GOOD_UPN = upn_check_letter("999200524001") + "999200524001"
BAD_UPN = ("A" if upn_check_letter("999200524002") != "A" else "B") + "999200524002"


def _feed(tmp_path, rows, files=1):
    """Write feed rows (upn, school_urn, date, session, mark) as Parquet and read them back."""
    folder = tmp_path / "attendance_sessions"
    folder.mkdir()
    frame = pd.DataFrame(rows, columns=["upn", "school_urn", "date", "session", "mark"])
    for i, rows_of_file in enumerate(np.array_split(np.arange(len(frame)), files)):
        frame.iloc[rows_of_file].to_parquet(folder / f"feed_{i}.parquet", index=False)
    feed, _, problems = read_sessions(folder)
    return feed, problems


def test_feed_not_counted_marks_are_not_possible_sessions(tmp_path):
    upn = GOOD_UPN
    feed, problems = _feed(tmp_path, [(upn, "100001", "2024-09-02", "AM", "/"), (upn, "100001", "2024-09-02", "PM", "I"),
                                      (upn, "100001", "2024-09-03", "AM", "#"), (upn, "100001", "2024-09-03", "PM", "O")])
    enrol = session_enrolments(feed, None, None, Settings())
    assert (enrol["possible"].iloc[0], enrol["absent"].iloc[0]) == (3, 2)
    assert feed.rows == 4 and feed.last_date == "2024-09-03"


def test_feed_months_split_across_files_are_added_up_and_cut_by_month(tmp_path):
    upn = GOOD_UPN
    rows = [(upn, "100001", f"2024-{m:02d}-{d:02d}", s, "O" if d == 2 else "/")
            for m in (9, 10) for d in (1, 2, 3, 4) for s in ("AM", "PM")]
    feed, problems = _feed(tmp_path, rows, files=3)       # September is cut across two files
    assert not problems
    enrol = session_enrolments(feed, None, None, Settings())
    assert (enrol["possible"].iloc[0], enrol["absent"].iloc[0]) == (16, 4)
    september = session_enrolments(feed, None, None, Settings(), until_month="2024-09")
    assert (september["possible"].iloc[0], september["absent"].iloc[0]) == (8, 2)


def test_feed_bad_values_are_reported_with_file_line_column_and_rule(tmp_path):
    good = GOOD_UPN
    rows = [(good, "100001", "2024-09-02", "AM", "/"), (good, "100001", "2024-09-02", "PM", "Q"),
            (BAD_UPN, "100001", "2024-09-03", "AM", "/"), (good, "10001", "2024-09-03", "PM", "/"),
            (good, "100001", "03/09/2024", "AM", "/"), (good, "100001", "2024-09-04", "EVE", "/")]
    feed, problems = _feed(tmp_path, rows)
    found = {(p["column"], p["line"], p["value"]) for p in problems}
    assert found == {("mark", 3, "Q"), ("upn", 4, BAD_UPN), ("school_urn", 5, "10001"),
                     ("date", 6, "03/09/2024"), ("session", 7, "EVE")}
    assert all(p["file"].endswith("feed_0.parquet") and p["rule"] for p in problems)


def test_pa_by_month_is_persistent_absence_so_far_at_each_month_end(tmp_path):
    from edstats.measures.monthly import pa_by_month

    other = upn_check_letter("999200524002") + "999200524002"
    rows = []
    for upn, absent_days in ((GOOD_UPN, {("09", 1)}), (other, {("10", 1)})):
        for month in ("09", "10"):
            for day in range(1, 6):
                for session in ("AM", "PM"):
                    mark = "I" if (month, day) in absent_days and session == "AM" else "/"
                    rows.append((upn, "100001", f"2024-{month}-{day:02d}", session, mark))
    feed, problems = _feed(tmp_path, rows, files=2)
    assert not problems
    series = pa_by_month(feed, None, None, Settings())
    # end of September: the first pupil has missed 1 of 10 sessions (10%: persistent), the second none;
    # to 5 October: each has missed 1 of 20 (5%)
    assert series["as_at"].tolist() == ["2024-09-30", "2024-10-05"]
    assert series["pa_pct"].tolist() == [50.0, 0.0]
    assert series["enrolments"].tolist() == [2, 2]


def test_the_overall_absence_interval_treats_each_pupils_sessions_as_one_cluster():
    """Against an independent computation: every session a row (1 absent, 0 present), the mean
    by ordinary least squares on a constant with standard errors clustered by pupil (statsmodels).
    A binomial interval over the sessions is several times narrower."""
    import statsmodels.api as sm

    from edstats.measures.result import SessionRate, measures_over
    from edstats.stats import wilson_interval

    rng = np.random.default_rng(4)
    pupils = 300
    possible = rng.integers(100, 330, pupils).astype(float)
    absent = np.round(possible * rng.beta(0.8, 9, pupils))            # absence clusters in some pupils
    enrol = pd.DataFrame({"academic_year": "2024/25", "a": absent, "p": possible})
    rate = measures_over("SELECT * FROM enrolments", {"enrolments": enrol}, [SessionRate("abs_overall_pct", "a", "p")],
                         {}, enrol.columns)
    lower, upper = rate["ci_lower"].to_numpy(), rate["ci_upper"].to_numpy()
    sessions = np.concatenate([np.r_[np.ones(int(a)), np.zeros(int(p - a))] for a, p in zip(absent, possible)])
    pupil = np.repeat(np.arange(pupils), possible.astype(int))
    fit = sm.OLS(sessions, np.ones(len(sessions))).fit(cov_type="cluster", cov_kwds={"groups": pupil})
    rate, se = fit.params[0], fit.bse[0]
    assert lower[0] == pytest.approx(100 * (rate - 1.959964 * se), abs=1e-9)
    assert upper[0] == pytest.approx(100 * (rate + 1.959964 * se), abs=1e-9)
    wilson_low, wilson_high = wilson_interval(absent.sum(), possible.sum())
    assert (upper[0] - lower[0]) > 4 * (wilson_high - wilson_low)
