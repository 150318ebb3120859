"""Incremental crawls: conditional requests from stored validators, 304s counted, --since filters."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from crawler.demo.server import DemoSites
from crawler.incremental import (
    NotModified,
    SkipStoredMiddleware,
    entry_date,
    older_feed_page,
    parse_since,
    too_old,
)
from crawler.spiders.news import NewsSpider, _feed_entries, _news_dates
from pipelines.items import Page
from pipelines.store import Store
from tests.conftest import FAST, run_newsarc
from tests.sites_generated import feed_date, serve_generated

QUICK = [*FAST, "-s", "NEWSARC_POOL_WORKERS=0"]  # extraction inline: no worker start-up


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-07-01", datetime(2025, 7, 1, tzinfo=UTC)),
        ("2025-07-01T10:00:00+02:00", datetime(2025, 7, 1, 8, tzinfo=UTC)),
        ("2025-07-01T10:00:00Z", datetime(2025, 7, 1, 10, tzinfo=UTC)),
        ("Tue, 01 Jul 2025 10:00:00 GMT", datetime(2025, 7, 1, 10, tzinfo=UTC)),
        ("Tue, 01 Jul 2025 10:00:00 +0100", datetime(2025, 7, 1, 9, tzinfo=UTC)),
        ("last week", None),
        ("", None),
    ],
)
def test_entry_dates(text: str, expected: datetime | None) -> None:
    assert entry_date(text) == expected


def test_too_old_keeps_undated_entries() -> None:
    since = parse_since("2025-10-01")
    assert too_old("2025-09-30T23:59:59Z", since)
    assert not too_old("2025-10-01", since)
    assert not too_old(None, since)
    assert not too_old("2020-01-01", None)


def test_bad_since_is_refused() -> None:
    with pytest.raises(ValueError, match="--since"):
        parse_since("yesterday")


def test_news_sitemap_and_feed_dates() -> None:
    sitemap = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
      xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
      <url><loc>http://a.example/1</loc><news:news><news:publication_date>2025-11-02</news:publication_date></news:news></url>
      <url><loc>http://a.example/2</loc><lastmod>2025-01-01</lastmod></url></urlset>"""
    assert _news_dates(sitemap) == {"http://a.example/1": "2025-11-02"}
    rss = b"""<rss><channel><item><link>http://a.example/r</link>
      <pubDate>Tue, 01 Jul 2025 10:00:00 GMT</pubDate></item></channel></rss>"""
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><updated>2025-07-02T00:00:00Z</updated>
      <link rel="alternate" href="http://a.example/a"/></entry></feed>"""
    assert _feed_entries(rss) == [("http://a.example/r", "Tue, 01 Jul 2025 10:00:00 GMT")]
    assert _feed_entries(atom) == [("http://a.example/a", "2025-07-02T00:00:00Z")]


def _middleware(tmp_path: Path, refresh: bool = False) -> SkipStoredMiddleware:
    db = tmp_path / "news.db"
    with Store(db) as store:
        headers = {"etag": '"abc"', "last-modified": "Tue, 01 Jul 2025 10:00:00 GMT"}
        for url in ("http://a.example/feed", "http://a.example/"):
            page = Page(url=url, final_url=url, status=200, headers=headers, body=b"",
                        fetched_at="2025-07-01T10:00:00Z", kind="feed")  # fmt: skip
            store.record_page(page, "followed")
        store.commit()
    crawler = get_crawler(NewsSpider, {"NEWSARC_STORE_PATH": str(db),
                                       "NEWSARC_CRAWL_REFRESH": refresh})  # fmt: skip
    crawler.stats.open_spider()
    return SkipStoredMiddleware.from_crawler(crawler)


@pytest.mark.parametrize(
    ("url", "meta", "refresh", "conditional"),
    [
        ("http://a.example/feed", {"newsarc_kind": "feed"}, False, True),
        ("http://a.example/", {"newsarc_kind": "page"}, False, True),
        ("http://a.example/", {"newsarc_kind": "page"}, True, False),
        ("http://a.example/feed", {"newsarc_kind": "sitemap", "newsarc_unconditional": True},
         False, False),
        ("http://a.example/feed", {}, False, False),  # RobotsTxtMiddleware's own requests
        ("http://a.example/other", {"newsarc_kind": "feed"}, False, False),
    ],
)  # fmt: skip
def test_validators_are_sent(tmp_path: Path, url: str, meta: dict, refresh: bool,
                             conditional: bool) -> None:  # fmt: skip
    middleware = _middleware(tmp_path, refresh)
    request = Request(url, meta=meta)
    middleware.process_request(request)
    assert (request.headers.get("If-None-Match") == b'"abc"') is conditional
    assert (b"If-Modified-Since" in request.headers) is conditional


def test_304_is_counted_and_dropped(tmp_path: Path) -> None:
    middleware = _middleware(tmp_path)
    request = Request("http://a.example/feed", meta={"newsarc_kind": "feed"})
    middleware.process_request(request)
    with pytest.raises(NotModified):
        middleware.process_response(request, Response(request.url, status=304, request=request))
    assert middleware.crawler.stats.get_value("newsarc/incremental/not_modified") == 1


def _stats(db: Path) -> list[dict]:
    with Store(db) as store:
        rows = store.db.execute("SELECT stats FROM crawls ORDER BY started_at, rowid").fetchall()
    return [json.loads(r[0]) for r in rows]


def test_recrawl_asks_conditionally_and_counts_304s(demo_sites: DemoSites, tmp_path: Path) -> None:
    db, warcs = tmp_path / "news.db", tmp_path / "warcs"
    args = ["crawl", demo_sites.portal_url, demo_sites.mirror_url, "--allow-private",
            "--db", str(db), "--warc-dir", str(warcs), *QUICK]  # fmt: skip
    for _ in range(2):
        process = run_newsarc(*args)
        assert process.returncode == 0, process.stderr[-2000:]
    first, second = _stats(db)
    assert first.get("newsarc/incremental/not_modified", 0) == 0
    assert second["newsarc/incremental/conditional"] >= 3
    # the feeds, the news sitemap and the listings did not change: 304, no body downloaded
    assert second["newsarc/incremental/not_modified"] >= 3
    assert second["downloader/response_count"] < first["downloader/response_count"]


def test_since_filters_sitemap_and_feed_entries(demo_sites: DemoSites, tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    since = "2025-10-01"
    process = run_newsarc(
        "crawl", demo_sites.portal_url, "--allow-private", "--depth", "0", "--since", since,
        "--db", str(db), "--warc-dir", str(tmp_path / "warcs"), *QUICK,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr[-2000:]
    sitemap = urllib.request.urlopen(demo_sites.portal_url + "sitemap-news.xml").read().decode()
    dated = re.findall(r"<loc>(.*?)</loc>.*?<news:publication_date>(.*?)<", sitemap)
    old = {url for url, date in dated if date < since}
    assert old and len(old) < len(dated)
    with Store(db) as store:
        fetched = {row[0] for row in store.db.execute("SELECT url FROM pages")}
    assert not old & fetched
    assert {url for url, date in dated if date >= since} <= fetched
    assert _stats(db)[0]["newsarc/incremental/since_filtered"] >= len(old)


@pytest.mark.parametrize(
    ("url", "entries", "older"),
    [
        ("http://a.example/feed/", 10, "http://a.example/feed/?paged=2"),
        ("http://a.example/feed/?paged=3", 10, "http://a.example/feed/?paged=4"),
        ("http://a.example/?feed=rss2", 10, "http://a.example/?feed=rss2&paged=2"),
        ("http://b.example/feeds/posts/default", 25,
         "http://b.example/feeds/posts/default?start-index=26&max-results=25"),
        ("http://b.example/feeds/posts/default?start-index=26&max-results=25", 25,
         "http://b.example/feeds/posts/default?start-index=51&max-results=25"),
        ("http://a.example/rss.xml", 10, None),
    ],
)  # fmt: skip
def test_older_feed_page(url: str, entries: int, older: str | None) -> None:
    assert older_feed_page(url, entries) == older


@pytest.mark.parametrize(("backfill", "expected"), [(False, 10), (True, 31)])
def test_backfill_pages_back_through_the_feed_until_since(
    tmp_path: Path, backfill: bool, expected: int
) -> None:
    since = "2025-12-01"
    with serve_generated(articles=60) as site:
        process = run_newsarc(
            "crawl", site.url + "feed/", "--allow-private", "--depth", "0", "--since", since,
            *(["--backfill"] if backfill else []),
            "--db", str(tmp_path / "news.db"), "--warc-dir", str(tmp_path / "warcs"), *QUICK,
        )  # fmt: skip
    assert process.returncode == 0, process.stderr[-2000:]
    with Store(tmp_path / "news.db") as store:
        stored = {row[0] for row in store.db.execute("SELECT url FROM articles")}
    wanted = {u for n, u in enumerate(sorted(site.article_urls(), key=_number))
              if feed_date(n).date().isoformat() >= since}  # fmt: skip
    assert len(stored) == expected
    assert stored <= wanted
    assert len(wanted) == 31


def _number(url: str) -> int:
    return int(url.rsplit("story-", 1)[1].removesuffix(".html"))


def test_backfill_needs_since(tmp_path: Path) -> None:
    process = run_newsarc("crawl", "http://127.0.0.1:9/feed/", "--allow-private", "--backfill",
                          "--db", str(tmp_path / "n.db"))  # fmt: skip
    assert process.returncode == 1
    assert "--backfill needs --since" in process.stderr
