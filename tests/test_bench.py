"""The benchmark's own instruments (the figures themselves come from `make bench`, never a test)."""

import subprocess
import sys
import time

import pytest

from edstats.bench import TreeMemory, termly_view

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


_MEASURE_A_CHILD = """
import subprocess, sys, time
from edstats.bench import TreeMemory
before = TreeMemory._tree_mb()
memory = TreeMemory(every=0.02).start()
child = subprocess.Popen([sys.executable, "-c", "import time; block = b'x' * (300 * 2**20); time.sleep(1.5)"])
child.wait()
time.sleep(0.1)
print(memory.stop() - before)
"""


def test_tree_memory_counts_a_child_process():
    """A child holding 300 MB while its parent holds little: the tree's peak must include it.
    Measured from a small process of its own: the test run's own memory, which falls as earlier
    tests' frames are freed, would otherwise be subtracted from the child's (291 MB was seen)."""
    added = float(subprocess.run([sys.executable, "-c", _MEASURE_A_CHILD], capture_output=True, text=True,
                                 check=True).stdout)
    assert 300 < added < 300 + 500, added      # the child's block and interpreter, not the machine


def test_tree_memory_does_not_count_shared_pages_of_a_fork_twice():
    """A fork reading its parent's 400 MB in place adds little: proportional set sizes, not resident."""
    import multiprocessing

    import numpy as np

    before = TreeMemory._tree_mb()
    block = np.ones(400 * 2**20 // 8)
    with_block = TreeMemory._tree_mb()
    memory = TreeMemory(every=0.02).start()

    context = multiprocessing.get_context("fork")
    child = context.Process(target=lambda: (float(block.sum()), time.sleep(1.0)))
    child.start()
    child.join()
    added_by_fork = memory.stop() - with_block
    # (measured from the block's own size: memory this process frees meanwhile, as an allocator
    # hands pages back, would otherwise make the sum look smaller than the block)
    assert with_block - before > 350, with_block - before
    assert added_by_fork < 300, added_by_fork   # resident sizes would count the block twice, and this process again
    del block


def test_termly_view_is_the_data_without_the_daily_feed(tmp_path):
    data = tmp_path / "data-city"
    for name in ("schools", "attendance", "attendance_sessions"):
        (data / name).mkdir(parents=True)
        (data / name / "x.csv").write_text("a\n1\n")
    (data / "SYNTHETIC.md").write_text("synthetic")
    view = termly_view(data)
    names = sorted(p.name for p in (tmp_path / "data-city-termly").iterdir())
    assert view.endswith("data-city-termly") and names == ["SYNTHETIC.md", "attendance", "schools"]
    assert (tmp_path / "data-city-termly" / "schools" / "x.csv").read_text() == "a\n1\n"
    assert termly_view(data) == view      # a second call leaves the links as they are


def test_tree_memory_restarted_takes_the_peak_of_what_follows_alone():
    """A step timed after work it needs (the measures after validation) restarts the meter: the
    400 MB held and let go before the restart is not its peak, the 200 MB after it is."""
    import numpy as np

    memory = TreeMemory(every=0.02).start()
    before = TreeMemory._tree_mb()
    block = np.ones(400 * 2**20 // 8)
    time.sleep(0.3)
    del block
    memory.restart()
    after_restart = memory.peak_mb
    block = np.ones(200 * 2**20 // 8)
    time.sleep(0.3)
    del block
    peak = memory.stop()
    assert memory.restarted and after_restart < before + 150
    assert 150 < peak - before < 350, peak - before
