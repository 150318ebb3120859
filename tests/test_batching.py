"""Batched store writes: a crash loses at most the open batch, and the next crawl fetches it again."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from crawler.demo.server import DemoSites
from tests.conftest import FAST, REPO, run_newsarc

SLOW = [
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
    "-s",
    "DOWNLOAD_DELAY=0.2",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=1",
    "-s",
    "DOWNLOAD_DELAY_JITTER=0",
]
NEVER_COMMIT = ["-s", "NEWSARC_STORE_BATCH_SIZE=100000", "-s", "NEWSARC_STORE_BATCH_SECONDS=100000"]


def _stored(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT url FROM articles")]


def _wait_for_records(warcs: Path, minimum_bytes: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        sizes = [p.stat().st_size for p in warcs.glob("*.open")] if warcs.exists() else []
        if sum(sizes) >= minimum_bytes:
            return
        time.sleep(0.05)
    raise AssertionError("the crawl neither wrote WARC records nor kept running")


def _crawl_args(sites: DemoSites, db: Path, warcs: Path) -> list[str]:
    return ["crawl", sites.portal_url, sites.mirror_url, "--allow-private", "--depth", "3",
            "--db", str(db), "--warc-dir", str(warcs)]  # fmt: skip


def test_killed_crawl_loses_only_the_open_batch(demo_sites: DemoSites, tmp_path: Path) -> None:
    db, warcs = tmp_path / "news.db", tmp_path / "warcs"
    args = [sys.executable, "-m", "crawler.cli", *_crawl_args(demo_sites, db, warcs)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [*args, *SLOW, *NEVER_COMMIT], env=env, cwd=tmp_path, text=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for_records(warcs, 60_000, process)
        assert process.poll() is None, "the crawl finished before it could be killed"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert _stored(db) == []  # the open batch was lost, nothing else was written
    again = run_newsarc(*_crawl_args(demo_sites, db, tmp_path / "warcs2"), *FAST)
    assert again.returncode == 0, again.stderr[-2000:]
    stored = _stored(db)
    assert sorted(stored) == sorted(demo_sites.article_urls())
