"""Fast same-site link extraction for the news spider.

News pages carry hundreds of links (menus, teasers, footers), and nearly all of them point at
pages already seen. Scrapy's LinkExtractor canonicalizes every link and checks ~100 ignored
extensions one by one; measured on a generated 70 KB page with 66 links it cost 14 ms, the
largest single cost of a crawl without extraction. This does the same job for our case — same
site only, allow/deny patterns, no binary files, no fragments — with one XPath, a set lookup for
the extension, and a memory of links already handed out so that duplicates never become
Request objects (each of which would be fingerprinted and passed through every middleware).
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import urljoin, urlsplit

from scrapy.http import TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS
from w3lib.html import get_base_url

from crawler.sites import SiteSpec

SKIPPED_EXTENSIONS = frozenset(f".{e}" for e in IGNORED_EXTENSIONS)
SKIPPED_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "#")


def _join(base: str, origin: str, href: str) -> str:
    """``urljoin`` without its cost for the common root-relative link ("/news/x.html")."""
    if href[0] == "/" and not href.startswith("//") and "/." not in href:
        return (origin + href).split("#", 1)[0]
    return urljoin(base, href).split("#", 1)[0]


class LinkFinder:
    """Links of one site, each returned once per crawl (``seen`` holds what was returned)."""

    def __init__(self, spec: SiteSpec) -> None:
        self.hosts = spec.hosts
        self.allow = [re.compile(p) for p in spec.allow]
        self.deny = [re.compile(p) for p in spec.deny]
        self.seen: set[str] = set()

    def new_links(self, response: TextResponse) -> list[str]:
        """Same-site links of ``response`` not handed out before, in document order."""
        base = get_base_url(response.text[:4096], response.url, response.encoding)
        parts = urlsplit(base)
        origin = f"{parts.scheme}://{parts.netloc}"
        found: list[str] = []
        for href in response.xpath("//a/@href").getall():
            href = href.strip()
            if not href or href.startswith(SKIPPED_SCHEMES):
                continue
            url = _join(base, origin, href)
            if url in self.seen or not self._wanted(url):
                continue
            self.seen.add(url)
            found.append(url)
        return found

    def _wanted(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or (parts.hostname or "") not in self.hosts:
            return False
        if posixpath.splitext(parts.path)[1].lower() in SKIPPED_EXTENSIONS:
            return False
        if self.allow and not any(p.search(url) for p in self.allow):
            return False
        return not any(p.search(url) for p in self.deny)
