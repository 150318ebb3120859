"""Crawling from many processes or hosts over one Redis (``newsarc crawl --redis URL``).

scrapy-redis holds the shared frontier (a priority queue) and the seen-set (its RFPDupeFilter);
requests are queued as JSON (:mod:`crawler.redis_serializer`), never pickled. On top of it:

- ``LeasingScheduler``: a request a worker pops is leased to it (a hash per worker, beside a
  heartbeat key with a TTL); the lease ends when its callback's requests are queued and its Page
  has gone to Redis (``LeaseSpiderMiddleware``), or when it leaves the downloader with an error
  or a non-2xx status (``LeaseMiddleware``). Leases of a worker whose heartbeat expired — killed, host gone — are
  put back in the queue by the others, so its in-flight requests are not lost.
- ``IdleClose``: a worker closes when the shared queue and every live lease stayed empty for
  ``NEWSARC_REDIS_IDLE_SECONDS`` (the role of scrapy-redis's MAX_IDLE_TIME_BEFORE_CLOSE, which
  only its RedisSpider reads).
- ``crawler.distributed_items.RedisItemPipeline``: Pages go to a Redis list that
  ``newsarc store-worker``, the one writer, drains into the store.
- A Redis outage pauses the worker (blocking retries for ``NEWSARC_REDIS_OUTAGE_SECONDS``), then
  stops it with an error naming what was not queued.

Compatibility with Scrapy 2.19 (scrapy-redis 0.9.1): we use its scheduler, queue and dupefilter
but not RedisSpider, whose ``start_requests`` Scrapy >= 2.16 no longer calls; our subclass also
counts stats without the ``spider`` argument Scrapy deprecated.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.settings import BaseSettings, Settings
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.scheduler import Scheduler

from pipelines.items import Page

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
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares["crawler.distributed.LeaseMiddleware"] = 990  # outermost: sees every outcome
    spider_middlewares = dict(settings.getdict("SPIDER_MIDDLEWARES"))
    spider_middlewares["crawler.distributed.LeaseSpiderMiddleware"] = 1  # outermost
    pipelines = dict(settings.getdict("ITEM_PIPELINES"))
    pipelines["pipelines.scrapy_adapter.ChainPipeline"] = None  # the store worker stores
    pipelines["crawler.distributed_items.RedisItemPipeline"] = 300
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions["crawler.distributed.IdleClose"] = 500
    values = {
        "NEWSARC_REDIS_URL": url,
        "REDIS_URL": url,
        "REDIS_PARAMS": {"socket_connect_timeout": 5, "socket_timeout": 10},
        "SCHEDULER": "crawler.distributed.LeasingScheduler",
        "SCHEDULER_PERSIST": True,  # scrapy-redis's default flushes queue and seen-set at close
        "SCHEDULER_SERIALIZER": "crawler.redis_serializer",
        "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "DOWNLOADER_MIDDLEWARES": middlewares,
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


class LeasingScheduler(Scheduler):  # type: ignore[misc]
    """scrapy-redis's scheduler with per-worker leases of popped requests (see module doc)."""

    crawler: Crawler
    config: RedisConfig
    worker: str
    next_beat: float
    stopping: bool
    items_pending: dict[str, int]
    output_ended: set[str]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeasingScheduler:
        instance: LeasingScheduler = super().from_crawler(crawler)
        instance.crawler = crawler
        instance.config = RedisConfig.from_settings(crawler.settings)
        instance.worker = worker_id()
        instance.next_beat = 0.0
        instance.stopping = False
        instance.items_pending = {}
        instance.output_ended = set()
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(instance.item_done, signal=signal)
        return instance

    def expect_item(self, request: Request) -> None:
        """The callback of ``request`` yielded an item still to be sent."""
        key = self.fingerprint(request)
        self.items_pending[key] = self.items_pending.get(key, 0) + 1

    def item_done(self, response: Response | None = None, **kwargs: Any) -> None:
        """An item of a response went to Redis (or failed for good)."""
        request = getattr(response, "request", None)
        if request is None:
            return
        key = self.fingerprint(request)
        left = self.items_pending.get(key, 0) - 1
        if left > 0:
            self.items_pending[key] = left
            return
        self.items_pending.pop(key, None)
        if key in self.output_ended:
            self.output_ended.discard(key)
            self.release(request)

    def output_done(self, request: Request) -> None:
        """The callback's output was all handed over (its requests are queued): the lease ends
        now, or when its last item has been sent."""
        key = self.fingerprint(request)
        if self.items_pending.get(key, 0) > 0:
            self.output_ended.add(key)
        else:
            self.release(request)

    @property
    def lease_key(self) -> str:
        return self.config.key("leases", self.worker)

    def open(self, spider: Spider) -> None:
        retrying(
            self.config, "opening the queue", lambda: super(LeasingScheduler, self).open(spider)
        )
        self._beat()

    def close(self, reason: str) -> None:
        # A clean stop gives back what it still holds (e.g. requests cancelled by a shutdown).
        try:
            self._requeue(self.lease_key)
            self.server.delete(self.config.key("workers", self.worker))
        except OUTAGE_ERRORS:
            logger.error("Redis unreachable at close: leases of %s are re-queued by the "
                         "other workers once its heartbeat expires", self.worker)  # fmt: skip
        super().close(reason)

    def enqueue_request(self, request: Request) -> bool:
        try:
            return retrying(self.config, "queueing", lambda: self._enqueue(request))
        except RedisUnavailable as exc:
            logger.error("%s; not queued: %s; stopping", exc, request.url)
            self._stop("redis_unavailable")
            return False

    def _enqueue(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.queue.push(request)
        self._inc("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        try:
            return retrying(self.config, "taking a request", self._next)
        except RedisUnavailable as exc:
            logger.error("%s; stopping (the queue stays in Redis: run again to resume)", exc)
            self._stop("redis_unavailable")
            return None

    def _next(self) -> Request | None:
        if time.monotonic() >= self.next_beat:
            self._beat()
            self.reclaim()
        request: Request | None = self.queue.pop(0)
        if request is not None:
            self.server.hset(
                self.lease_key, self.fingerprint(request), self.queue._encode_request(request)
            )
            self._inc("scheduler/dequeued/redis")
        return request

    def release(self, request: Request) -> None:
        """The request left the downloader (response or failure): its lease ends."""
        try:
            self.server.hdel(self.lease_key, self.fingerprint(request))
        except OUTAGE_ERRORS:
            logger.warning("Redis unreachable: lease of %s kept", request.url)

    def fingerprint(self, request: Request) -> str:
        return self.crawler.request_fingerprinter.fingerprint(request).hex()

    def _beat(self) -> None:
        ttl = max(1, round(self.config.lease_seconds))
        self.server.set(self.config.key("workers", self.worker), "1", ex=ttl)
        self.next_beat = time.monotonic() + ttl / 3

    def reclaim(self) -> None:
        """Put back the leases of workers whose heartbeat expired."""
        for key in self.server.scan_iter(match=self.config.key("leases", "*")):
            owner = key.decode().rsplit(":", 1)[-1]
            if owner == self.worker or self.server.exists(self.config.key("workers", owner)):
                continue
            taken = self.config.key("reclaiming", self.worker)
            try:
                self.server.rename(key, taken)  # atomic: one live worker wins
            except redis.exceptions.ResponseError:
                continue
            count = self._requeue(taken)
            logger.warning("Worker %s is gone: %d leased request(s) re-queued", owner, count)
            self._inc("newsarc/redis/requeued", count)

    def _requeue(self, key: str) -> int:
        entries = self.server.hgetall(key)
        for data in entries.values():
            self.queue.push(self.queue._decode_request(data))
        self.server.delete(key)
        return len(entries)

    def leased(self) -> int:
        """Requests taken by the other workers and not finished (a dead one's until reclaimed);
        this worker's own are not counted: when it is idle, nothing of its own is in flight."""
        keys = [*self.server.scan_iter(match=self.config.key("leases", "*")),
                *self.server.scan_iter(match=self.config.key("reclaiming", "*"))]  # fmt: skip
        mine = {self.lease_key.encode(), self.config.key("reclaiming", self.worker).encode()}
        return sum(int(self.server.hlen(key)) for key in keys if key not in mine)

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)

    def _stop(self, reason: str) -> None:
        engine = self.crawler.engine
        if engine is not None and not self.stopping:
            self.stopping = True
            deferred_from_coro(engine.close_spider_async(reason=reason))


class LeaseMiddleware:
    """Downloader middleware (outermost): ends the lease of a request that will give no Page
    (an exception, a redirect, an error status); 2xx responses end theirs once their Page is sent."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeaseMiddleware:
        return cls(crawler)

    def _release(self, request: Request) -> None:
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        if isinstance(scheduler, LeasingScheduler):
            scheduler.release(request)

    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Response:  # fmt: skip
        if not 200 <= response.status < 300:
            self._release(request)
        return response

    def process_exception(self, request: Request, exception: BaseException,
                          spider: Spider | None = None) -> None:  # fmt: skip
        self._release(request)


class LeaseSpiderMiddleware:
    """Spider middleware (outermost): a 2xx response's lease ends once everything its callback
    produced is handed over — follow-up requests queued in Redis, Pages sent — so a worker killed
    in between leaves the request to be re-queued, not its links lost."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeaseSpiderMiddleware:
        return cls(crawler)

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any], spider: Spider | None = None
    ) -> AsyncIterator[Any]:
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        request = response.request
        leasing = isinstance(scheduler, LeasingScheduler) and request is not None
        try:
            async for element in result:
                if leasing and isinstance(element, Page):
                    scheduler.expect_item(request)  # type: ignore[union-attr, arg-type]
                yield element
        finally:
            if leasing:
                scheduler.output_done(request)  # type: ignore[union-attr, arg-type]


class IdleClose:
    """Extension: keep an idle worker open until the shared frontier stayed empty long enough."""

    def __init__(self, crawler: Crawler, config: RedisConfig) -> None:
        self.crawler = crawler
        self.config = config
        self.empty_since: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IdleClose:
        extension = cls(crawler, RedisConfig.from_settings(crawler.settings))
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        return extension

    def spider_idle(self, spider: Spider) -> None:
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        if not isinstance(scheduler, LeasingScheduler):
            return
        try:
            scheduler.reclaim()
            busy = len(scheduler.queue) > 0 or scheduler.leased() > 0
        except OUTAGE_ERRORS:
            busy = True  # an outage: the scheduler itself stops after its allowance
        now = time.monotonic()
        if busy:
            self.empty_since = None
            raise DontCloseSpider
        if self.empty_since is None:
            self.empty_since = now
        if now - self.empty_since < self.config.idle_seconds:
            raise DontCloseSpider
        logger.info("Shared queue empty for %.0f s: closing", now - self.empty_since)
