"""What the measures cache keeps besides the measures: the results marked by disclosure control, and
the KPM table for each previous paper. Both must read back exactly as a run without a cache makes
them, and a different previous paper must never get another paper's table."""

import shutil

import pandas as pd
import pytest

from edstats.disclosure import suppress
from edstats.measures import measure_dictionary
from edstats.pipeline import kpm_for, prepare_run
from edstats.settings import Settings


@pytest.fixture(scope="module")
def data(small_data, tmp_path_factory):
    target = tmp_path_factory.mktemp("cache") / "raw"
    shutil.copytree(small_data, target, ignore=shutil.ignore_patterns("attendance_sessions"))
    return target


def test_marked_results_from_the_cache_are_disclosure_control_applied_to_the_results(data, tmp_path):
    computed = prepare_run(data, Settings(), tmp_path / "cache")
    cached = prepare_run(data, Settings(), tmp_path / "cache")
    assert not computed.from_cache and cached.from_cache
    expected = suppress(cached.results, Settings().suppression_threshold, measure_dictionary()["unit"],
                        cached.parents)
    assert expected["suppressed"].any() and not expected["suppressed"].all()
    pd.testing.assert_frame_equal(cached.marked, expected)
    pd.testing.assert_frame_equal(computed.marked, expected)


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
