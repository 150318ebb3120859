"""Disk full while crawling (issue 6, case 8): a small tmpfs holds the database and the WARC files.

The crawl must stop with a clear message and a non-zero exit status, and nothing committed
before may be damaged. Mounting a tmpfs needs root (CI runs as root); elsewhere the test skips.
A file-size limit (RLIMIT_FSIZE) does not serve here: py3langid unpacks its 68 MB model into a
temporary file when a process first detects a language, which any useful limit breaks first.
"""

from __future__ import annotations

import errno
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.diskspace import is_disk_full
from crawler.lock import lock_path
from tests.conftest import REPO
from tests.faults.checks import (
    assert_database_sound,
    assert_rows_point_at_records,
    crawl_command,
    crawl_env,
    repair_and_check_warcs,
)
from tests.hostile_site import HostileSite, serve_hostile_site


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=10m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture(scope="module")
def site() -> Iterator[HostileSite]:
    with serve_hostile_site() as served:
        yield served


def _articles(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT url, text_hash FROM articles ORDER BY id").fetchall()


def test_a_full_disk_stops_the_crawl_and_damages_nothing(
    site: HostileSite, small_disk: Path
) -> None:
    db, warcs = small_disk / "news.db", small_disk / "warcs"
    first = subprocess.run(
        crawl_command(f"{site.base}/many/?count=10&group=small", db, warcs,
                      "-s", "NEWSARC_SAFETY_MIN_FREE_MB=0"),
        cwd=REPO, env=crawl_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr[-2000:]
    before = _articles(db)
    assert len(before) == 10
    # 80 pages of 300 KB cannot fit in 10 MB; the 5 MB margin covers 16 downloads in flight
    full = subprocess.run(
        crawl_command(f"{site.base}/many/?count=80&group=bulky", db, warcs,
                      "-s", "NEWSARC_SAFETY_MIN_FREE_MB=5"),
        cwd=REPO, env=crawl_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert full.returncode == 1
    assert "Disk full, the crawl stops" in full.stderr
    assert "Error: disk full" in full.stderr
    assert full.stderr.count("Traceback") == 0
    assert_database_sound(db)
    after = _articles(db)
    assert after[: len(before)] == before
    assert repair_and_check_warcs(warcs) == 0
    assert_rows_point_at_records(db, warcs)
    assert lock_path(db).exists()


@pytest.mark.parametrize(
    ("exc", "full"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), True),
        (OSError(errno.EFBIG, "File too large"), True),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), True),
        (sqlite3.OperationalError("database or disk is full"), True),
        (OSError(errno.EACCES, "Permission denied"), False),
        (sqlite3.OperationalError("database is locked"), False),
    ],
)
def test_disk_full_errors_are_recognised(exc: BaseException, full: bool) -> None:
    assert is_disk_full(exc) is full
    wrapped = RuntimeError("while storing")
    wrapped.__cause__ = exc
    assert is_disk_full(wrapped) is full
