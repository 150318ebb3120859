"""The thin Scrapy item-pipeline adapter around ``pipelines.chain.Chain``.

Extraction runs in ``pipelines.pool.ExtractionPool`` worker processes: ``process_item`` awaits
the worker's result without blocking the reactor, so downloads go on meanwhile. While a page is
being extracted its response stays "active" in Scrapy's scraper slot, so when extraction falls
behind, the scraper's ``SCRAPER_SLOT_MAX_ACTIVE_SIZE`` (and ``NEWSARC_POOL_MAX_PENDING``,
which bounds pages in flight) make the engine stop taking requests from the scheduler: memory
stays flat and the crawl slows down instead.

Store writes happen here, in the reactor thread (the one writer), grouped into transactions of
at most ``NEWSARC_STORE_BATCH_SIZE`` pages or ``NEWSARC_STORE_BATCH_SECONDS`` seconds. A crash
loses at most the open batch; those pages are not stored, so the next incremental crawl fetches
them again.

Settings: ``NEWSARC_STORE_PATH``, ``NEWSARC_CRAWL_ID``, ``NEWSARC_CRAWL_KIND``,
``NEWSARC_EXTRACT_MIN_WORDS``, ``NEWSARC_POOL_*``, ``NEWSARC_STORE_BATCH_*``.
Stats: ``newsarc/chain/<outcome>`` per page.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from twisted.internet.task import LoopingCall

from pipelines.chain import FOLLOW_KINDS, Chain
from pipelines.errors import ExtractionCrashed
from pipelines.extract import ExtractConfig
from pipelines.items import Page
from pipelines.pool import Extracted, ExtractionPool, PoolConfig
from pipelines.store import Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchConfig:
    """``NEWSARC_STORE_BATCH_SIZE`` pages / ``NEWSARC_STORE_BATCH_SECONDS`` per transaction.

    The age bound is what limits a crawl's transactions (it stores tens of pages a second);
    the size bound only caps a fast replay's. Larger transactions pay the commit, the FTS5
    segment flush and the LSH buffer merge less often (bench/store.py commits by this rule).
    """

    size: int = 5000
    seconds: float = 2.0

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> BatchConfig:
        size_raw = settings.get("NEWSARC_STORE_BATCH_SIZE", cls.size)
        seconds_raw = settings.get("NEWSARC_STORE_BATCH_SECONDS", cls.seconds)
        try:
            size, seconds = int(size_raw), float(seconds_raw)
        except (TypeError, ValueError):
            raise ValueError(
                f"invalid NEWSARC_STORE_BATCH_SIZE={size_raw!r} or "
                f"NEWSARC_STORE_BATCH_SECONDS={seconds_raw!r}: expected numbers"
            ) from None
        if size < 1 or seconds < 0:
            raise ValueError(
                f"invalid NEWSARC_STORE_BATCH_SIZE={size_raw!r} (>= 1) or "
                f"NEWSARC_STORE_BATCH_SECONDS={seconds_raw!r} (>= 0)"
            )
        return cls(size=size, seconds=seconds)


class Batcher:
    """Keeps one store transaction open across several pages and commits it by size or age."""

    def __init__(self, store: Store, config: BatchConfig) -> None:
        self.store = store
        self.config = config
        self._tx: AbstractContextManager[Any] | None = None
        self._count = 0
        self._opened = 0.0

    def before_write(self) -> None:
        if self._tx is None:
            self._tx = self.store.transaction()
            self._tx.__enter__()
            self._opened = time.monotonic()

    def after_write(self) -> None:
        self._count += 1
        age = time.monotonic() - self._opened
        if self._count >= self.config.size or age >= self.config.seconds:
            self.flush()

    def flush_if_old(self) -> None:
        """Commit an open batch that has waited longer than the time bound (called by a timer)."""
        if self._tx is not None and time.monotonic() - self._opened >= self.config.seconds:
            self.flush()

    def flush(self) -> None:
        if self._tx is not None:
            tx, self._tx, self._count = self._tx, None, 0
            tx.__exit__(None, None, None)


class ChainPipeline:
    """Feeds every Page to the chain; non-article pages are dropped with a named reason."""

    def __init__(self, crawler: Crawler, store: Store, config: ExtractConfig) -> None:
        self.crawler = crawler
        self.store = store
        self.chain = Chain(store, config)
        self.pool = ExtractionPool(PoolConfig.from_settings(crawler.settings), config)
        self.batcher = Batcher(store, BatchConfig.from_settings(crawler.settings))
        self.pending = asyncio.Semaphore(self.pool.config.pending_limit)
        self.timer = LoopingCall(self.batcher.flush_if_old)
        self.crawl_id = ""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ChainPipeline:
        settings = crawler.settings
        config = ExtractConfig.from_settings(settings)
        BatchConfig.from_settings(settings)  # reject bad values before the store is opened
        store = Store.from_settings(settings)
        pipeline = cls(crawler, store, config)
        crawler.signals.connect(pipeline.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def spider_opened(self, spider: Spider) -> None:
        settings = self.crawler.settings
        args = {k: str(v) for k, v in vars(spider).items() if k in ("url", "sites")}
        self.crawl_id = settings.get("NEWSARC_CRAWL_ID") or self.store.start_crawl(
            settings.get("NEWSARC_CRAWL_KIND"), {"spider_args": args}
        )
        self.timer.start(max(self.batcher.config.seconds, 0.1), now=False)

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, Page):
            return item
        extracted = None
        if item.kind not in FOLLOW_KINDS:
            async with self.pending:
                extracted = await self._extract(item)
        self.batcher.before_write()
        outcome = self.chain.finish(item, extracted)
        self.batcher.after_write()
        self._inc(f"newsarc/chain/{outcome.outcome}")
        if outcome.error is not None:
            raise outcome.error
        return item

    async def _extract(self, page: Page) -> Extracted:
        """The worker's result; a dead worker restarts the pool and the page is tried once more."""
        generation = self.pool.generation
        try:
            return await asyncio.wrap_future(self.pool.submit(page))
        except BrokenProcessPool:
            self._restart_pool(generation)
        generation = self.pool.generation
        try:
            return await asyncio.wrap_future(self.pool.submit(page))
        except BrokenProcessPool as exc:
            self._restart_pool(generation)
            return ExtractionCrashed(page.final_url, str(exc) or "worker process died")

    def _restart_pool(self, generation: int) -> None:
        """One restart per worker death, however many pages were in flight."""
        if self.pool.restart(generation):
            self._inc("newsarc/pool/restarted")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.timer.running:
            self.timer.stop()
        self.batcher.flush()
        self.pool.close()
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        summary = {k: v for k, v in stats.items() if isinstance(v, (int, float, str))}
        status = "finished" if reason == "finished" else reason
        self.store.finish_crawl(self.crawl_id, status, json.loads(json.dumps(summary, default=str)))
        self.store.close()

    def _inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)
