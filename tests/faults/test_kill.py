"""kill -9 of a crawl at random moments (issue 6, case 7).

The same crawl of 40 articles is killed 10 times at different points (after k responses served,
plus a random delay), each time on the same database and WARC directory. After each kill: the
database passes ``PRAGMA integrity_check`` and FTS matches ``articles``; the ``.open`` WARC file is
repaired without losing a complete record; every WARC file passes ``warcio check``; every stored
article points at an existing record. Then the crawl runs to its end and every article of the site
is stored exactly once.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.faults.checks import (
    assert_database_sound,
    assert_rows_point_at_records,
    crawl_command,
    crawl_env,
    repair_and_check_warcs,
)
from tests.hostile_site import HostileSite, good_path, serve_hostile_site

ARTICLES = 40
KILL_AFTER = [1, 2, 3, 4, 6, 8, 10, 13, 16, 20]  # responses served in the run before the kill


@pytest.fixture(scope="module")
def site() -> Iterator[HostileSite]:
    with serve_hostile_site() as served:
        yield served


def _served_after(site: HostileSite, process: subprocess.Popen[bytes], count: int) -> bool:
    """Wait until ``count`` more responses are served (True) or the crawl ends first (False)."""
    with site.served:
        target = site.served_count + count

    def notify_on_exit() -> None:
        process.wait()
        with site.served:
            site.served.notify_all()

    threading.Thread(target=notify_on_exit, daemon=True).start()
    with site.served:
        site.served.wait_for(
            lambda: site.served_count >= target or process.poll() is not None, timeout=120
        )
        return site.served_count >= target and process.poll() is None


def test_kill_9_at_random_moments_loses_nothing_and_the_crawl_converges(
    site: HostileSite, tmp_path: Path
) -> None:
    db, warcs = tmp_path / "news.db", tmp_path / "warcs"
    command = crawl_command(f"{site.base}/many/?count={ARTICLES}", db, warcs)
    rng = random.Random(6)
    killed, lost, checked = 0, 0, set[str]()
    for count in KILL_AFTER:
        process = subprocess.Popen(command, cwd=REPO, env=crawl_env(),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        if _served_after(site, process, count):
            threading.Event().wait(rng.uniform(0.0, 0.3))  # a random moment after that point
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait()
        if db.exists():
            assert_database_sound(db)
        lost += repair_and_check_warcs(warcs, checked)
        if db.exists():
            assert_rows_point_at_records(db, warcs)
    assert killed >= 8, f"only {killed} runs were killed mid-crawl"
    assert lost == 0
    final = subprocess.run(command, cwd=REPO, env=crawl_env(), capture_output=True, text=True,
                           check=False)  # fmt: skip
    assert final.returncode == 0, final.stderr[-3000:]
    assert_database_sound(db)
    assert repair_and_check_warcs(warcs, checked) == 0
    assert_rows_point_at_records(db, warcs)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT url, count(*) FROM articles GROUP BY url").fetchall()
    stored = {url.split("/", 3)[3]: n for url, n in rows}
    expected = {good_path("many", n).lstrip("/") for n in range(ARTICLES)}
    assert set(stored) == expected
    assert set(stored.values()) == {1}
