"""A generated news site on 127.0.0.1 for crawls across several workers: N articles, listings.

``/`` links to the listing pages, each listing links to ``PER_LISTING`` articles; ``/feed/``
is a WordPress-style RSS feed paged with ``?paged=N``, newest first (``feed_date``). Every article
has its own words (seeded by its number), a date and NewsArticle markup, so each one is stored as
a new article. ``delay`` slows every answer down (to kill a worker mid-crawl); ``gate`` holds
every answer until it is set (to let several crawlers start before any of them gets work).
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

PER_LISTING = 20
WORDS = [
    "harbour",
    "council",
    "budget",
    "river",
    "school",
    "festival",
    "railway",
    "market",
    "storm",
    "minister",
    "league",
    "museum",
    "bridge",
    "election",
    "hospital",
    "farmers",
    "library",
    "drought",
    "vaccine",
    "orchestra",
    "airport",
    "village",
    "court",
    "strike",
    "museum",
    "ferry",
    "mountain",
    "tourism",
    "energy",
    "housing",
    "coast",
    "science",
]


def article_path(number: int) -> str:
    return f"/news/2025/{1 + number % 12:02d}/story-{number}.html"


def article_html(number: int) -> bytes:
    rng = random.Random(number)
    title = f"Story {number}: " + " ".join(rng.choice(WORDS) for _ in range(5))
    paragraphs = "".join(
        "<p>" + " ".join(rng.choice(WORDS) for _ in range(40)) + f" ({number}-{i}).</p>"
        for i in range(4)
    )
    date = f"2025-{1 + number % 12:02d}-{1 + number % 28:02d}T08:00:00+00:00"
    return (
        f'<!doctype html><html lang="en"><head><title>{title}</title>'
        f'<meta property="og:type" content="article">'
        f'<meta property="article:published_time" content="{date}">'
        f'<script type="application/ld+json">{{"@context":"https://schema.org","@type":'
        f'"NewsArticle","headline":"{title}","datePublished":"{date}"}}</script></head>'
        f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()


def listing_html(page: int, articles: int) -> bytes:
    start = page * PER_LISTING
    links = "".join(
        f'<li><a href="{article_path(n)}">Story {n}</a></li>'
        for n in range(start, min(start + PER_LISTING, articles))
    )
    return f"<html><head><title>Listing {page}</title></head><body><ul>{links}</ul></body></html>".encode()


def home_html(articles: int) -> bytes:
    pages = (articles + PER_LISTING - 1) // PER_LISTING
    links = "".join(f'<li><a href="/list/{p}.html">Page {p}</a></li>' for p in range(pages))
    return f"<html><head><title>Generated news</title></head><body><ul>{links}</ul></body></html>".encode()


FEED_PAGE = 10


def feed_date(number: int) -> datetime:
    """Feed date of an article: story 0 is the newest (2025-12-31), one day older per number."""
    return datetime(2025, 12, 31, 8, tzinfo=UTC) - timedelta(days=number)


def feed_xml(page: int, articles: int, base: str) -> bytes | None:
    """A WordPress-style RSS page (``/feed/?paged=N``, newest first); None past the last page."""
    numbers = range((page - 1) * FEED_PAGE, min(page * FEED_PAGE, articles))
    if page < 1 or not numbers:
        return None
    items = "".join(
        f"<item><title>Story {n}</title><link>{base}{article_path(n)}</link>"
        f"<pubDate>{format_datetime(feed_date(n), usegmt=True)}</pubDate></item>"
        for n in numbers
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Generated</title>{items}</channel></rss>'.encode()


class GeneratedServer(ThreadingHTTPServer):
    daemon_threads = True
    articles = 0
    delay = 0.0
    gate: threading.Event | None = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A crawler killed mid-request resets its connections: not an error of the site."""


class GeneratedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        server: Any = self.server
        if server.gate is not None:
            server.gate.wait(timeout=120)  # held until every crawler is up (a fair start)
        if server.delay:
            time.sleep(server.delay)  # a slow site, not a readiness wait
        status, body, ctype = self._route(server.articles)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self, articles: int) -> tuple[int, bytes, str]:
        html = "text/html; charset=utf-8"
        path, _, query = self.path.partition("?")
        if path == "/feed/":
            paged = dict(parse_qsl(query)).get("paged", "1")
            host = f"http://{self.headers.get('Host')}"
            feed = feed_xml(int(paged) if paged.isdigit() else 0, articles, host)
            return (
                (200, feed, "application/rss+xml") if feed else (404, b"no such page", "text/plain")
            )
        if path == "/":
            return 200, home_html(articles), html
        if path == "/robots.txt":
            return 200, b"User-agent: *\nAllow: /\n", "text/plain"
        if path.startswith("/list/"):
            page = int(path.removeprefix("/list/").removesuffix(".html") or 0)
            return 200, listing_html(page, articles), html
        if path.startswith("/news/") and "story-" in path:
            number = int(path.rsplit("story-", 1)[1].removesuffix(".html"))
            if number < articles and path == article_path(number):
                return 200, article_html(number), html
        return 404, b"not found", "text/plain"

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class GeneratedSite:
    url: str
    articles: int
    server: GeneratedServer

    def article_urls(self) -> set[str]:
        return {self.url.rstrip("/") + article_path(n) for n in range(self.articles)}


@contextlib.contextmanager
def serve_generated(
    articles: int, delay: float = 0.0, gate: threading.Event | None = None
) -> Iterator[GeneratedSite]:
    server = GeneratedServer(("127.0.0.1", 0), GeneratedHandler)
    server.articles = articles
    server.delay = delay
    server.gate = gate
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)  # fmt: skip
    thread.start()
    try:
        yield GeneratedSite(f"http://127.0.0.1:{server.server_port}/", articles, server)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
