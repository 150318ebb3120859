"""The background checkpointer: the WAL is copied off the writer's time, restarts when it
grows, loses no commit on a crash, and no thread outlives its store."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from pipelines.checkpoint import Checkpointer
from pipelines.items import Article
from pipelines.store import Store

PAYLOAD = b"x" * 60_000


def _writer(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)")
    return conn


def _write_transactions(conn: sqlite3.Connection, checkpointer: Checkpointer, count: int) -> int:
    """Commit ``count`` transactions of ~120 kB each; return the largest WAL size seen."""
    largest = 0
    wal = Path(f"{checkpointer.path}-wal")
    for _ in range(count):
        checkpointer.rewind_point()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO blobs (data) VALUES (?)", [(PAYLOAD,), (PAYLOAD,)])
        conn.execute("COMMIT")
        checkpointer.committed()
        largest = max(largest, wal.stat().st_size)
    return largest


def test_wal_restarts_once_it_passes_the_limit(tmp_path: Path) -> None:
    conn = _writer(tmp_path / "a.db")
    checkpointer = Checkpointer(tmp_path / "a.db", wal_limit=400_000)
    try:
        largest = _write_transactions(conn, checkpointer, 40)  # 4.8 MB written in all
    finally:
        checkpointer.close()
    assert largest < 1_000_000
    assert checkpointer.checkpoints > 0 and checkpointer.errors == 0
    assert conn.execute("SELECT count(*) FROM blobs").fetchone()[0] == 80


def test_a_rewound_wal_does_not_make_every_transaction_wait(tmp_path: Path) -> None:
    """SQLite rewinds a WAL without shrinking its file: the writer waits when the log
    written since the rewind passes the limit (every few transactions), not whenever the
    file is larger than the limit (before every transaction once it was)."""
    conn = _writer(tmp_path / "a.db")
    checkpointer = Checkpointer(tmp_path / "a.db", wal_limit=400_000)
    try:
        _write_transactions(conn, checkpointer, 40)  # ~120 kB each
    finally:
        checkpointer.close()
    assert Path(f"{checkpointer.path}-wal").stat().st_size > 400_000  # the file stayed large
    assert 1 <= checkpointer.waits <= 15


def test_without_the_wait_the_wal_keeps_growing(tmp_path: Path) -> None:
    """What rewind_point prevents: a writer beginning right after each commit never sees
    a fully copied WAL, so SQLite never restarts it."""
    conn = _writer(tmp_path / "a.db")
    checkpointer = Checkpointer(tmp_path / "a.db", wal_limit=10**12)
    try:
        largest = _write_transactions(conn, checkpointer, 40)
    finally:
        checkpointer.close()
    assert largest > 4_000_000


def test_the_checkpointer_copies_commits_into_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    conn = _writer(path)
    checkpointer = Checkpointer(path, wal_limit=0)
    try:
        _write_transactions(conn, checkpointer, 3)
        assert checkpointer.rewind_point(timeout=30)
    finally:
        checkpointer.close()
    # Everything committed is in the main file: a copy of it alone, without the WAL, has it.
    copy = tmp_path / "copy.db"
    copy.write_bytes(path.read_bytes())
    assert sqlite3.connect(copy).execute("SELECT count(*) FROM blobs").fetchone()[0] == 6


def _article(number: int) -> Article:
    text = f"Story number {number} about the harbour and the city council. " * 20
    return Article(
        url=f"https://news.example.com/{number}.html", canonical_url="", site="",
        title=f"Story {number}", text=text, published="2025-03-01", language="en",
        fetched_at="2025-03-01T12:00:00Z",
    )  # fmt: skip


def test_a_store_opened_to_read_starts_no_thread(tmp_path: Path) -> None:
    with Store(tmp_path / "news.db") as store:
        store.save_article(_article(1))
    with Store(tmp_path / "news.db", create=False) as store:
        assert store.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
        assert store.checkpointer is None


def test_closing_the_store_stops_its_thread(tmp_path: Path) -> None:
    with Store(tmp_path / "news.db") as store:
        store.save_article(_article(1))
        assert store.checkpointer is not None
        assert store.db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    assert not [t for t in threading.enumerate() if t.name == "newsarc-checkpoint"]
    assert not Path(f"{tmp_path / 'news.db'}-wal").exists()  # copied and removed at close


CRASH = """
import os, sys
sys.path.insert(0, sys.argv[2])
from tests.test_checkpoint import _article
from pipelines.store import Store
store = Store(sys.argv[1])
for start in range(0, 300, 50):
    with store.transaction():
        for number in range(start, start + 50):
            store.save_article(_article(number))
os._exit(0)  # killed: no close, the checkpointer thread mid-work
"""


def test_commits_survive_a_crash_before_their_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    root = str(Path(__file__).resolve().parent.parent)
    subprocess.run([sys.executable, "-c", CRASH, str(path), root], check=True, timeout=120)
    with Store(path, create=False) as store:
        assert store.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 300
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        hits = store.db.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'harbour'"
        ).fetchone()[0]
    assert hits == 300


def test_a_checkpoint_of_the_writer_empties_the_wal_while_the_thread_works(
    tmp_path: Path,
) -> None:
    """The writer's TRUNCATE checkpoint waits for the background one instead of failing
    busy (which would leave the WAL as it was)."""
    path = tmp_path / "news.db"
    wal = Path(f"{path}-wal")
    with Store(path) as store:
        for start in range(0, 400, 100):
            with store.transaction():
                for number in range(start, start + 100):
                    store.save_article(_article(number))
            assert store.checkpoint()
            assert wal.stat().st_size == 0
        assert store.checkpointer is not None and store.checkpointer.errors == 0


def test_paused_holds_the_thread_until_the_block_ends(tmp_path: Path) -> None:
    conn = _writer(tmp_path / "a.db")
    checkpointer = Checkpointer(tmp_path / "a.db", wal_limit=0)
    try:
        with checkpointer.paused():
            before = checkpointer.checkpoints
            _write_transactions_unchecked(conn, checkpointer, 3)
            assert not checkpointer.rewind_point(timeout=0.5)  # nothing copied while held
            assert checkpointer.checkpoints == before
        assert checkpointer.rewind_point(timeout=30)
    finally:
        checkpointer.close()


def _write_transactions_unchecked(
    conn: sqlite3.Connection, checkpointer: Checkpointer, count: int
) -> None:
    for _ in range(count):
        conn.execute("INSERT INTO blobs (data) VALUES (?)", (PAYLOAD,))
        checkpointer.committed()


def test_a_reader_on_an_old_snapshot_does_not_hold_the_writer_up(tmp_path: Path) -> None:
    """The checkpoint cannot copy past a reader's snapshot: the writer gives up after that
    one checkpoint instead of waiting its whole timeout before every transaction."""
    path = tmp_path / "a.db"
    conn = _writer(path)
    conn.execute("INSERT INTO blobs (data) VALUES (x'00')")
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM blobs").fetchone()[0] == 1  # snapshot held
    checkpointer = Checkpointer(path, wal_limit=0)
    try:
        _write_transactions_unchecked(conn, checkpointer, 3)
        started = time.monotonic()
        assert not checkpointer.rewind_point(timeout=60)
        assert time.monotonic() - started < 30
        reader.execute("COMMIT")
        checkpointer.committed()
        assert checkpointer.rewind_point(timeout=60)
    finally:
        checkpointer.close()
        reader.close()
