"""Every measure for every LA in one pass (national scale) equals each LA's own run."""

import dataclasses

import pandas as pd
import pytest

from edstats.compare.p8_estimates import load_estimates_by_year
from edstats.measures import compute_all, compute_by_la
from edstats.settings import Settings
from edstats.validate import validate_data


@pytest.fixture(scope="module")
def national_run(national):
    data = validate_data(national)
    assert data.is_valid
    estimates = load_estimates_by_year(national / "p8_estimates")
    return data.to_pandas(), estimates, compute_by_la(data.tables, Settings(), estimates)


def _one_la(frames, code):
    """The frames of one LA alone, as that LA's own extracts would be."""
    schools = frames["schools"][frames["schools"]["laestab"].str[:3] == code]
    urns = set(schools["school_urn"])
    out = {"schools": schools, "calendar": frames["calendar"]}
    for name, frame in frames.items():
        if name == "ccis":
            out[name] = frame[frame["residence_la"] == code]
        elif name not in out and "school_urn" in frame:
            out[name] = frame[frame["school_urn"].isin(urns)]
    out["provision"] = frames["provision"][frames["provision"]["exclusion_id"].isin(set(out["exclusions"]["exclusion_id"]))]
    keys = out["ks4_pupils"][["upn", "academic_year"]].astype(str).drop_duplicates()
    out["ks4_results"] = frames["ks4_results"].astype({"upn": str, "academic_year": str}).merge(keys)
    return out


@pytest.mark.parametrize("code", ["999", "003"])
def test_each_las_row_equals_that_las_own_run(national_run, code):
    frames, estimates, by_la = national_run
    settings = dataclasses.replace(Settings(), la=dataclasses.replace(Settings().la, old_la_code=code))
    own = compute_all(_one_la(frames, code), settings, estimates, topics={})
    own = own[own["breakdown_topic"] == "Total"].set_index(["measure_id", "time_period"])
    mine = by_la[(by_la["breakdown_topic"] == "Local authority") & (by_la["breakdown"] == code)].set_index(
        ["measure_id", "time_period"])
    shared = own.index.intersection(mine.index)
    # every measure of the LA's own run is there
    assert set(own.index.get_level_values(0)) - set(mine.index.get_level_values(0)) <= set()
    assert len(shared) > 100
    for column in ("numerator", "denominator", "value"):
        pd.testing.assert_series_equal(mine.loc[shared, column], own.loc[shared, column], check_names=False,
                                       rtol=1e-9)


def test_total_is_every_la_together(national_run):
    frames, _, by_la = national_run
    las = by_la[(by_la["breakdown_topic"] == "Local authority") & (by_la["measure_id"] == "ks2_rwm_exp_pct")]
    total = by_la[(by_la["breakdown_topic"] == "Total") & (by_la["measure_id"] == "ks2_rwm_exp_pct")]
    assert las["breakdown"].nunique() == 12
    summed = las.groupby("time_period")[["numerator", "denominator"]].sum()
    pd.testing.assert_frame_equal(summed, total.set_index("time_period")[["numerator", "denominator"]])


@pytest.mark.parametrize("categorical", [False, True], ids=["text", "categorical"])
def test_young_people_with_no_residence_la_are_an_unknown_la(categorical):
    """NEET by LA: a blank residence_la is the 'Unknown' LA, as any blank breakdown is, never 'nan'."""
    from edstats.measures import LA_BREAKDOWN, add_la_code
    from edstats.measures.neet import neet_measures

    months = ["2024-12", "2025-01", "2025-02"]
    rows = [{"person_id": f"P{i}", "month": m, "academic_age": "16", "residence_la": la,
             "activity_group": "NEET" if i % 4 == 0 else "EET"}
            for i, la in enumerate(["330", "330", None, "331"] * 5) for m in months]
    ccis = pd.DataFrame(rows)
    if categorical:
        ccis = ccis.astype({"residence_la": "category", "month": "category"})
    frames = add_la_code({"ccis": ccis, "schools": pd.DataFrame({"school_urn": ["100000"], "laestab": ["3302000"]})})
    settings = dataclasses.replace(Settings(), la=dataclasses.replace(Settings().la, old_la_code=""))
    out = neet_measures(frames["ccis"], settings, LA_BREAKDOWN)
    las = out[(out["breakdown_topic"] == "Local authority") & (out["measure_id"] == "neet_pct")]
    assert sorted(las["breakdown"]) == ["330", "331", "Unknown"]
    assert las.set_index("breakdown").loc["Unknown", "denominator"] == 5


@pytest.mark.parametrize("categorical", [False, True], ids=["text", "categorical"])
def test_a_pupils_la_is_their_schools(categorical):
    """Each row's LA is its school's (the first three digits of its LAESTAB); a school missing or not
    in the schools file gives a missing LA."""
    from edstats.measures import add_la_code

    schools = pd.DataFrame({"school_urn": ["100001", "100002", "100003"], "laestab": ["3302000", "2014001", "3304002"]})
    urns = pd.Series(["100002", "100001", None, "999999", "100002", "100003"])
    ks2 = pd.DataFrame({"school_urn": urns.astype("category") if categorical else urns})
    la = add_la_code({"schools": schools, "ks2": ks2})["ks2"].to_pandas()["la_code"]
    assert la.astype(object).where(la.notna(), None).tolist() == ["201", "330", None, None, "201", "330"]
