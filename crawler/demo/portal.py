"""The demo news portal: HTML pages with realistic navigation boilerplate around each story."""

from __future__ import annotations

import json
from urllib.parse import unquote

from crawler.demo import feeds
from crawler.demo.content import DEMO_TODAY, DRAFT_STORY, PORTAL_NAME, PORTAL_STORIES, Story
from crawler.demo.sites import (
    DRAFT_PATH,
    MISSING_PATH,
    REDIRECT_PATH,
    REDIRECT_SLUG,
    Reply,
    article_path,
    attr,
    esc,
    not_found,
    page,
    redirect,
    tag_path,
)

SECTIONS = ("diplomacy", "economy", "weather", "sport", "science")
ALSO_READ_AFTER = 2  # the "ALSO READ-" paragraph goes after this many body paragraphs


def _head(title: str, description: str, canonical: str, og_type: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n"
        f'<meta name="description" content="{attr(description)}">\n'
        f'<link rel="canonical" href="{attr(canonical)}">\n'
        f'<link rel="alternate" type="application/rss+xml" title="{attr(PORTAL_NAME)}" '
        'href="/rss.xml">\n'
        f'<meta property="og:type" content="{og_type}">\n'
        f'<meta property="og:site_name" content="{attr(PORTAL_NAME)}">\n'
        f'<meta property="og:url" content="{attr(canonical)}">\n'
    )


def _top(active: str = "") -> str:
    today = f"{DEMO_TODAY:%A}, {DEMO_TODAY.day} {DEMO_TODAY:%B %Y}"
    items = "".join(
        f'<li class="menu-item{" current" if s == active else ""}">'
        f'<a href="{tag_path(s)}">{s.capitalize()}</a></li>'
        for s in SECTIONS
    )
    return (
        '<body id="top">\n<div class="top-bar"><div class="container">'
        f'<span class="top-date">Today: {today}</span>'
        '<ul class="top-links"><li><a href="/rss.xml">RSS</a></li>'
        '<li><a href="/">Subscribe</a></li></ul></div></div>\n'
        '<header class="site-header"><div class="container">'
        f'<a class="logo" href="/">{esc(PORTAL_NAME)}</a>'
        '<nav class="main-menu" aria-label="Main"><ul>'
        f'<li class="menu-item"><a href="/">Home</a></li>{items}</ul></nav>'
        '<button class="search-toggle" aria-label="Search">Search</button>'
        "</div></header>\n"
    )


def _footer() -> str:
    return (
        '<a class="go-to-top" href="#top"><i class="icon-arrow-up"></i>Go toTop</a>\n'
        '<footer class="site-footer"><div class="container">'
        '<ul class="footer-menu"><li><a href="/">About us</a></li>'
        '<li><a href="/">Contact</a></li><li><a href="/">Privacy policy</a></li></ul>'
        f'<p class="copyright">&copy; 2025 {esc(PORTAL_NAME)}. All rights reserved.</p>'
        '<div class="cookie-notice">We use cookies to improve your experience on our '
        'website. <button class="accept">Accept</button> <a href="/">Read more</a></div>'
        "</div></footer>\n</body>\n</html>\n"
    )


def _teaser(story: Story, heading: str = "h4") -> str:
    return (
        f'<div class="teaser"><{heading} class="teaser-title">'
        f'<a href="{article_path(story)}">{esc(story.headline)}</a></{heading}>'
        f'<p class="teaser-excerpt">{esc(story.summary)}</p></div>'
    )


def _json_ld(story: Story, canonical: str) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.headline,
        "author": {"@type": "Person", "name": story.author},
        "datePublished": story.published,
        "dateModified": story.published,
        "mainEntityOfPage": canonical,
        "keywords": list(story.tags),
        "publisher": {"@type": "Organization", "name": PORTAL_NAME},
    }
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>\n'


def _related(story: Story) -> Story:
    """The story linked from the "ALSO READ-" line: same section if possible."""
    others = [s for s in PORTAL_STORIES if s.slug != story.slug]
    same = [s for s in others if s.tags[0] == story.tags[0]]
    return (same or others)[0]


def _neighbours(story: Story) -> tuple[Story, Story]:
    """(previous, next) story by publication date, wrapping around."""
    slugs = [s.slug for s in PORTAL_STORIES]
    i = slugs.index(story.slug) if story.slug in slugs else len(slugs) - 1
    count = len(PORTAL_STORIES)
    return PORTAL_STORIES[(i - 1) % count], PORTAL_STORIES[(i + 1) % count]


def _body(story: Story) -> str:
    also = _related(story)
    parts = [f"<p>{esc(text)}</p>" for text in story.paragraphs]
    parts.insert(
        ALSO_READ_AFTER,
        f'<p class="also-read"><strong>ALSO READ-</strong><a href="{article_path(also)}">'
        f"{esc(also.headline)}</a></p>",
    )
    return '<div class="entry-content">\n' + "\n".join(parts) + "\n</div>\n"


def _post_nav(story: Story) -> str:
    prev, nxt = _neighbours(story)
    return (
        '<nav class="post-navigation">'
        f'<div class="nav-previous"><span class="nav-label">Previous Story</span>'
        f'<a href="{article_path(prev)}">{esc(prev.headline)}</a></div>'
        f'<div class="nav-next"><span class="nav-label">Next Story</span>'
        f'<a href="{article_path(nxt)}">{esc(nxt.headline)}</a></div></nav>\n'
    )


