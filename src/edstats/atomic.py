"""Crash-safe writing: one report run at a time per folder, and nothing half-written left behind.

Everything a run writes is made under a name that says it is unfinished — ``.<name>.partial-<pid>-…``
— and renamed into place when whole. A run killed outright (``kill -9``, a power cut) can leave such
leftovers; the next run removes those of processes that are no longer running, and puts back a
previous report that was moved aside for its replacement but not yet replaced.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import EdstatsError

_PARTIAL = re.compile(r"^\.(?P<name>.+)\.partial-(?P<pid>\d+)-")
_LOCK_NAME = ".edstats-run.lock"


class RunInProgress(EdstatsError):
    """Another run is writing to the same reports folder."""


def partial_name(name: str) -> str:
    """The prefix of an unfinished ``name`` made by this process (see the module notes)."""
    return f".{name}.partial-{os.getpid()}-"


def partial_folder(final: Path) -> Path:
    """A new empty folder beside ``final`` to fill and then :func:`replace_folder` into place."""
    return Path(tempfile.mkdtemp(prefix=partial_name(final.name), dir=final.parent))


def partial_file(final: Path) -> Path:
    """A path beside ``final`` (with its suffix) to write and then ``os.replace`` into place."""
    return final.with_name(f"{partial_name(final.name)}{os.urandom(4).hex()}{final.suffix}")


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(folder: Path) -> None:
    """Remove the leftovers of runs that died in ``folder`` (unfinished files and folders of
    processes no longer running); a report moved aside and never replaced is put back."""
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        match = _PARTIAL.match(path.name)
        if not match or _running(int(match["pid"])):
            continue
        name = match["name"]
        if name.endswith(".old") and not (folder / name[:-4]).exists():
            path.rename(folder / name[:-4])          # the previous report, moved aside for one never put in place
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def replace_folder(staging: Path, final: Path) -> None:
    """Move ``staging`` to ``final``, replacing any previous ``final`` only at the last moment
    (if the process dies between the two renames, :func:`remove_stale` puts the old one back)."""
    old = None
    if final.exists():
        old = final.with_name(f"{partial_name(final.name + '.old')}{os.urandom(4).hex()}")
        final.rename(old)
    staging.rename(final)
    if old:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def one_run_at_a_time(folder: Path):
    """Hold ``folder``'s run lock (a lock file the system frees when the process ends, however it
    ends; removed when the run ends); raises :class:`RunInProgress` if another process holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _LOCK_NAME
    while True:
        handle = open(path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            raise RunInProgress(f"Another edstats run (process {holder}) is writing to {folder}. Wait for it to "
                                "finish, or give another --out folder.") from None
        if path.exists() and os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
            break
        handle.close()           # the run before removed this file as it ended: take the new one
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        path.unlink(missing_ok=True)         # still held: no other run can have it meanwhile
        handle.close()


#: errno -> what it means, for :func:`plain_os_error`
_OS_ERRORS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
              errno.EROFS: "the folder is on a read-only file system", errno.EACCES: "permission is denied",
              errno.EPERM: "permission is denied"}


def plain_os_error(exc: OSError, folder: str | None = None) -> str | None:
    """One sentence for a file or folder that could not be used for want of space or permission,
    naming it; ``None`` for any other error."""
    reason = _OS_ERRORS.get(exc.errno)
    if reason is None:
        return None
    where = exc.filename or folder or "the output folder"
    return (f"Could not use {where}: {reason}. Nothing half-written was left in place; free some space, or give "
            "edstats folders and files it may read and write (--data, --out), then run again.")
