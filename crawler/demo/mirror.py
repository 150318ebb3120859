"""The demo mirror blog: Blogger-style pages that republish portal stories with glued captions.

Each post body starts with a photo whose caption ("... - NWA pic") sits inline right before
the dateline, so a naive extractor glues them ("... - NWA picKUALA LUMPUR: ..."), and copies
of portal stories end with a Malay cache notice naming the original portal URL.
"""

from __future__ import annotations

import base64
import zlib
from datetime import date
from urllib.parse import unquote

from crawler.demo import feeds
from crawler.demo.content import (
    CACHE_NOTICE,
    MIRROR_NAME,
    MIRROR_POSTS,
    MirrorPost,
    mirror_labels,
    story_by_slug,
)
from crawler.demo.sites import (
    Reply,
    archive_months,
    archive_path,
    article_path,
    attr,
    esc,
    label_path,
    not_found,
    page,
    post_path,
)

# A 1x1 transparent GIF served for every post photo.
PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
SNIPPET_WORDS = 30


def _head(title: str, canonical: str, og_type: str, og_title: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html class="v2" dir="ltr" lang="en" xmlns:b="http://www.google.com/2005/gml/b">\n'
        '<head>\n<meta charset="utf-8">\n<meta name="generator" content="Blogger">\n'
        f"<title>{esc(title)}</title>\n"
        f'<link rel="canonical" href="{attr(canonical)}">\n'
        f'<link rel="alternate" type="application/atom+xml" title="{attr(MIRROR_NAME)} - Atom" '
        'href="/feeds/posts/default">\n'
        f'<meta property="og:type" content="{og_type}">\n'
        f'<meta property="og:title" content="{attr(og_title)}">\n'
        f'<meta property="og:url" content="{attr(canonical)}">\n'
        "</head>\n"
    )


def _header() -> str:
    return (
        '<body class="loading"><div class="content-outer">\n'
        '<header><div class="Header widget"><h1 class="title">'
        f'<a href="/">{esc(MIRROR_NAME)}</a></h1>'
        '<p class="description">Berita dan ulasan semasa</p></div></header>\n'
        '<div class="main-inner"><div class="column-center-inner">\n'
    )


def _date_header(post: MirrorPost) -> str:
    when = post.published_at
    return f'<h2 class="date-header"><span>{when:%A, %B} {when.day}, {when:%Y}</span></h2>\n'


def _sidebar() -> str:
    popular = "".join(
        f'<li><a href="{post_path(p)}">{esc(p.headline)}</a></li>' for p in MIRROR_POSTS[:3]
    )
    labels = "".join(
        f'<li><a dir="ltr" href="{label_path(label)}">{esc(label)}</a></li>'
        for label in mirror_labels()
    )
    months = "".join(
        f'<li class="archivedate"><a class="toggle" href="#">&#9658;</a>'
        f'<a class="post-count-link" href="{archive_path(year, month)}">'
        f"{date(year, month, 1):%B}</a> ({_count(year, month)})</li>"
        for year, month in archive_months()
    )
    return (
        '</div></div>\n<div class="column-right-inner sidebar">\n'
        f'<div class="widget PopularPosts"><h2>Popular Posts</h2><ul>{popular}</ul></div>\n'
        f'<div class="widget Label"><h2>Labels</h2><ul>{labels}</ul></div>\n'
        '<div class="widget BlogArchive"><h2>Blog Archive</h2><ul class="hierarchy">'
        f'<li class="archivedate expanded">&#9660; 2025 ({len(MIRROR_POSTS)})'
        f'<ul class="hierarchy">{months}</ul></li></ul></div>\n'
        "</div>\n"
    )


def _count(year: int, month: int) -> int:
    return sum((p.published_at.year, p.published_at.month) == (year, month) for p in MIRROR_POSTS)


def _footer() -> str:
    return (
        '<footer><div class="widget Attribution">Powered by '
        '<a href="https://www.blogger.com" rel="nofollow">Blogger</a>. '
        "Simple theme.</div></footer>\n</div></body>\n</html>\n"
    )


