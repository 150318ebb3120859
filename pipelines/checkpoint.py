"""Copying the store's write-ahead log into the database file, on a thread of its own.

In WAL mode every commit appends pages to ``news.db-wal``; a checkpoint copies them into
``news.db`` and syncs it. SQLite's default runs that checkpoint inside the COMMIT that
passes 1,000 pages, on the writer's own time: at 150,000 articles it was 150 us of the
writer's 750 us an article (bench/store.py). :class:`Checkpointer` runs PASSIVE checkpoints
on a second connection in a background thread instead (sqlite3 releases the GIL while
SQLite works, so it overlaps with the writer), and the writer turns its automatic
checkpoint off. Pages rewritten by several transactions are copied once.

A WAL is only rewound to its start by a writer that begins a transaction after a
checkpoint has copied every committed page. A writer that begins its next transaction
right after a commit never sees that, so :meth:`Checkpointer.rewind_point` makes it wait
for the checkpoint of its last commit once the WAL holds more than ``wal_limit`` bytes of
log, as the last checkpoint counted them. (Not the size of the file: SQLite rewinds a WAL
without shrinking it, so a file that once passed the limit would make the writer wait
before every transaction; that cost 3.2 s of each 50,000 articles at 200,000.)
The wait is bounded: a reader holding an old snapshot can keep a checkpoint from finishing
(as with SQLite's own checkpoints), and then the writer goes on and tries again later.

Durability does not change: a committed transaction is in the WAL, which SQLite replays
on the next open after a crash, checkpointed or not.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["Checkpointer"]

logger = logging.getLogger(__name__)

WAL_LIMIT_BYTES = 256 * 1024 * 1024
"""WAL size above which the writer waits for a full checkpoint, so the WAL restarts. A
transaction of 5,000 articles at 200,000 adds ~60 MB (it dirties every page of the lookup
and date indexes); the wait is for the copy of the last one, ~0.2 s, every fourth or fifth
transaction (0.5-1.2 s of each 50,000 articles in bench/store.py). At 1 GiB the writer waited less but read more slowly
through the longer WAL (every page read not in the cache searches its index): two
interleaved pairs at 200,000 articles gave 1,558 and 1,760 articles/s at 256 MiB, 1,664 and
1,628 at 1 GiB; and a search reads through it too (the bench's dedup lookup took 0.85 ms
over a ~1 GiB WAL, 0.59 ms once it was emptied). So the smaller WAL."""
REWIND_WAIT_SECONDS = 10.0
"""Longest wait of the writer for that checkpoint (a long reader may hold it up)."""
IDLE_SECONDS = 1.0
"""The thread checkpoints at least this often while the store is open."""


class Checkpointer:
    """PASSIVE checkpoints of one SQLite file in a background thread.

    ``committed()`` after each commit of the writer wakes the thread; ``rewind_point()``
    before a transaction waits, when the WAL is large, until everything committed is
    copied. ``close()`` stops the thread and closes its connection. Errors of a checkpoint
    are logged and counted in :attr:`errors`; the next one tries again.
    """

    def __init__(self, path: Path, *, wal_limit: int = WAL_LIMIT_BYTES) -> None:
        self.path = path
        self.wal_limit = wal_limit
        self.checkpoints = 0
        """Checkpoints run so far."""
        self.errors = 0
        """Checkpoints that failed (logged)."""
        self.waits = 0
        """Times the writer waited in :meth:`rewind_point`."""
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA busy_timeout = 1000")
        self._frame_bytes = 24 + int(self._conn.execute("PRAGMA page_size").fetchone()[0])
        self.wal_bytes = 0
        """Bytes of log the WAL held at the last checkpoint (its frames, from the start)."""
        self._lock = threading.Condition()
        self._requested = 0  # commits announced by the writer
        self._tried = 0  # highest announced commit a finished checkpoint started after
        self._complete = False  # that checkpoint copied everything
        self._stop = False
        self._paused = 0  # callers of paused() inside their block
        self._running = False  # a checkpoint is under way
        self._thread = threading.Thread(target=self._run, name="newsarc-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """Announce a commit of the writer: its pages are to be copied."""
        with self._lock:
            self._requested += 1
            self._lock.notify_all()

    def rewind_point(self, timeout: float = REWIND_WAIT_SECONDS) -> bool:
        """If the WAL is larger than ``wal_limit``, wait (at most ``timeout`` seconds) for a
        checkpoint of every announced commit, so that the next transaction restarts the WAL.
        Return True when the WAL is small or was fully copied. A reader holding an older
        snapshot keeps that checkpoint from copying everything: then it returns False after
        that one checkpoint, without waiting longer (the WAL grows until the reader ends, as
        with SQLite's own checkpoints)."""
        if self.wal_limit and self.wal_bytes <= self.wal_limit:  # 0: wait every time
            return True
        with self._lock:
            self.waits += 1
            target = self._requested
            done = self._lock.wait_for(lambda: self._tried >= target or self._stop, timeout)
            return done and self._tried >= target and self._complete

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Keep the thread from checkpointing inside the block (waiting first for the
        checkpoint under way): SQLite refuses a checkpoint while another one runs, so a
        writer's own TRUNCATE checkpoint takes this."""
        with self._lock:
            self._paused += 1
            self._lock.wait_for(lambda: not self._running)
        try:
            yield
        finally:
            with self._lock:
                self._paused -= 1
                self._lock.notify_all()

    def close(self) -> None:
        """Stop the thread (after the checkpoint under way) and close its connection."""
        with self._lock:
            self._stop = True
            self._lock.notify_all()
        self._thread.join()
        self._conn.close()

    def _run(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(
                    lambda: self._stop or (not self._paused and self._requested > self._tried),
                    IDLE_SECONDS,
                )
                if self._stop:
                    return
                if self._paused:
                    continue
                target, self._running = self._requested, True
            copied = self._checkpoint()
            with self._lock:
                self._running, self._complete = False, copied
                self._tried = max(self._tried, target)
                self._lock.notify_all()

    def _checkpoint(self) -> bool:
        """Copy what the WAL holds into the database file; True when all of it was."""
        try:
            busy, log, copied = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            self.errors += 1
            logger.warning("checkpoint of %s failed", self.path, exc_info=True)
            return False
        self.checkpoints += 1
        self.wal_bytes = log * self._frame_bytes
        return not busy and copied >= log
