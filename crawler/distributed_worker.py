"""The store worker of a distributed crawl: the one writer draining ``PREFIX:items`` into SQLite.

Crawler processes (``newsarc crawl --redis URL``) push Pages to a Redis list; this process moves
them one batch at a time to ``PREFIX:items:processing`` (LMOVE, atomic), runs them through
``pipelines.chain.Chain`` in one store transaction, and only then drops the batch from the
processing list: a store worker that dies loses nothing (the next one starts by putting the
processing list back). Once it has seen a crawler (or pages), it stops when the list stayed
empty and no crawler heartbeat was left for ``NEWSARC_REDIS_IDLE_SECONDS``, or when ``stop`` is
set (SIGTERM/SIGINT); started before any crawler, it waits for them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import redis

from crawler.distributed import (
    OUTAGE_ERRORS,
    RedisConfig,
    RedisUnavailable,
    connect,
)
from crawler.distributed_items import page_from_json
from pipelines.chain import Chain
from pipelines.extract import ExtractConfig
from pipelines.store import Store

logger = logging.getLogger(__name__)

BATCH = 50


@dataclass(frozen=True)
class WorkerReport:
    crawl_id: str
    counts: Counter[str]
    pages: int
    seconds: float


class StoreWorker:
    """Drains the items list of one distributed crawl into one store."""

    def __init__(self, client: redis.Redis, config: RedisConfig, chain: Chain) -> None:
        self.client = client
        self.config = config
        self.chain = chain
        self.items = config.key("items")
        self.processing = config.key("items", "processing")
        self.pages = 0

    def recover(self) -> int:
        """Put back what a previous store worker took but did not commit."""
        moved = 0
        while self.client.lmove(self.processing, self.items, "RIGHT", "LEFT") is not None:
            moved += 1
        if moved:
            logger.warning("Recovered %d page(s) an earlier store worker had not stored", moved)
        return moved

    def step(self, timeout: int = 1) -> int:
        """Store one batch (waiting up to ``timeout`` for the first page); return its size."""
        first = self.client.blmove(self.items, self.processing, timeout, "LEFT", "RIGHT")
        if first is None:
            return 0
        batch = [first]
        while len(batch) < BATCH:
            data = self.client.lmove(self.items, self.processing, "LEFT", "RIGHT")
            if data is None:
                break
            batch.append(data)
        with self.chain.store.transaction():
            for data in batch:
                self.chain.process(page_from_json(data))
        self.client.delete(self.processing)
        self.pages += len(batch)
        return len(batch)

    def crawlers_alive(self) -> bool:
        return any(True for _ in self.client.scan_iter(match=self.config.key("workers", "*")))

    def run(self, stop: threading.Event) -> None:
        """Store batches until idle (no items, no live crawler) or ``stop``."""
        self.recover()
        idle_since = time.monotonic()
        seen_crawler = False
        while not stop.is_set():
            try:
                stored = self.step()
                alive = self.crawlers_alive()
            except OUTAGE_ERRORS as exc:
                raise RedisUnavailable(f"Redis at {self.config.url} unreachable: {exc}; "
                                       "pages stay in Redis, run again to go on") from exc  # fmt: skip
            seen_crawler = seen_crawler or alive or self.pages > 0
            if stored or alive or not seen_crawler:
                idle_since = time.monotonic() if stored or alive else idle_since
                continue
            idle = time.monotonic() - idle_since
            if idle >= self.config.idle_seconds:
                logger.info("No pages for %.0f s and no crawler left: done", idle)
                return


def run_store_worker(config: RedisConfig, db: Path, extract: ExtractConfig,
                     stop: threading.Event) -> WorkerReport:  # fmt: skip
    """Run a store worker into ``db`` and record it as a crawl of its own."""
    client = connect(config.url)
    started = time.monotonic()
    with Store(db) as store:
        crawl_id = store.start_crawl("crawl", {"store_worker": config.url, "prefix": config.prefix})
        chain = Chain(store, extract)
        worker = StoreWorker(client, config, chain)
        status = "finished"
        try:
            worker.run(stop)
            if stop.is_set():
                status = "shutdown"
        except RedisUnavailable:
            status = "redis_unavailable"
            raise
        finally:
            stats = {f"newsarc/chain/{k}": v for k, v in chain.counts.items()}
            store.finish_crawl(crawl_id, status, {**stats, "newsarc/redis/pages": worker.pages})
    return WorkerReport(crawl_id, chain.counts, worker.pages, time.monotonic() - started)
