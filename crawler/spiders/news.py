"""The generic news spider: robots.txt sitemaps, sitemap indexes, RSS/Atom feeds, listing pages.

It only yields requests and ``Page`` items; extraction, dedup and storage happen in the chain.
Arguments (``scrapy crawl news -a …`` or ``newsarc crawl``):

- ``url``: one start URL, or several separated by spaces or commas;
- ``sites``: path of a ``sites.toml``; ``site``: comma-separated names to keep from it;
- ``depth``: link hops followed from a page (sitemaps and feeds do not count), default 2;
- ``since``: ISO date; sitemap entries (``lastmod``, ``news:publication_date``) and feed items
  (``pubDate``, ``published``/``updated``) dated before it are not requested;
- ``backfill``: with ``since``, page back through feeds (WordPress ``?paged=N``, Blogger
  ``start-index``/``max-results``) until an entry older than ``since`` (``crawler.incremental.older_feed_page``).
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import lxml.etree
from scrapy import Request, Spider
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from w3lib.url import url_query_cleaner

from crawler.incremental import UNCONDITIONAL_META, older_feed_page, parse_since, too_old
from crawler.links import LinkFinder
from crawler.recording import META_KEY, RECORD_META_KEY
from crawler.sites import SiteSpec, load_sites, spec_from_url
from pipelines.items import Page
from pipelines.urls import TRACKING_PARAMS, TRACKING_PREFIXES

FEED_LINK_XPATH = (
    '//link[@rel="alternate"][contains(@type, "rss") or contains(@type, "atom")]/@href'
)
ATOM_NS = "{http://www.w3.org/2005/Atom}"
NEWS_DATE_XPATH = (
    "//*[local-name()='url'][*[local-name()='loc']]"
    "/*[local-name()='news']/*[local-name()='publication_date']"
)
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit for one (uncompressed) file
XML_PARSER = lxml.etree.XMLParser(
    resolve_entities=False, no_network=True, recover=True, huge_tree=False, load_dtd=False
)


def _split(value: str | None) -> list[str]:
    return [v for v in re.split(r"[\s,]+", value or "") if v]


def request_url(url: str) -> str:
    """The URL to request: tracking parameters and fragment dropped, nothing else changed.

    (Canonical URLs for dedup go further — trailing slashes, mobile hosts — but a request must
    keep the exact path the site uses.)
    """
    parts = urlsplit(url)
    drop = [
        k
        for k, _ in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() in TRACKING_PARAMS or k.lower().startswith(TRACKING_PREFIXES)
    ]
    return (
        url_query_cleaner(url, drop, remove=True, keep_fragments=False)
        if drop
        else url.split("#")[0]
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class NewsSpider(Spider):
    """One spider for every site; see the module docstring for its arguments."""

    name = "news"

    def __init__(
        self,
        url: str | None = None,
        sites: str | None = None,
        site: str | None = None,
        depth: str | int = 2,
        since: str | None = None,
        backfill: str | bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        specs = [spec_from_url(u) for u in _split(url)]
        if sites:
            specs += load_sites(Path(sites), _split(site))
        if not specs:
            raise ValueError("give a start URL (-a url=...) or a sites file (-a sites=...)")
        self.specs = specs
        self.max_depth = int(depth)
        self.since = parse_since(since)
        self.backfill = str(backfill).lower() in ("1", "true", "yes", "on")
        if self.backfill and self.since is None:
            raise ValueError("backfill needs since (-a since=YYYY-MM-DD)")
        self.links = {s.name: LinkFinder(s) for s in specs}

    async def start(self) -> AsyncIterator[Any]:
        for spec in self.specs:
            for request in self._start_requests(spec):
                yield request

    def _start_requests(self, spec: SiteSpec) -> Iterator[Request]:
        origins = sorted({_origin(u) for u in spec.start})
        for origin in origins:
            yield self._request(origin + "/robots.txt", "robots", spec, self.parse_robots)
        for url in spec.sitemaps:
            yield self._request(url, "sitemap", spec, self.parse_sitemap, top=True)
        for url in spec.feeds:
            yield self._request(url, "feed", spec, self.parse_feed)
        for url in spec.start:
            yield self._request(url, "page", spec, self.parse_page, depth=0)

    def _request(
        self, url: str, kind: str, spec: SiteSpec, callback: Any, depth: int = 0, top: bool = False
    ) -> Request:
        meta = {"newsarc_kind": kind, "newsarc_site": spec.name, "newsarc_depth": depth}
        if top or kind == "robots" or (kind == "page" and depth == 0 and url in spec.start):
            # entry points: a 304 here would hide the sitemaps and links below them
            meta[UNCONDITIONAL_META] = True
        if kind == "page":
            url = request_url(url)
        return Request(url, callback=callback, meta=meta)

    def _spec(self, response: Response) -> SiteSpec:
        name = response.meta.get("newsarc_site")
        return next((s for s in self.specs if s.name == name), self.specs[0])

    def _same_site(self, url: str, spec: SiteSpec) -> bool:
        return (urlsplit(url).hostname or "").lower() in spec.hosts

    # --- callbacks ------------------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[Any]:
        yield self.page(response, "robots")
        spec = self._spec(response)
        found = list(sitemap_urls_from_robots(response.body, base_url=response.url))
        if not found and not spec.sitemaps:
            found = [_origin(response.url) + "/sitemap.xml"]
        for url in found:
            yield self._request(url, "sitemap", spec, self.parse_sitemap, top=True)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        yield self.page(response, "sitemap")
        body = _sitemap_body(response.body)
        if body is None:
            self._count("newsarc/spider/bad_sitemap")
            return
        spec = self._spec(response)
        try:
            sitemap = Sitemap(body)
            entries = list(sitemap)
        except (lxml.etree.XMLSyntaxError, StopIteration):
            self._count("newsarc/spider/bad_sitemap")
            return
        if b"<!ENTITY" in body[:65536]:
            # Entities are never expanded (billion laughs, XXE); say so instead of going quiet.
            self._count("newsarc/spider/sitemap_entities_refused")
            self.logger.warning("sitemap %s declares XML entities; not expanded", response.url)
        if not entries:
            self._count("newsarc/spider/empty_sitemap")
        news_dates = _news_dates(body)
        for entry in entries:
            loc = urljoin(response.url, entry.get("loc", ""))
            if self._too_old(news_dates.get(entry.get("loc", "")) or entry.get("lastmod")):
                continue
            if sitemap.type == "sitemapindex":
                yield self._request(loc, "sitemap", spec, self.parse_sitemap)
            elif self._same_site(loc, spec):
                yield self._request(loc, "page", spec, self.parse_page, depth=0)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        yield self.page(response, "feed")
        spec = self._spec(response)
        entries = _feed_entries(response.body)
        reached_since = False
        for url, date in entries:
            url = urljoin(response.url, url)
            if self._too_old(date):
                reached_since = True
                continue
            if self._same_site(url, spec):
                yield self._request(url, "page", spec, self.parse_page, depth=0)
        if self.backfill and entries and not reached_since:
            older = older_feed_page(response.url, len(entries))
            if older is not None and self._same_site(older, spec):
                self._count("newsarc/backfill/feed_pages")
                yield self._request(older, "feed", spec, self.parse_feed)

    def parse_page(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            yield self.page(response, "page")
            return
        if _looks_like_feed(response):
            yield from self.parse_feed(response)
            return
        yield self.page(response, "page")
        spec = self._spec(response)
        for href in response.xpath(FEED_LINK_XPATH).getall():
            url = response.urljoin(href)
            if self._same_site(url, spec):
                yield self._request(url, "feed", spec, self.parse_feed)
        depth = int(response.meta.get("newsarc_depth", 0))
        if depth >= self.max_depth:
            return
        for url in self.links[spec.name].new_links(response):
            yield self._request(url, "page", spec, self.parse_page, depth=depth + 1)

    # --- items ----------------------------------------------------------------------------

    def page(self, response: Response, kind: str) -> Page:
        """The Page item of a response (body already decoded from Content-Encoding)."""
        location = response.meta.get(META_KEY)
        record_id, digest = response.meta.get(RECORD_META_KEY) or (None, None)
        headers = {
            k.decode("latin-1").lower(): ", ".join(v.decode("latin-1") for v in vs)
            for k, vs in response.headers.items()
        }
        return Page(
            url=(response.meta.get("redirect_urls") or [response.url])[0],
            final_url=response.url,
            status=response.status,
            headers=headers,
            body=response.body,
            fetched_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            warc_file=getattr(location, "warc_file", None),
            warc_offset=getattr(location, "offset", None),
            warc_length=getattr(location, "length", None),
            crawl_id=self.settings.get("NEWSARC_CRAWL_ID"),
            warc_record_id=record_id,
            warc_payload_digest=digest,
            kind=kind,
        )

    def _too_old(self, date: str | None) -> bool:
        """An entry dated before ``since`` (counted, ``newsarc/incremental/since_filtered``)."""
        if too_old(date, self.since):
            self._count("newsarc/incremental/since_filtered")
            return True
        return False

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)


def _sitemap_body(body: bytes) -> bytes | None:
    """The sitemap XML, gunzipped if needed and bounded in size (gzip bombs are cut)."""
    if body[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as fh:
                body = fh.read(MAX_SITEMAP_BYTES + 1)
        except (OSError, EOFError):
            return None
    if len(body) > MAX_SITEMAP_BYTES or b"<" not in body[:1024]:
        return None
    return body


def _looks_like_feed(response: TextResponse) -> bool:
    ctype = response.headers.get("Content-Type", b"").decode("latin-1").lower()
    return (
        "rss" in ctype
        or "atom" in ctype
        or ("xml" in ctype and b"<html" not in response.body[:2048].lower())
    )


def _parse_xml(body: bytes) -> Any:
    try:
        return lxml.etree.fromstring(body, parser=XML_PARSER)
    except lxml.etree.XMLSyntaxError:
        return None


def _news_dates(body: bytes) -> dict[str, str]:
    """``loc`` → ``news:publication_date`` of a Google News sitemap (empty for others)."""
    root = _parse_xml(body)
    if root is None or b"publication_date" not in body:
        return {}
    dates = {}
    for element in root.xpath(NEWS_DATE_XPATH):
        url = element.getparent().getparent()
        loc = url.xpath("*[local-name()='loc']/text()")
        if loc and element.text:
            dates[loc[0].strip()] = element.text.strip()
    return dates


def _feed_entries(body: bytes) -> list[tuple[str, str | None]]:
    """(link, date) of the items of an RSS 2.0 or Atom feed (Blogger, WordPress); never expands
    entities. The date is RSS ``pubDate`` (or ``dc:date``), Atom ``published`` or ``updated``."""
    root = _parse_xml(body)
    if root is None:
        return []
    entries: list[tuple[str, str | None]] = []
    for item in root.iter("item"):
        link = (item.findtext("link") or "").strip()
        date = item.findtext("pubDate") or item.findtext("{http://purl.org/dc/elements/1.1/}date")
        if link:
            entries.append((link, date))
    for entry in root.iter(f"{ATOM_NS}entry"):
        date = entry.findtext(f"{ATOM_NS}published") or entry.findtext(f"{ATOM_NS}updated")
        for link in entry.iter(f"{ATOM_NS}link"):
            if link.get("rel", "alternate") == "alternate" and link.get("href"):
                entries.append((link.get("href"), date))
                break
    return entries
