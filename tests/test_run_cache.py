"""What the measures cache keeps besides the measures: the results marked by disclosure control, and
the KPM table for each previous paper. Both must read back exactly as a run without a cache makes
them, and a different previous paper must never get another paper's table."""

import shutil

import pandas as pd
import pytest

from edstats.measures import measure_dictionary
from edstats.runs import kpm_for, prepare_run
from edstats.settings import Settings


@pytest.fixture(scope="module")
def data(small_data, tmp_path_factory):
    target = tmp_path_factory.mktemp("cache") / "raw"
    shutil.copytree(small_data, target, ignore=shutil.ignore_patterns("attendance_sessions"))
    return target


def test_marked_results_from_the_cache_are_those_of_a_run_without_a_cache(data, tmp_path):
    """The marks read back from the cache are exactly a run without a cache's, and every row that
    describes 1-4 pupils (its pupils, those counted or those not counted) is among them: worked out
    here from the rows themselves, not by calling the disclosure code."""
    without_cache = prepare_run(data, Settings())
    computed = prepare_run(data, Settings(), tmp_path / "cache")
    cached = prepare_run(data, Settings(), tmp_path / "cache")
    assert not computed.from_cache and cached.from_cache
    pd.testing.assert_frame_equal(cached.marked, without_cache.marked)
    pd.testing.assert_frame_equal(computed.marked, without_cache.marked)
    marked = cached.marked
    assert marked["suppressed"].any() and not marked["suppressed"].all()
    unit = marked["measure_id"].map(measure_dictionary()["unit"])
    small = lambda n: (n >= 1) & (n <= 4)                                      # noqa: E731
    few_pupils = (small(marked["denominator"]) | (unit.isin(["%", "per 100", "pupils"]) & small(marked["numerator"]))
                  | ((unit == "%") & small(marked["denominator"] - marked["numerator"])))
    assert few_pupils.any() and marked.loc[few_pupils, "suppressed"].all()


def test_kpm_kept_in_the_cache_is_the_one_for_its_previous_paper(data, tmp_path):
    without_cache = prepare_run(data, Settings())
    first = prepare_run(data, Settings(), tmp_path / "cache")
    fresh = kpm_for(without_cache)
    assert not list(first.cache_folder.glob("kpm-*"))
    pd.testing.assert_frame_equal(kpm_for(first), fresh)                          # made and kept
    assert len(list(first.cache_folder.glob("kpm-*.parquet"))) == 1
    again = prepare_run(data, Settings(), tmp_path / "cache")
    pd.testing.assert_frame_equal(kpm_for(again), fresh)                          # read back

    previous = fresh.assign(value=fresh["value"] - 1.5)                             # an earlier paper's table
    with_previous = kpm_for(again, previous)
    assert len(list(first.cache_folder.glob("kpm-*.parquet"))) == 2
    pd.testing.assert_frame_equal(with_previous, kpm_for(without_cache, previous))
    assert not with_previous["change_since_previous_paper"].equals(fresh["change_since_previous_paper"])
    pd.testing.assert_frame_equal(kpm_for(again, previous), with_previous)
    pd.testing.assert_frame_equal(kpm_for(again), fresh)                          # the first one is untouched
