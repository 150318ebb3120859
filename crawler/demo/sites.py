"""The demo sites' URL layout, the reply type the page builders return, and `DemoSites`.

Portal (news site) URL layout, relative to `portal_url`:
    /                           home page, teaser list (listing)
    /news/YYYY/MM/<slug>.html   article (canonical URL; query strings are ignored)
    /tag/<tag>/                 tag listing
    /private/draft-story.html   article-like page, disallowed by robots.txt
    /archive/kessar-tram-opens.php   301 to an article
    /news/2025/01/withdrawn-story.html   404
    /robots.txt /sitemap.xml (index) /sitemap-news.xml /rss.xml
Mirror (Blogger-style blog), relative to `mirror_url`:
    /                           home page, post snippets (listing)
    /YYYY/MM/<slug>.html        post (article)
    /YYYY/MM/                   month archive (listing)
    /search/label/<label>       label listing, disallowed by robots.txt
    /robots.txt /sitemap.xml /feeds/posts/default (Atom)
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import quote

from crawler.demo.content import (
    DRAFT_STORY,
    MIRROR_POSTS,
    PORTAL_STORIES,
    MirrorPost,
    Story,
    mirror_labels,
    portal_tags,
    story_by_slug,
)

HTML_TYPE = "text/html; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"

REDIRECT_PATH = "/archive/kessar-tram-opens.php"
REDIRECT_SLUG = "new-tram-line-opens-in-kessar"
MISSING_PATH = "/news/2025/01/withdrawn-story.html"
DRAFT_PATH = f"/private/{DRAFT_STORY.slug}.html"


def esc(text: str) -> str:
    """Escape text for an HTML text node (quotes stay readable: "Don't Miss")."""
    return html.escape(text, quote=False)


def attr(text: str) -> str:
    """Escape text for a double-quoted HTML attribute value."""
    return html.escape(text, quote=True)


@dataclass(frozen=True)
class Reply:
    """What a site answers for one path; the server adds the HTTP framing and encoding."""

    status: int
    body: bytes
    content_type: str
    last_modified: datetime | None = None
    location: str | None = None


class Site(Protocol):
    """A demo site: maps a request path (without query string) to a reply."""

    def respond(self, path: str) -> Reply: ...


def page(text: str, last_modified: datetime | None = None, status: int = 200) -> Reply:
    """An HTML reply."""
    return Reply(status, text.encode("utf-8"), HTML_TYPE, last_modified)


def document(text: str, content_type: str, last_modified: datetime | None = None) -> Reply:
    """A non-HTML reply (XML, feeds, robots.txt)."""
    return Reply(200, text.encode("utf-8"), content_type, last_modified)


def redirect(location: str) -> Reply:
    """A 301 reply with a small HTML body."""
    body = f'<html><body>Moved to <a href="{attr(location)}">{esc(location)}</a></body></html>'
    return Reply(301, body.encode("utf-8"), HTML_TYPE, location=location)


def not_found(site_name: str) -> Reply:
    """A 404 reply with an HTML error page."""
    body = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Page not found | {esc(site_name)}</title></head>"
        "<body><h1>Page not found</h1><p>The page you requested does not exist.</p>"
        '<p><a href="/">Back to the home page</a></p></body></html>'
    )
    return page(body, status=404)


def article_path(story: Story) -> str:
    """The portal's canonical path of a story."""
    return f"/news/{story.published_at:%Y/%m}/{story.slug}.html"


def post_path(post: MirrorPost) -> str:
    """The mirror's canonical path of a post."""
    return f"/{post.published_at:%Y/%m}/{post.slug}.html"


def archive_path(year: int, month: int) -> str:
    """The mirror's month archive path."""
    return f"/{year:04d}/{month:02d}/"


def tag_path(tag: str) -> str:
    """The portal's tag listing path."""
    return f"/tag/{quote(tag)}/"


def label_path(label: str) -> str:
    """The mirror's label listing path (Blogger style, disallowed by its robots.txt)."""
    return f"/search/label/{quote(label)}"


def archive_months() -> list[tuple[int, int]]:
    """(year, month) of every mirror month with posts, newest first."""
    months = {(post.published_at.year, post.published_at.month) for post in MIRROR_POSTS}
    return sorted(months, reverse=True)


@dataclass(frozen=True)
class DemoSites:
    """Base URLs of the running demo sites and what a correct crawl of them stores."""

    portal_url: str
    mirror_url: str

    def portal(self, path: str) -> str:
        """Absolute portal URL of a path."""
        return self.portal_url.rstrip("/") + path

    def mirror(self, path: str) -> str:
        """Absolute mirror URL of a path."""
        return self.mirror_url.rstrip("/") + path

    def portal_article_url(self, slug: str) -> str:
        """Canonical portal URL of the story with this slug."""
        return self.portal(article_path(story_by_slug(slug)))

    def article_urls(self) -> list[str]:
        """Every URL a correct crawl stores: clean canonical URLs, portal then mirror."""
        portal = [self.portal(article_path(story)) for story in PORTAL_STORIES]
        return portal + [self.mirror(post_path(post)) for post in MIRROR_POSTS]

    def story_groups(self) -> list[set[str]]:
        """URLs holding one story: each portal story with its mirror copies; singletons too."""
        groups = {story.slug: {self.portal(article_path(story))} for story in PORTAL_STORIES}
        singles: list[set[str]] = []
        for post in MIRROR_POSTS:
            url = self.mirror(post_path(post))
            if post.source_slug is None:
                singles.append({url})
            else:
                groups[post.source_slug].add(url)
        return list(groups.values()) + singles

    def redirects(self) -> dict[str, str]:
        """Redirecting URL -> canonical target URL."""
        return {self.portal(REDIRECT_PATH): self.portal_article_url(REDIRECT_SLUG)}

    def missing_urls(self) -> list[str]:
        """Linked URLs that answer 404."""
        return [self.portal(MISSING_PATH)]

    def never_stored_urls(self) -> list[str]:
        """Listings, feeds, sitemaps, robots files, the disallowed draft, 404 and redirect URLs."""
        portal_paths = ["/", "/robots.txt", "/sitemap.xml", "/sitemap-news.xml", "/rss.xml"]
        portal_paths += [tag_path(tag) for tag in portal_tags()]
        portal_paths += [DRAFT_PATH, MISSING_PATH, REDIRECT_PATH]
        mirror_paths = ["/", "/robots.txt", "/sitemap.xml", "/feeds/posts/default"]
        mirror_paths += [label_path(label) for label in mirror_labels()]
        mirror_paths += [archive_path(year, month) for year, month in archive_months()]
        return [self.portal(p) for p in portal_paths] + [self.mirror(p) for p in mirror_paths]
