"""The thin Scrapy item-pipeline adapter around ``pipelines.chain.Chain``.

Settings: ``NEWSARC_STORE_PATH`` (SQLite file), ``NEWSARC_CRAWL_ID`` (set by the command line;
generated when absent), ``NEWSARC_CRAWL_KIND``, ``NEWSARC_EXTRACT_MIN_WORDS``.
Stats: ``newsarc/chain/<outcome>`` per page.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from pipelines.chain import Chain
from pipelines.extract import ExtractConfig
from pipelines.items import Page
from pipelines.store import Store

logger = logging.getLogger(__name__)

STORED = frozenset({"new", "exact-duplicate", "near-duplicate", "updated"})


class ChainPipeline:
    """Feeds every Page to the chain; non-article pages are dropped with a named reason."""

    def __init__(self, crawler: Crawler, store: Store, config: ExtractConfig) -> None:
        self.crawler = crawler
        self.store = store
        self.chain = Chain(store, config)
        self.crawl_id = ""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ChainPipeline:
        settings = crawler.settings
        store = Store(settings.get("NEWSARC_STORE_PATH"))
        pipeline = cls(crawler, store, ExtractConfig.from_settings(settings))
        crawler.signals.connect(pipeline.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def spider_opened(self, spider: Spider) -> None:
        settings = self.crawler.settings
        args = {"spider_args": {k: str(v) for k, v in vars(spider).items() if k in ("url", "sites")}}
        self.crawl_id = settings.get("NEWSARC_CRAWL_ID") or self.store.start_crawl(
            settings.get("NEWSARC_CRAWL_KIND"), args
        )

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, Page):
            return item
        outcome = self.chain.process(item)
        self._inc(f"newsarc/chain/{outcome.outcome}")
        if outcome.error is not None:
            raise outcome.error
        return item

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        summary = {k: v for k, v in stats.items() if isinstance(v, (int, float, str))}
        status = "finished" if reason == "finished" else reason
        self.store.finish_crawl(self.crawl_id, status, json.loads(json.dumps(summary, default=str)))
        self.store.close()

    def _inc(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)
