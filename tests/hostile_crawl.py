"""Helpers of the hostile-site tests: run a real crawl against it and read what it left behind."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import FAST, run_newsarc

# Test-sized limits: Scrapy's own settings, overridden the way a user would (-s NAME=VALUE).
LIMITS = [
    "-s",
    "DOWNLOAD_TIMEOUT=5",
    "-s",
    f"DOWNLOAD_MAXSIZE={8 * 1024 * 1024}",
    "-s",
    "DOWNLOAD_WARNSIZE=0",
    "-s",
    "RETRY_TIMES=0",
]
# Extraction inline: a worker pool costs seconds to start on a small CI machine.
INLINE = ["-s", "NEWSARC_POOL_WORKERS=0"]  # fmt: skip
# --allow-private lets the command line accept the loopback start URL; the -s overrides then put
# the crawl itself back under the guard with only 127.0.0.1 allowed, so 127.0.0.2 (the canary)
# and every other private address must be refused.
ONLY_127_0_0_1 = [
    "--allow-private",
    "-s", "NEWSARC_SAFETY_ALLOW_PRIVATE=False",
    "-s", "NEWSARC_SAFETY_ALLOW_NETWORKS=127.0.0.1/32",
]  # fmt: skip


@dataclass(frozen=True)
class Crawled:
    db: Path
    warc_dir: Path
    returncode: int
    stdout: str
    stderr: str

    def stats(self) -> dict[str, Any]:
        with sqlite3.connect(self.db) as conn:
            row = conn.execute(
                "SELECT stats FROM crawls ORDER BY started_at DESC LIMIT 1"
            ).fetchone()
        return json.loads(row[0] or "{}")

    def pages(self) -> dict[str, tuple[str, str | None]]:
        """outcome and reason per requested URL path (the last fetch wins)."""
        with sqlite3.connect(self.db) as conn:
            rows = conn.execute("SELECT url, outcome, reason FROM pages ORDER BY id").fetchall()
        return {_path(url): (outcome, reason) for url, outcome, reason in rows}

    def articles(self) -> dict[str, str]:
        with sqlite3.connect(self.db) as conn:
            rows = conn.execute("SELECT url, text FROM articles").fetchall()
        return {_path(url): text for url, text in rows}


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3] if url.count("/") >= 3 else url


def crawl(tmp: Path, *args: str, depth: int = 1, pool: bool = False) -> Crawled:
    db, warcs = tmp / "news.db", tmp / "warcs"
    process = run_newsarc(
        "crawl", "--depth", str(depth), "--db", str(db), "--warc-dir", str(warcs),
        *ONLY_127_0_0_1, *FAST, *LIMITS, *([] if pool else INLINE), *args,
    )  # fmt: skip
    return Crawled(db, warcs, process.returncode, process.stdout, process.stderr)
