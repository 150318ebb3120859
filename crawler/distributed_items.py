"""Pages of a distributed crawl go through Redis: the crawler side (an item pipeline) and the
JSON form of a Page that ``newsarc store-worker`` reads back (see crawler.distributed)."""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

import redis
from scrapy import Spider, signals
from scrapy.crawler import Crawler

from crawler.distributed import RedisConfig, RedisUnavailable, retrying
from pipelines.items import Page
from pipelines.store import Store

logger = logging.getLogger(__name__)


def page_to_json(page: Page) -> str:
    values = asdict(page)
    values["body"] = base64.b64encode(page.body).decode("ascii")
    return json.dumps(values, separators=(",", ":"))


def page_from_json(data: str | bytes) -> Page:
    values = json.loads(data)
    values["body"] = base64.b64decode(values["body"])
    return Page(**values)


class RedisItemPipeline:
    """Pushes every Page to ``PREFIX:items`` for ``newsarc store-worker``; records this
    worker's own run (stats) in its local ``NEWSARC_STORE_PATH``."""

    def __init__(self, crawler: Crawler, config: RedisConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.client = redis.Redis.from_url(config.url, socket_connect_timeout=5, socket_timeout=10)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisItemPipeline:
        pipeline = cls(crawler, RedisConfig.from_settings(crawler.settings))
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if not isinstance(item, Page):
            return item
        data = page_to_json(item)
        try:
            retrying(
                self.config,
                "sending a page",
                lambda: self.client.rpush(self.config.key("items"), data),
            )
        except RedisUnavailable as exc:
            logger.error("%s; page not sent to the store (it is in the WARC file %s): %s",
                         exc, item.warc_file, item.url)  # fmt: skip
            raise
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("newsarc/redis/items_sent")
        return item

    def spider_closed(self, spider: Spider, reason: str) -> None:
        settings = self.crawler.settings
        crawl_id = settings.get("NEWSARC_CRAWL_ID")
        if not crawl_id:
            return
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        summary = {k: v for k, v in stats.items() if isinstance(v, (int, float, str))}
        with Store(Path(settings.get("NEWSARC_STORE_PATH"))) as store:
            store.finish_crawl(crawl_id, "finished" if reason == "finished" else reason, summary)