def _sidebar_blocks(story: Story) -> str:
    others = [s for s in reversed(PORTAL_STORIES) if s.slug != story.slug]
    latest, dont_miss = others[:3], others[-2:]
    return (
        '<aside class="latest-news"><h3 class="block-title">Latest from -Top News</h3>'
        + "".join(_teaser(s) for s in latest)
        + "</aside>\n"
        + '<aside class="dont-miss"><h3 class="block-title">Don\'t Miss</h3>'
        + "".join(_teaser(s) for s in dont_miss)
        + "</aside>\n"
    )


def _share(canonical: str) -> str:
    return (
        '<div class="share-buttons"><span>Share:</span>'
        f'<a class="share-facebook" href="#" data-url="{attr(canonical)}">Facebook</a>'
        f'<a class="share-x" href="#" data-url="{attr(canonical)}">X</a>'
        f'<a class="share-whatsapp" href="#" data-url="{attr(canonical)}">WhatsApp</a>'
        '<a class="share-email" href="#">Email</a></div>\n'
    )


def render_article(story: Story, canonical: str) -> str:
    """The full HTML of a story page."""
    when = story.published_at
    tags = " ".join(f'<a rel="tag" href="{tag_path(t)}">{esc(t)}</a>' for t in story.tags)
    return (
        _head(f"{story.headline} | {PORTAL_NAME}", story.summary, canonical, "article")
        + f'<meta name="author" content="{attr(story.author)}">\n'
        + f'<meta property="og:title" content="{attr(story.headline)}">\n'
        + f'<meta property="article:published_time" content="{story.published}">\n'
        + _json_ld(story, canonical)
        + "</head>\n"
        + _top(story.tags[0])
        + '<main class="container"><article class="post">\n'
        + f'<div class="post-meta"><time datetime="{story.published}">'
        + f"{when.day} {when:%B %Y}</time>"
        + f'<span class="read-time">{story.minutes_to_read} min read</span></div>\n'
        + f'<h1 class="entry-title">{esc(story.headline)}</h1>\n'
        + f'<div class="byline">By <span class="author">{esc(story.author)}</span></div>\n'
        + _share(canonical)
        + _body(story)
        + f'<div class="post-tags">Tags: {tags}</div>\n'
        + _share(canonical)
        + _post_nav(story)
        + "</article>\n"
        + _sidebar_blocks(story)
        + "</main>\n"
        + _footer()
    )


def _listing(title: str, heading: str, stories: list[Story], canonical: str) -> str:
    return (
        _head(title, f"{heading} - {PORTAL_NAME}", canonical, "website")
        + "</head>\n"
        + _top()
        + f'<main class="container"><h1 class="page-title">{esc(heading)}</h1>\n'
        + '<div class="teaser-list">'
        + "".join(_teaser(s, "h2") for s in stories)
        + "</div>\n"
    )


class PortalSite:
    """The news portal; `base_url` is its own root URL ("http://127.0.0.1:PORT/")."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._articles = {article_path(s): s for s in PORTAL_STORIES}

    def respond(self, path: str) -> Reply:
        """The reply for a request path (query string already removed)."""
        if path in self._articles:
            story = self._articles[path]
            html = render_article(story, self.base_url + path)
            return page(html, story.published_at)
        if path == DRAFT_PATH:
            return page(render_article(DRAFT_STORY, self.base_url + path))
        if path == REDIRECT_PATH:
            return redirect(self.base_url + article_path(self._story(REDIRECT_SLUG)))
        if path == "/":
            return page(self._home())
        if path.startswith("/tag/") and path.endswith("/"):
            return self._tag(unquote(path[len("/tag/") : -1]))
        if path == MISSING_PATH:
            return not_found(PORTAL_NAME)
        return feeds.portal_document(path, self.base_url) or not_found(PORTAL_NAME)

    def _story(self, slug: str) -> Story:
        return next(s for s in PORTAL_STORIES if s.slug == slug)

    def _home(self) -> str:
        newest = list(reversed(PORTAL_STORIES))
        return (
            _listing(f"{PORTAL_NAME} - News you can trust", "Top News", newest, self.base_url + "/")
            + '<aside class="more-links"><h3 class="block-title">More</h3><ul>'
            + f'<li><a href="{DRAFT_PATH}">Coming up: {esc(DRAFT_STORY.headline)}</a></li>'
            + f'<li><a href="{REDIRECT_PATH}">From the archive: Kessar trams</a></li>'
            + f'<li><a href="{MISSING_PATH}">Withdrawn: a story no longer available</a></li>'
            + '<li><a href="/rss.xml">RSS feed</a></li></ul></aside>\n'
            + "</main>\n"
            + _footer()
        )

    def _tag(self, tag: str) -> Reply:
        stories = [s for s in reversed(PORTAL_STORIES) if tag in s.tags]
        if not stories:
            return not_found(PORTAL_NAME)
        canonical = self.base_url + tag_path(tag)
        title = f"{tag.capitalize()} | {PORTAL_NAME}"
        heading = f"Tag: {tag}"
        return page(_listing(title, heading, stories, canonical) + "</main>\n" + _footer())