class MirrorSite:
    """The mirror blog at `base_url`; copies name their originals under `portal_url`."""

    def __init__(self, base_url: str, portal_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.portal_url = portal_url.rstrip("/")
        self._posts = {post_path(p): p for p in MIRROR_POSTS}
        self._months = {archive_path(y, m): (y, m) for y, m in archive_months()}

    def respond(self, path: str) -> Reply:
        """The reply for a request path (query string already removed)."""
        if path in self._posts:
            post = self._posts[path]
            return page(self.render_post(post), post.published_at)
        if path == "/":
            return page(self._listing(MIRROR_NAME, list(reversed(MIRROR_POSTS)), "/"))
        if path in self._months:
            year, month = self._months[path]
            posts = [
                p
                for p in reversed(MIRROR_POSTS)
                if (p.published_at.year, p.published_at.month) == (year, month)
            ]
            return page(self._listing(f"{MIRROR_NAME}: {year:04d}/{month:02d}", posts, path))
        if path.startswith("/search/label/"):
            return self._label(unquote(path[len("/search/label/") :]))
        if path.startswith("/img/") and path.endswith(".gif"):
            return Reply(200, PIXEL_GIF, "image/gif")
        document = feeds.mirror_document(path, self.base_url, self.body_html)
        return document or not_found(MIRROR_NAME)

    def original_url(self, post: MirrorPost) -> str | None:
        """The portal URL a copied post names in its cache notice."""
        if post.source_slug is None:
            return None
        return self.portal_url + article_path(story_by_slug(post.source_slug))

    def body_html(self, post: MirrorPost) -> str:
        """Inner HTML of the post body: photo, glued caption, paragraphs, cache notice."""
        photo = f"/img/{post.slug}.gif"
        first, *rest = post.paragraphs
        parts = [
            '<div class="separator" style="clear: both; text-align: center;">'
            f'<a href="{photo}" style="margin-left: 1em; margin-right: 1em;">'
            f'<img border="0" data-original-height="720" data-original-width="1280" '
            f'src="{photo}" width="640"></a></div>',
            f'<p><span style="font-size: x-small;">{esc(post.caption)}</span>{esc(first)}</p>',
            *(f"<p>{esc(text)}</p>" for text in rest),
        ]
        original = self.original_url(post)
        if original is not None:
            parts.append(
                f'<p>{esc(CACHE_NOTICE)}<br><a href="{attr(original)}">{esc(original)}</a></p>'
            )
        return "\n".join(parts)

    def render_post(self, post: MirrorPost) -> str:
        """The full HTML of a post page."""
        canonical = self.base_url + post_path(post)
        labels = ", ".join(
            f'<a href="{label_path(label)}" rel="tag">{esc(label)}</a>' for label in post.labels
        )
        return (
            _head(post.title_cased_slug, canonical, "article", post.headline)
            + _header()
            + '<div class="date-outer">'
            + _date_header(post)
            + '<div class="post hentry" itemprop="blogPost" itemscope '
            + 'itemtype="http://schema.org/BlogPosting">\n'
            + f'<h3 class="post-title entry-title" itemprop="name">{esc(post.headline)}</h3>\n'
            + '<div class="post-body entry-content" '
            + f'id="post-body-{zlib.crc32(post.slug.encode())}"'
            + ' itemprop="description articleBody">\n'
            + self.body_html(post)
            + '\n<div style="clear: both;"></div></div>\n'
            + '<div class="post-footer"><span class="post-author vcard">Posted by '
            + f'<span class="fn">{esc(post.author)}</span></span> at '
            + f'<abbr class="published" title="{post.published}">'
            + f"{post.published_at:%I:%M %p}</abbr>"
            + '<div class="post-share-buttons">Email ThisBlogThis!Share to X'
            + "Share to FacebookShare to Pinterest</div>"
            + f'<span class="post-labels">Labels: {labels}</span></div>\n'
            + "</div></div>\n"
            + '<div class="blog-pager"><a class="home-link" href="/">Home</a></div>\n'
            + '<div class="post-feeds">Subscribe to: '
            + '<a href="/feeds/posts/default">Post Comments (Atom)</a></div>\n'
            + _sidebar()
            + _footer()
        )

    def _snippet(self, post: MirrorPost) -> str:
        words = " ".join(post.text.split()[:SNIPPET_WORDS])
        return (
            '<div class="date-outer">'
            + _date_header(post)
            + '<div class="post hentry"><h3 class="post-title entry-title">'
            + f'<a href="{post_path(post)}">{esc(post.headline)}</a></h3>'
            + f'<div class="post-body entry-content">{esc(words)} &#8230;</div>'
            + f'<div class="jump-link"><a href="{post_path(post)}">Read more &#187;</a></div>'
            + "</div></div>\n"
        )

    def _listing(self, title: str, posts: list[MirrorPost], path: str) -> str:
        return (
            _head(title, self.base_url + path, "website", title)
            + _header()
            + "".join(self._snippet(p) for p in posts)
            + _sidebar()
            + _footer()
        )

    def _label(self, label: str) -> Reply:
        posts = [p for p in reversed(MIRROR_POSTS) if label in p.labels]
        if not posts:
            return not_found(MIRROR_NAME)
        title = f"{MIRROR_NAME}: {label}"
        return page(self._listing(title, posts, label_path(label)))
