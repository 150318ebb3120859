"""The shared frontier of a distributed crawl (see crawler.distributed): who holds which request.

- ``LeasingScheduler``: a request a worker takes is leased to it (a hash per worker, beside a
  heartbeat key whose TTL a timer renews every third of ``NEWSARC_REDIS_LEASE_SECONDS``,
  whatever the engine is doing). A lease ends only once all the request led to is in Redis: the
  requests its callback yielded are queued (``LeaseSpiderMiddleware`` queues them itself, at
  once) and its Pages are in the items list; or the redirect or retry that replaces it is queued
  (``enqueue_request``); or its download failed for good (``LeasingDownloader``). Taking and
  leasing a request, and seen-set + queueing (+ ending the lease it replaces), are one Lua
  script each: a worker killed at any instant leaves each request queued, leased or finished,
  never only "seen". Leases of a worker whose heartbeat expired — killed, host gone — are put
  back in the queue by the others (one script, which checks the heartbeat again).
- ``IdleClose``: a worker closes when the shared queue and every live lease stayed empty for
  ``NEWSARC_REDIS_IDLE_SECONDS`` (the role of scrapy-redis's MAX_IDLE_TIME_BEFORE_CLOSE, which
  only its RedisSpider reads).

The scheduler subclasses scrapy-redis's (its queue and dupefilter, our scripts over their keys)
and counts stats without the ``spider`` argument Scrapy deprecated.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import redis
from scrapy import Request, Spider, signals
from scrapy.core.downloader import Downloader
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.scheduler import Scheduler
from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from crawler.distributed import (
    OUTAGE_ERRORS,
    RedisConfig,
    RedisUnavailable,
    retrying,
    worker_id,
)

logger = logging.getLogger(__name__)

LEASE_META = "newsarc_lease"  # id of the lease of a request this worker took (never queued)

# KEYS: seen-set, queue, this worker's leases. ARGV: fingerprint ("" = not filtered), score,
# request, lease that ends once it is queued ("" = none). 1 if queued, 0 if seen before.
PUSH_SCRIPT = """
local added = 1
if ARGV[1] ~= '' then added = redis.call('SADD', KEYS[1], ARGV[1]) end
if added == 1 then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3]) end
if ARGV[4] ~= '' then redis.call('HDEL', KEYS[3], ARGV[4]) end
return added
"""
# KEYS: queue, this worker's leases. ARGV: lease id. The first request (now leased) or nil.
TAKE_SCRIPT = """
local first = redis.call('ZRANGE', KEYS[1], 0, 0)
if #first == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], first[1])
return first[1]
"""
# KEYS: a worker's leases, queue, its heartbeat. Unless the heartbeat is alive, its leased
# requests go back in the queue (score -priority, as scrapy-redis's PriorityQueue); the count.
REQUEUE_SCRIPT = """
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local entries = redis.call('HGETALL', KEYS[1])
for i = 2, #entries, 2 do
  local ok, request = pcall(cjson.decode, entries[i])
  local priority = ok and type(request) == 'table' and tonumber(request['priority']) or 0
  redis.call('ZADD', KEYS[2], -priority, entries[i])
