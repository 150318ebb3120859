"""The spider's link finder: same site only, no binaries or fragments, each link handed out once."""

from __future__ import annotations

from scrapy.http import HtmlResponse

from crawler.links import LinkFinder
from crawler.sites import SiteSpec

PAGE = b"""<html><head><base href="http://news.example/section/"></head><body>
<a href="/news/1.html#comments">one</a> <a href="2.html">two</a> <a href="../news/3.html">three</a>
<a href="//news.example/news/4.html">four</a> <a href="http://other.example/x.html">other site</a>
<a href="/files/report.pdf">pdf</a> <a href="javascript:void(0)">js</a> <a href="mailto:x@y">mail</a>
<a href="#top">top</a> <a href="/login?next=/">login</a> <a href="/news/1.html">one again</a>
</body></html>"""


def _response() -> HtmlResponse:
    return HtmlResponse("http://news.example/section/index.html", body=PAGE, encoding="utf-8")


def test_finds_same_site_page_links_once_in_document_order() -> None:
    finder = LinkFinder(SiteSpec(name="n", start=("http://news.example/",), deny=("/login",)))
    assert finder.new_links(_response()) == [
        "http://news.example/news/1.html",
        "http://news.example/section/2.html",
        "http://news.example/news/3.html",
        "http://news.example/news/4.html",
    ]


def test_links_already_handed_out_are_not_repeated() -> None:
    finder = LinkFinder(SiteSpec(name="n", start=("http://news.example/",)))
    assert finder.new_links(_response())
    assert finder.new_links(_response()) == []


def test_allow_patterns_restrict_links() -> None:
    finder = LinkFinder(SiteSpec(name="n", start=("http://news.example/",), allow=(r"/news/\d+",)))
    assert finder.new_links(_response()) == [
        "http://news.example/news/1.html",
        "http://news.example/news/3.html",
        "http://news.example/news/4.html",
    ]
