"""Work side by side on the machine's cores: forked processes, results back in order.

Forking lets each worker read the parent's frames in place (copy-on-write) and run closures,
which cannot be pickled; only the results travel back. Where fork is not available (Windows)
everything runs one after another in this process, with the same results.
"""

from __future__ import annotations

import multiprocessing
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

_TASKS: list = []


def _die_with_parent() -> None:
    """Ask Linux to end this worker when the process that started it ends, however it ends (a
    ``kill -9`` of edstats must not leave workers computing for nobody)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)     # PR_SET_PDEATHSIG
    except (OSError, AttributeError):      # not Linux
        pass


def _run_task(index: int):
    try:
        return _TASKS[index]()
    finally:          # what the piece of work freed goes back to the system before the next piece
        release_unused_memory()


def side_by_side(tasks: list, workers: int) -> list:
    """Call each of ``tasks`` (functions of no argument) and return their results in order; with
    ``workers`` > 1, in that many forked processes, each task to the next free one.

    A worker that dies (killed by the system for want of memory, say) does not leave the run
    waiting for ever: the tasks it left unfinished are done here, one after another, with a warning.
    An exception raised by a task is raised here, as it would be without workers.
    """
    global _TASKS
    if workers <= 1 or len(tasks) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [task() for task in tasks]
    _TASKS = tasks          # the forked workers inherit the tasks (closures cannot be pickled)
    release_unused_memory()
    results, unfinished = [None] * len(tasks), []
    try:
        with ProcessPoolExecutor(min(workers, len(tasks)), mp_context=multiprocessing.get_context("fork"),
                                 initializer=_die_with_parent) as pool:
            futures = [pool.submit(_run_task, i) for i in range(len(tasks))]
            for i, future in enumerate(futures):
                try:
                    results[i] = future.result()
                except BrokenProcessPool:
                    unfinished.append(i)
    finally:
        _TASKS = []
    if unfinished:
        warnings.warn(f"a worker process stopped before finishing (killed by the system, perhaps for want of "
                      f"memory); {len(unfinished)} of {len(tasks)} pieces of work were done again in this process",
                      RuntimeWarning, stacklevel=2)
        for i in unfinished:
            results[i] = tasks[i]()
    return results


def cores() -> int:
    """How many processes to use side by side: the cores this process may run on, at most 2
    (more gives little: the pieces of work are few and one or two dominate)."""
    try:
        return max(1, min(2, len(os.sched_getaffinity(0))))
    except AttributeError:      # not on Linux
        return max(1, min(2, os.cpu_count() or 1))


def release_unused_memory() -> None:
    """Give the memory that Python and numpy have freed but kept back to the system (after
    validation: the files' text, the checks' masks), so that it is not carried into the workers.
    (Arrow's own pool is left alone: asking it to purge just before a fork is not safe.)"""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):      # not glibc
        pass
