"""One crawl per database: an advisory lock file beside the SQLite file.

SQLite itself would let two crawls write one database in turn (WAL, busy_timeout), but two crawls
of the same sites would fetch and store the same pages twice over and interleave their ``pages``
rows; the second crawl is refused instead, with a one-line message. The lock is ``flock`` on
``<db>.lock``: the kernel releases it when the holder exits, even after ``kill -9``, so a crashed
crawl never leaves a stale lock behind (the file itself stays; it only holds the holder's pid).
Readers (search, show, datasette) take no lock.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class CrawlLocked(ValueError):
    """Another process holds the crawl lock of this database."""


def lock_path(db: Path) -> Path:
    """The lock file of database ``db``."""
    return db.with_name(db.name + ".lock")


@contextmanager
def crawl_lock(db: Path) -> Iterator[Path]:
    """Hold the crawl lock of ``db`` for the block; CrawlLocked at once if another process has it."""
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise CrawlLocked(
            f"another crawl (pid {holder}) is writing to {db}; "
            "wait for it to finish, or give this one another --db"
        ) from exc
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield path
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
