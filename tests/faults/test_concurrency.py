"""Durability policy and concurrent use of one database (issue 6, cases 9 and 10)."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.lock import CrawlLocked, crawl_lock
from pipelines.store import Store
from tests.conftest import REPO
from tests.faults.checks import assert_database_sound, crawl_command, crawl_env
from tests.hostile_site import HostileSite, serve_hostile_site


@pytest.fixture(scope="module")
def site() -> Iterator[HostileSite]:
    with serve_hostile_site() as served:
        yield served


def test_the_store_runs_wal_with_synchronous_normal(tmp_path: Path) -> None:
    """WAL + NORMAL: a crash of the process never corrupts and loses no commit; a power cut may
    lose the last commits (not yet checkpointed), which the next crawl fetches again."""
    with Store(tmp_path / "news.db") as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_a_second_lock_on_one_database_is_refused_at_once(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    with (
        crawl_lock(db),
        pytest.raises(CrawlLocked, match=r"another crawl \(pid \d+\)"),
        crawl_lock(db),
    ):
        pass
    with crawl_lock(db):  # released: free again
        pass


def _read_while(db: Path, stop: threading.Event, errors: list[str], counts: list[int]) -> None:
    """What `newsarc search` and datasette do: short read transactions on their own connection."""
    while not stop.is_set():
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.5) as conn:
                counts.append(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
                conn.execute(
                    "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'council' LIMIT 5"
                ).fetchall()
        except sqlite3.Error as exc:
            errors.append(str(exc))
        stop.wait(0.02)  # pace the readers: they share the GIL with the test site's server


def test_readers_never_see_locked_errors_while_a_crawl_writes(
    site: HostileSite, tmp_path: Path
) -> None:
    db, warcs = tmp_path / "news.db", tmp_path / "warcs"
    Store(db).close()  # the schema exists before the readers start
    stop, errors, counts = threading.Event(), list[str](), list[int]()
    readers = [threading.Thread(target=_read_while, args=(db, stop, errors, counts))
               for _ in range(3)]  # fmt: skip
    for reader in readers:
        reader.start()
    try:
        crawl = subprocess.run(
            crawl_command(f"{site.base}/many/?count=30&group=readers", db, warcs),
            cwd=REPO, env=crawl_env(), capture_output=True, text=True, check=False,
        )  # fmt: skip
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert crawl.returncode == 0, crawl.stderr[-2000:]
    assert errors == []
    assert counts and max(counts) >= 1
    assert_database_sound(db)


def test_two_crawls_on_one_database_the_second_is_refused(
    site: HostileSite, tmp_path: Path
) -> None:
    db, warcs = tmp_path / "news.db", tmp_path / "warcs"
    url = f"{site.base}/many/?count=5&group=gated"
    # The gated downloads must outlast the second crawl's start-up: a long timeout.
    first = subprocess.Popen(crawl_command(url, db, warcs, "-s", "DOWNLOAD_TIMEOUT=120"),
                             cwd=REPO, env=crawl_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        with site.served:  # the first crawl is under way (and holds the lock) once it waits here
            assert site.served.wait_for(
                lambda: site.hits["/news/2025/07/12/gated-good-story-0.html"] > 0, timeout=60
            )
        second = subprocess.run(crawl_command(url, db, tmp_path / "w2"), cwd=REPO,
                                env=crawl_env(), capture_output=True, text=True, check=False)  # fmt: skip
    finally:
        site.gate.set()
        _out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err[-2000:]
    assert second.returncode == 1
    assert "another crawl (pid" in second.stderr and "is writing to" in second.stderr
    assert "Traceback" not in second.stderr
    assert not (tmp_path / "w2").exists()
    assert_database_sound(db)
