"""Crawler-trap detection: endless calendars, session ids, repeated path segments, page budgets.

A spider middleware that looks at every request the spider yields, before it is scheduled, and
drops those that look like a trap. Each reason is an ``IgnoreRequest`` subclass and a stat
``newsarc/trap/<reason>`` (plus ``newsarc/trap/dropped`` in total):

- ``site_budget``: the host already had ``NEWSARC_TRAP_MAX_PAGES_PER_SITE`` distinct URLs;
- ``pattern_budget``: the URL's pattern (dates and digits in query values and dates in the path
  folded, session ids removed) already had ``NEWSARC_TRAP_MAX_PATTERN_PAGES`` distinct URLs —
  an endless calendar or pager;
- ``session_id``: the same URL with only another session id was already requested;
- ``repeated_segments``: one path segment occurs more than ``NEWSARC_TRAP_MAX_SEGMENT_REPEATS`` times;
- ``url_too_long``: the URL is longer than ``NEWSARC_TRAP_MAX_URL_LENGTH``.

Only distinct URLs count (a link repeated on every page costs nothing); redirects are bounded by
Scrapy's ``REDIRECT_MAX_TIMES`` and link depth by the spider's ``depth`` and ``DEPTH_LIMIT``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

SESSION_PARAMS = re.compile(
    r"(?:phpsessid|jsessionid|aspsessionid\w*|sessionid|session_id|session|sessid|sid|cfid|cftoken)",
    re.IGNORECASE,
)
SESSION_PATH_PARAM = re.compile(r";(?:jsessionid|sessionid|sid)=[^/?#]*", re.IGNORECASE)
DATE_IN_PATH = re.compile(r"(?:19|20)\d\d(?P<sep>[-/_.]?)\d\d?(?P=sep)\d\d?")
DIGITS = re.compile(r"\d+")


class TrapDetected(IgnoreRequest):
    """A request that looks like a crawler trap; ``reason`` names the rule."""

    reason = "trap"

    def __init__(self, url: str, detail: str) -> None:
        self.url = url
        super().__init__(f"{self.reason}: {url[:300]} ({detail})")


class SiteBudgetExhausted(TrapDetected):
    reason = "site_budget"


class PatternBudgetExhausted(TrapDetected):
    reason = "pattern_budget"


class SessionIdDuplicate(TrapDetected):
    reason = "session_id"


class RepeatedSegments(TrapDetected):
    reason = "repeated_segments"


class UrlTooLong(TrapDetected):
    reason = "url_too_long"


def _non_negative(settings: BaseSettings, name: str) -> int:
    raw = settings.get(name)
    try:
        value = int(str(raw).replace("_", ""))
    except ValueError:
        value = -1
    if isinstance(raw, bool) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0 (0: no limit), not {raw!r}")
    return value


@dataclass(frozen=True)
class TrapConfig:
    """Settings of the trap detector; 0 switches a limit off.

    ``NEWSARC_TRAP_MAX_PAGES_PER_SITE``, ``NEWSARC_TRAP_MAX_PATTERN_PAGES``,
    ``NEWSARC_TRAP_MAX_SEGMENT_REPEATS``, ``NEWSARC_TRAP_MAX_URL_LENGTH``.
    """

    max_pages_per_site: int = 100_000
    max_pattern_pages: int = 200
    max_segment_repeats: int = 3
    max_url_length: int = 2048

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> TrapConfig:
        return cls(
            max_pages_per_site=_non_negative(settings, "NEWSARC_TRAP_MAX_PAGES_PER_SITE"),
            max_pattern_pages=_non_negative(settings, "NEWSARC_TRAP_MAX_PATTERN_PAGES"),
            max_segment_repeats=_non_negative(settings, "NEWSARC_TRAP_MAX_SEGMENT_REPEATS"),
            max_url_length=_non_negative(settings, "NEWSARC_TRAP_MAX_URL_LENGTH"),
        )


def without_session_ids(url: str) -> str:
    """``url`` with session-id query parameters and ``;jsessionid=`` path parameters removed."""
    parts = urlsplit(url)
    path = SESSION_PATH_PARAM.sub("", parts.path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not SESSION_PARAMS.fullmatch(k)]  # fmt: skip
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))


def has_session_id(url: str) -> bool:
    parts = urlsplit(url)
    if SESSION_PATH_PARAM.search(parts.path):
        return True
    return any(SESSION_PARAMS.fullmatch(k) for k, _ in parse_qsl(parts.query))


def url_pattern(url: str) -> str:
    """The URL's shape: host, path with dates folded to ``D``, query keys with digits folded.

    ``/calendar/2025-07-12`` and ``/calendar/2031-01-03`` share a pattern, as do ``?page=7`` and
    ``?page=8``; ``/news/2025/07/12/a-story`` and ``/news/2025/07/13/another`` do not (the slug).
    """
    parts = urlsplit(without_session_ids(url))
    path = DATE_IN_PATH.sub("D", parts.path)
    query = "&".join(
        sorted(
            f"{k}={DIGITS.sub('0', v)}" for k, v in parse_qsl(parts.query, keep_blank_values=True)
        )
    )
    return f"{(parts.hostname or '').lower()}{path}?{query}"


def repeated_segment(url: str) -> tuple[str, int]:
    """The most repeated non-empty path segment and its count."""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    if not segments:
        return "", 0
    return Counter(segments).most_common(1)[0]


class TrapDetector:
    """Decides on one URL at a time and remembers the distinct URLs it let through."""

    def __init__(self, config: TrapConfig) -> None:
        self.config = config
        self.per_site: Counter[str] = Counter()
        self.per_pattern: Counter[str] = Counter()
        self.seen: set[str] = set()
        self.seen_without_session: set[str] = set()

    def check(self, url: str) -> None:
        """Raise a TrapDetected subclass for a trap URL; otherwise count the URL (once)."""
        if url in self.seen:
            return  # a duplicate: Scrapy's dupefilter drops it, it costs no budget
        config = self.config
        host = (urlsplit(url).hostname or "").lower()
        if config.max_pages_per_site and self.per_site[host] >= config.max_pages_per_site:
            raise SiteBudgetExhausted(url, f"{host} had {config.max_pages_per_site} URLs")
        if config.max_url_length and len(url) > config.max_url_length:
            raise UrlTooLong(url, f"{len(url)} characters > {config.max_url_length}")
        segment, count = repeated_segment(url)
        if config.max_segment_repeats and count > config.max_segment_repeats:
            raise RepeatedSegments(url, f"segment {segment[:40]!r} {count} times")
        if has_session_id(url):
            bare = without_session_ids(url)
            if bare in self.seen_without_session:
                raise SessionIdDuplicate(url, f"already requested as {bare[:200]}")
            self.seen_without_session.add(bare)
        self._count(url, host)

    def _count(self, url: str, host: str) -> None:
        config = self.config
        pattern = url_pattern(url)
        if config.max_pattern_pages and self.per_pattern[pattern] >= config.max_pattern_pages:
            raise PatternBudgetExhausted(
                url, f"pattern {pattern[:200]} had {config.max_pattern_pages} URLs"
            )
        self.per_site[host] += 1
        self.per_pattern[pattern] += 1
        self.seen.add(url)


class TrapMiddleware:
    """Spider middleware dropping trap requests from the spider's output (see module docstring)."""

    def __init__(self, crawler: Crawler, config: TrapConfig) -> None:
        self.crawler = crawler
        self.detector = TrapDetector(config)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TrapMiddleware:
        return cls(crawler, TrapConfig.from_settings(crawler.settings))

    def process_spider_output(
        self, response: Response, result: Iterable[Any], spider: Spider | None = None
    ) -> Iterator[Any]:
        for item in result:
            if self._keep(item):
                yield item

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any], spider: Spider | None = None
    ) -> AsyncIterator[Any]:
        async for item in result:
            if self._keep(item):
                yield item

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for item in start:
            if self._keep(item):
                yield item

    def _keep(self, item: Any) -> bool:
        if not isinstance(item, Request):
            return True
        try:
            self.detector.check(item.url)
        except TrapDetected as trap:
            stats = self.crawler.stats
            if stats is not None:
                stats.inc_value("newsarc/trap/dropped")
                stats.inc_value(f"newsarc/trap/{trap.reason}")
            logger.info("Dropped %s", trap)
            return False
        return True
