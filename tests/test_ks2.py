"""Key stage 2: methodology section 2.7's worked example, the code rules of 2.2, and boundaries."""

import pandas as pd
import pytest

from edstats.measures.ks2 import ks2_measures
from edstats.settings import Settings


def pupil(read=None, mat=None, gps=105, writ="EXS", read_code="", mat_code="", gps_code="", sex="F"):
    return {"academic_year": "2024/25", "read_ss": read, "read_code": read_code or None, "mat_ss": mat,
            "mat_code": mat_code or None, "gps_ss": gps, "gps_code": gps_code or None, "writ_ta": writ, "sex": sex}


def frame(rows):
    f = pd.DataFrame(rows)
    for c in ("read_ss", "mat_ss", "gps_ss"):
        f[c] = f[c].astype("Int64")
    for c in ("read_code", "mat_code", "gps_code", "writ_ta", "sex", "academic_year"):
        f[c] = f[c].astype("string")
    return f


def total(results, measure_id):
    row = results[(results["measure_id"] == measure_id) & (results["breakdown_topic"] == "Total")]
    return row.iloc[0]


def test_worked_example_school_of_31():
    rows = [pupil(104, 103, writ="EXS") for _ in range(15)]
    rows += [pupil(112, 111, writ="GDS") for _ in range(3)]              # 18 meet; 3 at the higher standard
    rows += [pupil(None, 104, read_code="A")]                            # absent in reading: stays, not meeting
    rows += [pupil(None, None, read_code="B", mat_code="B", writ="PK4") for _ in range(2)]  # working below
    rows += [pupil(96, 104, writ="EXS") for _ in range(9)]               # sat, one subject below
    rows += [pupil(None, None, read_code="L", mat_code="L", gps_code="L", writ="L")]        # left: out
    results = ks2_measures(frame(rows), Settings())
    rwm = total(results, "ks2_rwm_exp_pct")
    assert (rwm["numerator"], rwm["denominator"]) == (18, 30)
    assert rwm["value"] == pytest.approx(60.0)
    assert total(results, "ks2_rwm_high_pct")["value"] == pytest.approx(10.0)
    # reading average uses only the 27 pupils with a reading scaled score
    assert total(results, "ks2_read_avg_ss")["denominator"] == 27


@pytest.mark.parametrize("read, meets, higher", [(99, False, False), (100, True, False), (109, True, False),
                                                  (110, True, True)])
def test_scaled_score_boundaries(read, meets, higher):
    results = ks2_measures(frame([pupil(read, 115, writ="GDS")]), Settings())
    assert total(results, "ks2_read_exp_pct")["value"] == (100.0 if meets else 0.0)
    assert total(results, "ks2_rwm_high_pct")["value"] == (100.0 if higher else 0.0)


@pytest.mark.parametrize("code, in_denominator", [("A", True), ("B", True), ("N", True), ("U", True), ("J", True),
                                                  ("H", True), ("Q", True), ("L", False), ("M", False)])
def test_codes_stay_in_or_leave_the_denominator(code, in_denominator):
    rows = [pupil(105, 105), pupil(None, 105, read_code=code)]
    results = ks2_measures(frame(rows), Settings())
    read = total(results, "ks2_read_exp_pct")
    assert read["denominator"] == (2 if in_denominator else 1)
    assert read["numerator"] == 1
    assert total(results, "ks2_read_avg_ss")["denominator"] == 1     # no scaled score: never in the average


@pytest.mark.parametrize("writ, meets", [("GDS", True), ("EXS", True), ("WTS", False), ("PK6", False),
                                         ("PK1", False), ("EM", False), ("HNM", False), ("BLW", False), ("A", False),
                                         ("D", False)])
def test_writing_judgements(writ, meets):
    results = ks2_measures(frame([pupil(105, 105, writ=writ)]), Settings())
    assert total(results, "ks2_writ_exp_pct")["value"] == (100.0 if meets else 0.0)
    assert total(results, "ks2_writ_exp_pct")["denominator"] == 1


def test_writing_left_removes_the_pupil_from_combined_measures():
    results = ks2_measures(frame([pupil(105, 105, writ="L"), pupil(105, 105)]), Settings())
    assert total(results, "ks2_rwm_exp_pct")["denominator"] == 1