end
redis.call('DEL', KEYS[1])
return #entries / 2
"""


class LeasingScheduler(Scheduler):  # type: ignore[misc]
    """scrapy-redis's scheduler with per-worker leases of taken requests (see module doc)."""

    crawler: Crawler
    config: RedisConfig
    worker: str
    stopping: bool
    beats: LoopingCall | None
    scripts: dict[str, Any]  # redis-py Script objects, by name
    items_pending: dict[str, int]  # lease -> items of its callback not through the pipeline
    output_ended: set[str]  # leases whose callback has handed over all its output

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeasingScheduler:
        instance: LeasingScheduler = super().from_crawler(crawler)
        instance.crawler = crawler
        instance.config = RedisConfig.from_settings(crawler.settings)
        instance.worker = worker_id()
        instance.stopping = False
        instance.beats = None
        scripts = {"push": PUSH_SCRIPT, "take": TAKE_SCRIPT, "requeue": REQUEUE_SCRIPT}
        instance.scripts = {k: instance.server.register_script(v) for k, v in scripts.items()}
        instance.items_pending = {}
        instance.output_ended = set()
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(instance.item_done, signal=signal)
        return instance

    def leases(self, owner: str) -> str:
        return self.config.key("leases", owner)

    def heartbeat(self, owner: str) -> str:
        return self.config.key("workers", owner)

    def open(self, spider: Spider) -> None:
        retrying(
            self.config, "opening the queue", lambda: super(LeasingScheduler, self).open(spider)
        )
        self.beats = LoopingCall(self.tick)
        self.beats.start(self.config.lease_seconds / 3, now=True)

    def close(self, reason: str) -> None:
        if self.beats is not None and self.beats.running:
            self.beats.stop()
        # A clean stop gives back what it still holds (e.g. requests cancelled by a shutdown).
        try:
            self.server.delete(self.heartbeat(self.worker))
            count = self._requeue(self.worker)
        except OUTAGE_ERRORS:
            logger.error("Redis unreachable at close: leases of %s are re-queued by the "
                         "other workers once its heartbeat expires", self.worker)  # fmt: skip
        else:
            if count:
                logger.info("%d leased request(s) given back to the queue", count)
                self._inc("newsarc/redis/given_back", count)
        super().close(reason)

    def tick(self) -> None:
        """Renew the heartbeat, re-queue what silent workers held (a timer, not the engine)."""
        try:
            ttl_ms = max(1, round(self.config.lease_seconds * 1000))
            self.server.set(self.heartbeat(self.worker), "1", px=ttl_ms)
            self.reclaim()
        except redis.exceptions.RedisError:  # an outage, an error reply: the timer goes on
            logger.warning("Heartbeat or reclaim failed", exc_info=True)

    def enqueue_request(self, request: Request) -> bool:
        # a redirect or retry carries the lease of the request it replaces: ended once queued
        replaced = str(request.meta.pop(LEASE_META, ""))
        try:
            return retrying(self.config, "queueing", lambda: self._enqueue(request, replaced))
        except RedisUnavailable as exc:
            logger.error("%s; not queued: %s; stopping", exc, request.url)
            self._stop("redis_unavailable")
            return False

    def _enqueue(self, request: Request, replaced: str) -> bool:
        seen = "" if request.dont_filter else self.df.request_fingerprint(request)
        data = self.queue._encode_request(request)
        keys = [self.df.key, self.queue.key, self.leases(self.worker)]
        if not self.scripts["push"](keys=keys, args=[seen, -request.priority, data, replaced]):
            self.df.log(request, self.spider)
            return False
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
        lease = uuid.uuid4().hex
        keys = [self.queue.key, self.leases(self.worker)]
        data = self.scripts["take"](keys=keys, args=[lease])
        if data is None:
            return None
        self._inc("scheduler/dequeued/redis")
        try:
            request: Request = self.queue._decode_request(data)
        except ValueError as exc:  # not a request of this spider (e.g. pickled): dropped
            logger.error("Queue entry dropped, not a request of this spider: %s", exc)
            self._inc("newsarc/redis/bad_entry")
            self.release(lease)
            return None
        request.meta[LEASE_META] = lease
        return request

    def expect_item(self, lease: str) -> None:
        """The callback of a leased request yielded an item (a Page) still to be sent."""
        self.items_pending[lease] = self.items_pending.get(lease, 0) + 1

    def item_done(self, response: Response | None = None, **kwargs: Any) -> None:
        """An item went through the pipeline (a Page to Redis) or failed for good: the last one
        of an ended output ends its lease."""
        lease = lease_of(response)
        if lease is None:
            return
        left = self.items_pending.get(lease, 0) - 1
        if left > 0:
            self.items_pending[lease] = left
            return
        self.items_pending.pop(lease, None)
        if lease in self.output_ended:
            self.output_ended.discard(lease)
            self.release(lease)

    def output_done(self, lease: str) -> None:
        """The callback's output was all handed over (its requests are queued): the lease ends
        now, or when its last Page has been sent."""
        if self.items_pending.get(lease, 0) > 0:
            self.output_ended.add(lease)
        else:
            self.release(lease)

    def release(self, lease: str) -> None:
        try:
            self.server.hdel(self.leases(self.worker), lease)
        except OUTAGE_ERRORS:
            logger.warning("Redis unreachable: lease %s kept (re-queued at close)", lease)

    def reclaim(self) -> None:
        """Put back the leases of workers whose heartbeat expired."""
        for key in self.server.scan_iter(match=self.leases("*")):
            owner = key.decode().rsplit(":", 1)[-1]
            if owner == self.worker:
                continue
            count = self._requeue(owner)
            if count:
                logger.warning("Worker %s is gone: %d leased request(s) re-queued", owner, count)
                self._inc("newsarc/redis/requeued", count)

    def _requeue(self, owner: str) -> int:
        keys = [self.leases(owner), self.queue.key, self.heartbeat(owner)]
        return int(self.scripts["requeue"](keys=keys))

    def leased(self) -> int:
        """Requests taken by the other workers and not finished (a dead one's until reclaimed);
        this worker's own are not counted: when it is idle, nothing of its own is in flight."""
        mine = self.leases(self.worker).encode()
        keys = [k for k in self.server.scan_iter(match=self.leases("*")) if k != mine]
        return sum(int(self.server.hlen(key)) for key in keys)

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)

    def _stop(self, reason: str) -> None:
        engine = self.crawler.engine
        if engine is not None and not self.stopping:
            self.stopping = True
            deferred_from_coro(engine.close_spider_async(reason=reason))


