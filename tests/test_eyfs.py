"""GLD and the other EYFSP measures: methodology section 1.7's worked example and boundaries."""

import pandas as pd
import pytest

from edstats.contract.eyfsp import ELG_COLUMNS
from edstats.measures.eyfs import eyfs_measures
from edstats.settings import Methodology, Settings

E, M, A = "2", "1", "A"


def child(gld12, other5, sex="F", disadvantaged="N", sen="N"):
    row = dict(zip(ELG_COLUMNS, list(gld12) + list(other5)))
    return row | {"academic_year": "2024/25", "sex": sex, "disadvantaged": disadvantaged, "sen_provision": sen}


@pytest.fixture
def worked_example():
    """The five children of methodology section 1.7."""
    return pd.DataFrame([
        child([E] * 12, [E] * 5),                          # GLD, 17 expected
        child([E] * 12, [M, M, E, E, E], sex="M"),         # GLD, 15 expected
        child([E] * 9 + [M] + [E] * 2, [E] * 5),           # writing (ELG 10) emerging: no GLD, 16
        child([E] * 9 + [M] * 3, [M, M, M, E, E], sex="M", disadvantaged="Y"),  # no GLD, 11
        child([A] * 12, [A] * 5, disadvantaged="Y"),       # not assessed
    ])


def total(results, measure_id):
    row = results[(results["measure_id"] == measure_id) & (results["breakdown_topic"] == "Total")]
    assert len(row) == 1
    return row.iloc[0]


def test_worked_example_with_not_assessed_left_out(worked_example):
    results = eyfs_measures(worked_example, Settings())
    gld = total(results, "eyfs_gld_pct")
    assert (gld["numerator"], gld["denominator"], gld["value"]) == (2, 4, 50.0)
    avg = total(results, "eyfs_avg_elg_expected")
    assert avg["value"] == pytest.approx(14.75)
    assert avg["denominator"] == 4
    assert total(results, "eyfs_all_elg_expected_pct")["value"] == 25.0


def test_worked_example_with_not_assessed_in_the_denominator(worked_example):
    settings = Settings(methodology=Methodology(eyfsp_include_not_assessed_in_denominator=True))
    results = eyfs_measures(worked_example, settings)
    gld = total(results, "eyfs_gld_pct")
    assert (gld["numerator"], gld["denominator"], gld["value"]) == (2, 5, 40.0)
    assert total(results, "eyfs_all_elg_expected_pct")["value"] == 20.0


def test_default_setting_is_to_leave_not_assessed_out():
    assert Settings().methodology.eyfsp_include_not_assessed_in_denominator is False


def test_one_emerging_goal_among_the_twelve_means_no_gld():
    for i in range(12):
        gld12 = [E] * 12
        gld12[i] = M
        results = eyfs_measures(pd.DataFrame([child(gld12, [E] * 5)]), Settings())
        assert total(results, "eyfs_gld_pct")["value"] == 0.0


def test_the_five_other_goals_do_not_affect_gld():
    results = eyfs_measures(pd.DataFrame([child([E] * 12, [M] * 5)]), Settings())
    assert total(results, "eyfs_gld_pct")["value"] == 100.0
    assert total(results, "eyfs_all_elg_expected_pct")["value"] == 0.0


def test_breakdowns_by_sex_disadvantage_and_sen(worked_example):
    results = eyfs_measures(worked_example, Settings())
    gld = results[results["measure_id"] == "eyfs_gld_pct"].set_index(["breakdown_topic", "breakdown"])
    assert gld.loc[("Sex", "Female"), ["numerator", "denominator"]].tolist() == [1, 2]
    assert gld.loc[("Sex", "Male"), ["numerator", "denominator"]].tolist() == [1, 2]
    # the disadvantaged not-assessed child is out of the denominator: 0 of 1
    assert gld.loc[("Disadvantage", "Disadvantaged"), ["numerator", "denominator"]].tolist() == [0, 1]
    assert gld.loc[("Disadvantage", "Not disadvantaged"), "value"] == pytest.approx(200 / 3)
    assert gld.loc[("SEN provision", "No SEN"), "denominator"] == 4


def test_gld_interval_is_wilson(worked_example):
    gld = total(eyfs_measures(worked_example, Settings()), "eyfs_gld_pct")
    # Wilson 95% for 2/4: centre (0.5 + z²/8)/(1 + z²/4), both ends symmetric about 50%.
    assert gld["ci_lower"] == pytest.approx(15.0, abs=0.01)
    assert gld["ci_upper"] == pytest.approx(85.0, abs=0.01)


def test_time_period_is_the_open_data_form(worked_example):
    assert set(eyfs_measures(worked_example, Settings())["time_period"]) == {"202425"}
