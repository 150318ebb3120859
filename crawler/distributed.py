"""Crawling from many processes or hosts over one Redis (``newsarc crawl --redis URL``): its
settings, the connection, and the switch that turns a crawl into a worker of the shared crawl.

scrapy-redis holds the shared frontier (a priority queue) and the seen-set (its RFPDupeFilter);
requests are queued as JSON (:mod:`crawler.redis_serializer`), never pickled. On top of it:

- :mod:`crawler.distributed_frontier`: leases of taken requests, so that a worker killed at any
  instant leaves nothing only "seen", and the close of an idle worker;
- ``crawler.distributed_items.RedisItemPipeline``: Pages go to a Redis list that
  ``newsarc store-worker`` (:mod:`crawler.distributed_worker`), the one writer, drains into
  the store;
- a Redis outage pauses the worker (blocking retries for ``NEWSARC_REDIS_OUTAGE_SECONDS``), then
  stops it with an error naming what was not queued.

Compatibility with Scrapy 2.19 (scrapy-redis 0.9.1): we use its scheduler, queue and dupefilter
but not RedisSpider, whose ``start_requests`` Scrapy >= 2.16 no longer calls.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import redis
from scrapy.settings import BaseSettings, Settings

logger = logging.getLogger(__name__)

T = TypeVar("T")
OUTAGE_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class RedisUnavailable(ValueError):
    """Redis cannot be reached (at start, or for longer than the outage allowance)."""


@dataclass(frozen=True)
class RedisConfig:
    """``NEWSARC_REDIS_URL``, ``NEWSARC_REDIS_PREFIX`` (key prefix: one crawl per prefix),
    ``NEWSARC_REDIS_IDLE_SECONDS``, ``NEWSARC_REDIS_LEASE_SECONDS`` (heartbeat TTL after which a
    silent worker's leased requests are re-queued), ``NEWSARC_REDIS_OUTAGE_SECONDS``."""

    url: str
    prefix: str = "newsarc"
    idle_seconds: float = 10.0
    lease_seconds: float = 30.0
    outage_seconds: float = 30.0

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RedisConfig:
        url = settings.get("NEWSARC_REDIS_URL") or ""
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"NEWSARC_REDIS_URL must be a redis:// URL, got {url!r}")
        values = {name: settings.getfloat(f"NEWSARC_REDIS_{name.upper()}")
                  for name in ("idle_seconds", "lease_seconds", "outage_seconds")}  # fmt: skip
        for name, value in values.items():
            if value <= 0:
                raise ValueError(f"NEWSARC_REDIS_{name.upper()} must be positive, got {value!r}")
        prefix = settings.get("NEWSARC_REDIS_PREFIX") or ""
        if not prefix or any(c in prefix for c in " %*"):
            raise ValueError(f"NEWSARC_REDIS_PREFIX must be a plain word, got {prefix!r}")
        return cls(url, prefix, **values)

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))


def connect(url: str) -> redis.Redis:
    """A client for ``url`` that has answered PING (RedisUnavailable with a clear message if not)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10)
    try:
        client.ping()
    except (*OUTAGE_ERRORS, OSError) as exc:
        raise RedisUnavailable(
            f"cannot reach Redis at {url}: {exc} (is redis-server running there?)"
        ) from exc
    return client


def use_redis(settings: Settings, url: str) -> None:
    """Turn a crawl into a worker of the shared crawl at ``url`` (pinged first)."""
    connect(url)
    prefix = settings.get("NEWSARC_REDIS_PREFIX")
    spider_middlewares = dict(settings.getdict("SPIDER_MIDDLEWARES"))
    spider_middlewares["crawler.distributed_frontier.LeaseSpiderMiddleware"] = 1  # outermost
    pipelines = dict(settings.getdict("ITEM_PIPELINES"))
    pipelines["pipelines.scrapy_adapter.ChainPipeline"] = None  # the store worker stores
    pipelines["crawler.distributed_items.RedisItemPipeline"] = 300
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions["crawler.distributed_frontier.IdleClose"] = 500
    values = {
        "NEWSARC_REDIS_URL": url,
        "REDIS_URL": url,
        "REDIS_PARAMS": {"socket_connect_timeout": 5, "socket_timeout": 10},
        "SCHEDULER": "crawler.distributed_frontier.LeasingScheduler",
        "SCHEDULER_PERSIST": True,  # scrapy-redis's default flushes queue and seen-set at close
        "SCHEDULER_SERIALIZER": "crawler.redis_serializer",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",  # a sorted set: our scripts
        "DOWNLOADER": "crawler.distributed_frontier.LeasingDownloader",
        "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SPIDER_MIDDLEWARES": spider_middlewares,
        "ITEM_PIPELINES": pipelines,
        "EXTENSIONS": extensions,
    }
    settings.setdict(values, priority="cmdline")


def worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def retrying(config: RedisConfig, what: str, call: Callable[[], T]) -> T:
    """Run ``call``, retrying through a Redis outage for ``outage_seconds`` (the crawl pauses)."""
    deadline = time.monotonic() + config.outage_seconds
    while True:
        try:
            return call()
        except OUTAGE_ERRORS as exc:
            if time.monotonic() >= deadline:
                raise RedisUnavailable(
                    f"Redis at {config.url} unreachable for {config.outage_seconds:.0f} s "
                    f"({what}): {exc}"
                ) from exc
            logger.warning("Redis unreachable (%s), retrying: %s", what, exc)
            time.sleep(1.0)