def lease_of(response: Any) -> str | None:
    """The lease of the request behind ``response`` (a Response or a Failure), if it has one."""
    request = getattr(response, "request", None)
    if not isinstance(request, Request):
        return None
    lease = request.meta.get(LEASE_META)
    return lease if isinstance(lease, str) else None


def _leasing_scheduler(crawler: Crawler) -> LeasingScheduler | None:
    scheduler = crawler.engine.scheduler if crawler.engine else None
    return scheduler if isinstance(scheduler, LeasingScheduler) else None


class LeasingDownloader(Downloader):
    """Scrapy's downloader; a download that ends in an error (retries spent, refused by a
    middleware, a redirect chain cut) ends its lease: there is no Page to wait for. (Requests an
    errback yields are not covered: our spiders have none.)"""

    def fetch(self, request: Request, spider: Spider | None = None) -> Deferred[Any]:
        result: Deferred[Any] = super().fetch(request)
        result.addErrback(self._failed, request)
        return result

    def _failed(self, failure: Failure, request: Request) -> Failure:
        scheduler = _leasing_scheduler(self.crawler)
        lease = request.meta.get(LEASE_META)
        if scheduler is not None and isinstance(lease, str):
            scheduler.release(lease)
        return failure


class LeaseSpiderMiddleware:
    """Spider middleware (outermost): the requests a callback yields are queued at once (Scrapy
    would buffer them), and the lease ends once its output is over and its Pages are sent — so
    a worker killed at any point leaves the request to be re-queued, never its links lost."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeaseSpiderMiddleware:
        return cls(crawler)

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any], spider: Spider | None = None
    ) -> AsyncIterator[Any]:
        scheduler = _leasing_scheduler(self.crawler)
        lease = lease_of(response)
        if scheduler is None or lease is None or self.crawler.engine is None:
            async for element in result:
                yield element
            return
        try:
            async for element in result:
                if isinstance(element, Request):
                    self.crawler.engine.crawl(_without_lease(element))
                    continue
                if element is not None:  # an item: every one ends with an item_* signal
                    scheduler.expect_item(lease)
                yield element
        finally:
            scheduler.output_done(lease)

    def process_spider_exception(
        self, response: Response, exception: Exception, spider: Spider | None = None
    ) -> None:
        """No other middleware took the exception: the callback gives nothing more."""
        scheduler = _leasing_scheduler(self.crawler)
        lease = lease_of(response)
        if scheduler is not None and lease is not None:
            scheduler.output_done(lease)


def _without_lease(request: Request) -> Request:
    """A callback's request that copied its response's meta must not carry its lease."""
    if LEASE_META not in request.meta:
        return request
    return request.replace(meta={k: v for k, v in request.meta.items() if k != LEASE_META})


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
