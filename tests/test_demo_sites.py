"""The bundled demo sites: content, URL layout, feeds, sitemaps, boilerplate, HTTP framing."""

from __future__ import annotations

import gzip
import json
import re
import socket
import urllib.error
import urllib.request
import urllib.robotparser
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urlsplit, urlunsplit
from xml.etree import ElementTree

import pytest

from crawler.demo.content import (
    BOILERPLATE_MARKERS,
    CACHE_NOTICE,
    MIRROR_POSTS,
    PORTAL_NAME,
    PORTAL_STORIES,
    MirrorPost,
    Story,
    story_by_slug,
)
from crawler.demo.server import DemoSites, accepts_gzip, serve_demo_sites
from crawler.demo.sites import DRAFT_PATH, article_path, post_path

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "atom": "http://www.w3.org/2005/Atom",
}
PORTAL_MARKERS = BOILERPLATE_MARKERS[:8]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """GET without following redirects: (status, headers, raw body)."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with _OPENER.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def text_of(url: str) -> str:
    status, _, body = fetch(url)
    assert status == 200, url
    return body.decode("utf-8")


class _NaiveText(HTMLParser):
    """Text nodes concatenated with no separator, as a naive scraper saves a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("script", "style", "title")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("script", "style", "title")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def naive_text(html: str) -> str:
    parser = _NaiveText()
    parser.feed(html)
    return "".join(parser.parts)


def parse_xml(url: str) -> ElementTree.Element:
    """Parse an XML document served by our own loopback demo site."""
    status, _, body = fetch(url)
    assert status == 200, url
    return ElementTree.fromstring(body)


def head_value(html: str, pattern: str) -> str:
    match = re.search(pattern, html)
    assert match, pattern
    return match.group(1)


@pytest.fixture(scope="module")
def sites() -> Iterator[DemoSites]:
    with serve_demo_sites() as running:
        yield running


def test_stories_have_the_promised_shape() -> None:
    assert len(PORTAL_STORIES) >= 10
    assert len({s.slug for s in PORTAL_STORIES}) == len(PORTAL_STORIES)
    for story in PORTAL_STORIES:
        assert 200 <= story.word_count <= 450, story.slug
        assert 5 <= len(story.paragraphs) <= 9, story.slug
        assert re.match(r"^[A-Z ]+: ", story.paragraphs[0]), story.slug


def test_no_story_text_contains_a_boilerplate_marker() -> None:
    items: list[Story | MirrorPost] = [*PORTAL_STORIES, *MIRROR_POSTS]
    for item in items:
        for marker in BOILERPLATE_MARKERS:
            assert marker not in item.text and marker not in item.headline, (marker, item.slug)


def test_mirror_copies_differ_as_described() -> None:
    changes = {post.change: post for post in MIRROR_POSTS}
    assert set(changes) == {
        "verbatim",
        "new-headline",
        "paragraph-dropped",
        "sentence-edited",
        "original",
    }
    for post in MIRROR_POSTS:
        if post.source_slug is None:
            continue
        source = story_by_slug(post.source_slug)
        same_text = post.paragraphs == source.paragraphs
        assert same_text == (post.change in ("verbatim", "new-headline")), post.slug
        assert (post.headline == source.headline) == (post.change != "new-headline"), post.slug
    dropped = changes["paragraph-dropped"]
    assert len(dropped.paragraphs) == len(story_by_slug(str(dropped.source_slug)).paragraphs) - 1


def test_two_meetings_of_the_same_ministers_are_different_stories(sites: DemoSites) -> None:
    meetings = [s for s in PORTAL_STORIES if "Holt" in s.headline and "Karsak" in s.headline]
    assert len(meetings) == 2
    assert set(meetings[0].paragraphs).isdisjoint(meetings[1].paragraphs)
    urls = [sites.portal_article_url(s.slug) for s in meetings]
    groups = [g for g in sites.story_groups() if g & set(urls)]
    assert len(groups) == 2 and all(len(g) == 2 for g in groups)


