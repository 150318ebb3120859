"""Machine-readable documents of the demo sites: robots.txt, sitemaps, RSS 2.0 and Atom feeds."""

from __future__ import annotations

from collections.abc import Callable
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

from crawler.demo.content import (
    MIRROR_AUTHOR,
    MIRROR_NAME,
    MIRROR_POSTS,
    PORTAL_NAME,
    PORTAL_STORIES,
    MirrorPost,
)
from crawler.demo.sites import TEXT_TYPE, XML_TYPE, Reply, article_path, document, post_path

RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
# Sitemap entries that carry tracking parameters (the canonical URL has none).
TRACKED_SLUGS = (
    "holt-and-karsak-to-meet-in-kuala-lumpur",
    "harbour-city-win-cup-final-on-penalties",
)
TRACKING_QUERY = "?utm_source=sitemap&utm_medium=xml"
XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'


def portal_robots(base_url: str) -> str:
    """robots.txt of the portal (RFC 9309): /private/ is disallowed."""
    return f"User-agent: *\nDisallow: /private/\nAllow: /\n\nSitemap: {base_url}/sitemap.xml\n"


def sitemap_index(base_url: str) -> str:
    """Sitemap index (sitemaps.org 0.9) pointing to the news sitemap."""
    newest = PORTAL_STORIES[-1].published
    return (
        XML_DECL + '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"<sitemap><loc>{base_url}/sitemap-news.xml</loc><lastmod>{newest}</lastmod></sitemap>\n"
        "</sitemapindex>\n"
    )


def news_sitemap(base_url: str) -> str:
    """Google News sitemap listing every published story (two with tracking parameters)."""
    entries = []
    for story in reversed(PORTAL_STORIES):
        query = TRACKING_QUERY if story.slug in TRACKED_SLUGS else ""
        loc = escape(f"{base_url}{article_path(story)}{query}")
        entries.append(
            f"<url><loc>{loc}</loc><news:news><news:publication>"
            f"<news:name>{escape(PORTAL_NAME)}</news:name><news:language>en</news:language>"
            f"</news:publication><news:publication_date>{story.published}"
            f"</news:publication_date><news:title>{escape(story.headline)}</news:title>"
            "</news:news></url>\n"
        )
    return (
        XML_DECL + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        + "".join(entries)
        + "</urlset>\n"
    )


def rss(base_url: str) -> str:
    """RSS 2.0 feed of the published portal stories, newest first."""
    items = []
    for story in reversed(PORTAL_STORIES):
        link = escape(base_url + article_path(story))
        categories = "".join(f"<category>{escape(tag)}</category>" for tag in story.tags)
        items.append(
            f"<item><title>{escape(story.headline)}</title><link>{link}</link>"
            f'<guid isPermaLink="true">{link}</guid>'
            f"<pubDate>{format_datetime(story.published_at)}</pubDate>"
            f"<dc:creator>{escape(story.author)}</dc:creator>{categories}"
            f"<description>{escape(story.summary)}</description></item>\n"
        )
    return (
        XML_DECL + '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"<title>{escape(PORTAL_NAME)}</title><link>{base_url}/</link>"
        "<description>Latest news</description><language>en</language>"
        f"<lastBuildDate>{format_datetime(PORTAL_STORIES[-1].published_at)}</lastBuildDate>\n"
        + "".join(items)
        + "</channel>\n</rss>\n"
    )


def portal_document(path: str, base_url: str) -> Reply | None:
    """The portal's robots.txt, sitemaps or RSS feed for `path`, or None."""
    newest = PORTAL_STORIES[-1].published_at
    if path == "/robots.txt":
        return document(portal_robots(base_url), TEXT_TYPE)
    if path == "/sitemap.xml":
        return document(sitemap_index(base_url), XML_TYPE, newest)
    if path == "/sitemap-news.xml":
        return document(news_sitemap(base_url), XML_TYPE, newest)
    if path == "/rss.xml":
        return document(rss(base_url), RSS_TYPE, newest)
    return None


def mirror_robots(base_url: str) -> str:
    """robots.txt as Blogger writes it: /search (label and query listings) is disallowed."""
    return (
        "User-agent: Mediapartners-Google\nDisallow: \n\n"
        "User-agent: *\nDisallow: /search\nAllow: /\n\n"
        f"Sitemap: {base_url}/sitemap.xml\n"
    )


def mirror_sitemap(base_url: str) -> str:
    """Plain sitemap (sitemaps.org 0.9) of the mirror's posts."""
    entries = "".join(
        f"<url><loc>{escape(base_url + post_path(post))}</loc>"
        f"<lastmod>{post.published}</lastmod></url>\n"
        for post in reversed(MIRROR_POSTS)
    )
    return (
        XML_DECL
        + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + entries
        + "</urlset>\n"
    )


def atom(base_url: str, body_html: Callable[[MirrorPost], str]) -> str:
    """Atom 1.0 feed (RFC 4287) of the mirror's posts with full HTML content, newest first."""
    entries = []
    for post in reversed(MIRROR_POSTS):
        link = escape(base_url + post_path(post))
        categories = "".join(f"<category term={quoteattr(label)}/>" for label in post.labels)
        entries.append(
            f"<entry><id>{link}</id><published>{post.published}</published>"
            f"<updated>{post.published}</updated>{categories}"
            f'<title type="text">{escape(post.headline)}</title>'
            f'<content type="html">{escape(body_html(post))}</content>'
            f'<link rel="alternate" type="text/html" href="{link}" '
            f"title={quoteattr(post.headline)}/>"
            f"<author><name>{escape(MIRROR_AUTHOR)}</name></author></entry>\n"
        )
    return (
        XML_DECL + '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"<id>{base_url}/</id><updated>{MIRROR_POSTS[-1].published}</updated>"
        f'<title type="text">{escape(MIRROR_NAME)}</title>'
        f'<link rel="alternate" type="text/html" href="{base_url}/"/>'
        f'<link rel="self" type="application/atom+xml" href="{base_url}/feeds/posts/default"/>\n'
        + "".join(entries)
        + "</feed>\n"
    )


def mirror_document(
    path: str, base_url: str, body_html: Callable[[MirrorPost], str]
) -> Reply | None:
    """The mirror's robots.txt, sitemap or Atom feed for `path`, or None."""
    newest = MIRROR_POSTS[-1].published_at
    if path == "/robots.txt":
        return document(mirror_robots(base_url), TEXT_TYPE)
    if path == "/sitemap.xml":
        return document(mirror_sitemap(base_url), XML_TYPE, newest)
    if path == "/feeds/posts/default":
        return document(atom(base_url, body_html), ATOM_TYPE, newest)
    return None
