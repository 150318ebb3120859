"""Disk full: the crawl stops cleanly before (or as soon as) the disk fills, nothing stored is lost.

Without this, a full disk makes every download fail on its WARC write and every item fail on its
SQLite commit, and the crawl runs on through thousands of errors. Like Heritrix's disk-space
monitor, ``DiskSpaceMiddleware`` checks the free space of the WARC directory and of the database's
directory before every download (one ``statvfs`` call) and, below ``NEWSARC_SAFETY_MIN_FREE_MB``, closes the spider
with the reason ``disk_full``; requests still queued are dropped as ``DiskFull``. A write that
fails anyway (another process filled the disk, a quota, a file-size limit) is caught on the
``item_error`` signal — ``ENOSPC``, ``EDQUOT``, ``EFBIG`` or SQLite's "database or disk is full" —
and closes the spider the same way. Committed rows and complete WARC records stay as they are
(SQLite rolls back the failed transaction; the WARC writer's torn record is cut by repair).
Stats: ``newsarc/disk/full``.
"""

from __future__ import annotations

import errno
import logging
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.settings import BaseSettings
from scrapy.utils.defer import _schedule_coro

logger = logging.getLogger(__name__)

FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
CLOSE_REASON = "disk_full"


class DiskFull(IgnoreRequest):
    """The crawl is stopping because the disk is (nearly) full."""


def is_disk_full(exc: BaseException | None) -> bool:
    """True when ``exc`` (or an exception it was raised from) says the disk or a quota is full."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in FULL_ERRNOS:
            return True
        if isinstance(exc, sqlite3.OperationalError) and "disk is full" in str(exc):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


@dataclass(frozen=True)
class DiskSpaceConfig:
    """``NEWSARC_SAFETY_MIN_FREE_MB`` (0: no free-space check; write errors still stop the crawl),
    with the directories of ``NEWSARC_WARC_DIR`` and ``NEWSARC_STORE_PATH``."""

    min_free_bytes: int
    directories: tuple[Path, ...]

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> DiskSpaceConfig:
        raw = settings.get("NEWSARC_SAFETY_MIN_FREE_MB")
        try:
            megabytes = float(raw)
        except (TypeError, ValueError):
            megabytes = -1.0
        if isinstance(raw, bool) or megabytes < 0:
            raise ValueError(f"NEWSARC_SAFETY_MIN_FREE_MB must be a number >= 0, not {raw!r}")
        store = Path(settings.get("NEWSARC_STORE_PATH")).absolute().parent
        warcs = Path(settings.get("NEWSARC_WARC_DIR")).absolute()
        return cls(int(megabytes * 1024 * 1024), (warcs, store))


def free_bytes(directory: Path) -> int:
    """Free bytes for unprivileged writers on the file system of ``directory`` (or its parent)."""
    while not directory.exists() and directory != directory.parent:
        directory = directory.parent
    return shutil.disk_usage(directory).free


class DiskSpaceMiddleware:
    """Downloader middleware (and item_error listener) stopping the crawl on a full disk."""

    def __init__(self, crawler: Crawler, config: DiskSpaceConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.stopping: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DiskSpaceMiddleware:
        middleware = cls(crawler, DiskSpaceConfig.from_settings(crawler.settings))
        crawler.signals.connect(middleware.item_error, signal=signals.item_error)
        return middleware

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if self.stopping is None and self.config.min_free_bytes:
            self._check_space()
        if self.stopping is not None:
            raise DiskFull(f"not fetched, the crawl is stopping: {self.stopping}")

    def _check_space(self) -> None:
        for directory in self.config.directories:
            free = free_bytes(directory)
            if free < self.config.min_free_bytes:
                limit = self.config.min_free_bytes // (1024 * 1024)
                self._stop(
                    f"{free // 1024} KB free on the file system of {directory} "
                    f"(below NEWSARC_SAFETY_MIN_FREE_MB = {limit})"
                )
                return

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Any) -> None:
        exc = getattr(failure, "value", None)
        if self.stopping is None and is_disk_full(exc):
            self._stop(f"a write failed: {exc}")

    def _stop(self, why: str) -> None:
        self.stopping = why
        stats = self.crawler.stats
        if stats is not None:
            stats.set_value("newsarc/disk/full", 1)
        logger.error(
            "Disk full, the crawl stops: %s. What is stored so far is intact; free some space "
            "and run the same crawl again to resume.",
            why,
        )
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            _schedule_coro(engine.close_spider_async(reason=CLOSE_REASON))