def test_article_urls_and_story_groups_are_consistent(sites: DemoSites) -> None:
    urls = sites.article_urls()
    groups = sites.story_groups()
    assert len(urls) >= 16 and len(set(urls)) == len(urls)
    assert sorted(u for g in groups for u in g) == sorted(urls)
    assert sum(len(g) >= 2 for g in groups) >= 5
    assert not set(urls) & set(sites.never_stored_urls())
    assert all("utm_" not in u and "?" not in u for u in urls)


def test_every_article_url_answers_200_with_itself_as_canonical(sites: DemoSites) -> None:
    for url in sites.article_urls():
        html = text_of(url)
        assert head_value(html, r'<link rel="canonical" href="([^"]+)"') == url
        assert '<meta property="og:type" content="article">' in html


def test_listings_feeds_and_robots_pages_are_reachable(sites: DemoSites) -> None:
    for url in sites.never_stored_urls():
        status, _, body = fetch(url)
        expected = (
            {301} if url in sites.redirects() else {404} if url in sites.missing_urls() else {200}
        )
        assert status in expected, url
        if status == 200 and b"<html" in body:
            assert b'content="article"' not in body or url.endswith(DRAFT_PATH), url


def test_portal_robots_disallows_private_and_names_the_sitemap(sites: DemoSites) -> None:
    robots = text_of(sites.portal("/robots.txt"))
    assert f"Sitemap: {sites.portal('/sitemap.xml')}" in robots.splitlines()
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(robots.splitlines())
    assert not parser.can_fetch("newsarc", sites.portal(DRAFT_PATH))
    assert parser.can_fetch("newsarc", sites.article_urls()[0])


def test_mirror_robots_is_blogger_style(sites: DemoSites) -> None:
    robots = text_of(sites.mirror("/robots.txt"))
    assert f"Sitemap: {sites.mirror('/sitemap.xml')}" in robots.splitlines()
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(robots.splitlines())
    assert not parser.can_fetch("newsarc", sites.mirror("/search/label/World"))
    assert parser.can_fetch("newsarc", sites.mirror(post_path(MIRROR_POSTS[0])))


def test_sitemap_index_leads_to_the_news_sitemap_of_all_portal_articles(sites: DemoSites) -> None:
    index = parse_xml(sites.portal("/sitemap.xml"))
    locs = [e.text for e in index.findall("sm:sitemap/sm:loc", NS)]
    assert locs == [sites.portal("/sitemap-news.xml")]
    news = parse_xml(sites.portal("/sitemap-news.xml"))
    entries = news.findall("sm:url", NS)
    listed = [str(e.findtext("sm:loc", namespaces=NS)) for e in entries]
    assert sum("utm_source=sitemap" in u for u in listed) == 2
    clean = {urlunsplit(urlsplit(u)._replace(query="")) for u in listed}
    assert clean == {sites.portal(article_path(s)) for s in PORTAL_STORIES}
    assert all(e.findtext("news:news/news:publication_date", namespaces=NS) for e in entries)


def test_rss_lists_every_portal_article(sites: DemoSites) -> None:
    feed = parse_xml(sites.portal("/rss.xml"))
    items = feed.findall("channel/item")
    assert {i.findtext("link") for i in items} == {
        sites.portal(article_path(s)) for s in PORTAL_STORIES
    }
    assert {i.findtext("title") for i in items} == {s.headline for s in PORTAL_STORIES}


def test_atom_lists_every_mirror_post(sites: DemoSites) -> None:
    feed = parse_xml(sites.mirror("/feeds/posts/default"))
    links = {
        link.get("href") for link in feed.findall("atom:entry/atom:link[@rel='alternate']", NS)
    }
    assert links == {sites.mirror(post_path(p)) for p in MIRROR_POSTS}


@pytest.mark.parametrize("story", PORTAL_STORIES, ids=lambda s: s.slug)
def test_portal_article_page_metadata(sites: DemoSites, story: Story) -> None:
    s = story
    html = text_of(sites.portal(article_path(s)))
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert head_value(html, r"<title>([^<]+)</title>") == f"{s.headline} | {PORTAL_NAME}"
    assert head_value(html, r'<meta name="author" content="([^"]+)"') == s.author
    assert '<link rel="alternate" type="application/rss+xml"' in html
    ld = json.loads(head_value(html, r'<script type="application/ld\+json">(.+?)</script>'))
    assert ld["@type"] == "NewsArticle" and ld["headline"] == s.headline
    assert ld["author"]["name"] == s.author and ld["datePublished"] == s.published


def test_portal_article_page_carries_all_the_boilerplate(sites: DemoSites) -> None:
    story = PORTAL_STORIES[3]
    html = text_of(sites.portal(article_path(story)))
    text = naive_text(html)
    for marker in PORTAL_MARKERS:
        assert marker in html and marker in text, marker
    body = html[
        html.index('<div class="entry-content">') : html.index(
            "</div>", html.index('<div class="entry-content">')
        )
    ]
    assert "ALSO READ-" in body and body.index("ALSO READ-") > body.index("</p>")
    assert f"{story.minutes_to_read} min read" in text


def test_mirror_post_glues_caption_and_names_the_original(sites: DemoSites) -> None:
    for post in MIRROR_POSTS:
        html = text_of(sites.mirror(post_path(post)))
        assert head_value(html, r"<title>([^<]+)</title>") == post.title_cased_slug
        assert '<div class="post-body entry-content"' in html
        assert '<link rel="alternate" type="application/atom+xml"' in html
        dateline = post.paragraphs[0].split(":")[0] + ":"
        assert f"{post.caption}{dateline}" in naive_text(html)
        if post.source_slug is None:
            assert CACHE_NOTICE not in html
            continue
        original = sites.portal_article_url(post.source_slug)
        assert re.search(re.escape(CACHE_NOTICE) + r"<br><a href=\"" + re.escape(original), html)


def test_the_redirect_and_the_missing_page(sites: DemoSites) -> None:
    ((old, target),) = sites.redirects().items()
    status, headers, _ = fetch(old)
    assert status == 301 and headers["Location"] == target
    assert fetch(sites.missing_urls()[0])[0] == 404
    home = text_of(sites.portal_url)
    for url in (old, *sites.missing_urls(), sites.portal(DRAFT_PATH)):
        assert f'href="{urlsplit(url).path}"' in home


def test_the_draft_page_is_article_like(sites: DemoSites) -> None:
    html = text_of(sites.portal(DRAFT_PATH))
    assert '<meta property="og:type" content="article">' in html
    assert '"@type": "NewsArticle"' in html


def test_article_headers(sites: DemoSites) -> None:
    status, headers, body = fetch(sites.article_urls()[0])
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert int(headers["Content-Length"]) == len(body)
    assert headers["Last-Modified"].endswith(" GMT") and headers["ETag"].startswith('"')
    again = fetch(sites.article_urls()[0], **{"If-None-Match": headers["ETag"]})
    assert again[0] == 304 and again[2] == b""


@pytest.mark.parametrize("path", ["/", "/rss.xml", "/news/2025/01/withdrawn-story.html"])
def test_gzip_is_served_when_asked(sites: DemoSites, path: str) -> None:
    _, plain_headers, plain = fetch(sites.portal(path))
    _, headers, body = fetch(sites.portal(path), **{"Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain_headers
    assert headers["Content-Encoding"] == "gzip"
    assert int(headers["Content-Length"]) == len(body)
    assert gzip.decompress(body) == plain


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("deflate, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("br", False),
        ("*", True),
        (None, False),
    ],
)
def test_accepts_gzip(header: str | None, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def test_servers_close_their_ports_on_exit() -> None:
    with serve_demo_sites() as running:
        addresses = [urlsplit(running.portal_url), urlsplit(running.mirror_url)]
        assert fetch(running.portal_url)[0] == 200 and fetch(running.mirror_url)[0] == 200
    assert addresses[0].hostname != addresses[1].hostname
    for address in addresses:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((str(address.hostname), int(address.port or 0)), timeout=2)
