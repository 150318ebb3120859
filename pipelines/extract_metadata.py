"""Article metadata from the page's own declarations: title, date, author, site name, description, tags.

Cheap first: one pass over ``<meta>`` tags and one parse of the JSON-LD blocks give most
fields; htmldate (through trafilatura's dependency) is asked for the date only when the
page declares none. The title is the page's headline without a " | Site" suffix, and a
mirror's Title-Cased slug title gives way to the page's better headline (og:title,
JSON-LD headline, h1).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import lxml.html

logger = logging.getLogger(__name__)

TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·»]\s+")
ARTICLE_LD_TYPE = re.compile(r"\w*(?:article|posting)|report")
"""JSON-LD types of one article: Article, NewsArticle, ReportageNewsArticle, BlogPosting, …"""
_ISO_DATE = re.compile(r"((?:19|20)\d\d)-(\d\d)-(\d\d)")
_DATE_METAS = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "pubdate",
    "publishdate",
    "publish-date",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
)
_AUTHOR_METAS = ("author", "article:author", "dc.creator", "parsely-author", "sailthru.author")
_MAX_HEADLINE = 300


@dataclass
class PageMeta:
    """What the page declares in its head and JSON-LD (values trimmed, empty ones left out)."""

    metas: dict[str, str] = field(default_factory=dict)
    """``<meta>`` content by lower-cased name/property/itemprop (first one wins)."""
    tag_values: list[str] = field(default_factory=list)
    """Every ``article:tag`` value, in order."""
    ld_nodes: list[dict[str, Any]] = field(default_factory=list)
    """All JSON-LD objects (``@graph`` members included)."""
    ld_types: set[str] = field(default_factory=set)
    """Lower-cased JSON-LD ``@type`` values."""
    html_title: str = ""
    h1: str = ""

    def meta(self, *names: str) -> str | None:
        """The first declared value among ``names``."""
        return next((self.metas[n] for n in names if self.metas.get(n)), None)

    def article_node(self) -> dict[str, Any]:
        """The JSON-LD object describing the article ({} when none does)."""
        for node in self.ld_nodes:
            types = node.get("@type")
            for item in types if isinstance(types, list) else [types]:
                if isinstance(item, str) and ARTICLE_LD_TYPE.fullmatch(item.lower()):
                    return node
        return {}


@dataclass(frozen=True)
class Metadata:
    """The metadata fields of an Article."""

    title: str
    headlines: tuple[str, ...]
    """Every form of the headline the page gives (for dropping a repeated headline from the text)."""
    published: str | None
    author: str | None
    site_name: str | None
    description: str | None
    tags: list[str]


# ------------------------------------------------------------------ reading the page


def read_page_meta(tree: lxml.html.HtmlElement) -> PageMeta:
    """Collect ``<meta>`` tags, JSON-LD, ``<title>`` and the first ``<h1>`` in a few queries."""
    found = PageMeta()
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        value = " ".join((el.get("content") or "").split())
        if not key or not value:
            continue
        found.metas.setdefault(key, value)
        if key == "article:tag":
            found.tag_values.append(value)
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() == "application/ld+json" and script.text:
            _read_ld(script.text, found)
    title = next(tree.iter("title"), None)
    found.html_title = " ".join(title.text_content().split()) if title is not None else ""
    h1 = next(tree.iter("h1"), None)
    found.h1 = " ".join(h1.text_content().split()) if h1 is not None else ""
    return found


def _read_ld(text: str, found: PageMeta) -> None:
    try:
        data = json.loads(text)
    except ValueError:
        return
    for node in _walk_ld(data):
        found.ld_nodes.append(node)
        value = node.get("@type")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                found.ld_types.add(item.lower())


def _walk_ld(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _walk_ld(item)
    elif isinstance(data, dict):
        yield data
        yield from _walk_ld(data.get("@graph", []))


def _ld_text(value: Any) -> str | None:
    """A JSON-LD value as text: strings as they are, ``{"name": …}`` objects by name, lists joined."""
    if isinstance(value, str):
        return " ".join(value.split()) or None
    if isinstance(value, dict):
        return _ld_text(value.get("name"))
    if isinstance(value, list):
        names = [n for n in (_ld_text(v) for v in value) if n]
        return ", ".join(dict.fromkeys(names)) or None
    return None


# ------------------------------------------------------------------ fields


def squash(text: str) -> str:
    """Letters and digits only, case-folded: for comparing names and slugs."""
    return re.sub(r"[\W_]+", "", text).casefold()


def strip_title_suffix(title: str, names: list[str]) -> str:
    """Drop a trailing " | Site" (or " - Site", " – Site", …) when it names the site."""
    wanted = {squash(n) for n in names if n and squash(n)}
    parts = TITLE_SEPARATORS.split(title)
    while len(parts) > 1 and squash(parts[-1]) in wanted:
        separator = list(TITLE_SEPARATORS.finditer(title))[-1]
        title, parts = title[: separator.start()], parts[:-1]
    return title.strip()


def _slug(url: str) -> str:
    """The URL's last path segment, squashed, without a file extension."""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    return squash(re.sub(r"\.\w{2,5}$", "", unquote(segments[-1]))) if segments else ""


def is_slug_title(title: str, url: str) -> bool:
    """True when ``title`` is the URL's slug spelled out in Title Case (a mirror's slug title).

    Blogger-style slugs are cut short, so a title that starts with the slug's words counts.
    """
    slug = _slug(url)
    words = title.split()
    if len(slug) < 8 or not words or re.search(r"[^\w\s-]", title):
        return False
    capitalised = all(w[0].isupper() or not w[0].isalpha() for w in words)
    return capitalised and squash(title).startswith(slug)


def choose_title(page: PageMeta, url: str, names: list[str]) -> str:
    """The headline: og:title, JSON-LD headline, ``<title>`` or h1, without the site suffix.

    A Title-Cased slug title (mirrors) gives way to a candidate saying the same words
    properly (punctuation, case); an all-capitals one to any other candidate.
    """
    ld_headline = _ld_text(page.article_node().get("headline"))
    candidates = [page.meta("og:title", "twitter:title"), ld_headline, page.html_title, page.h1]
    titles = [strip_title_suffix(c, names) for c in candidates if c and len(c) <= _MAX_HEADLINE]
    titles = [t for t in titles if t]
    if not titles:
        return ""
    best, slug = titles[0], _slug(url)
    if is_slug_title(best, url):
        better = [t for t in titles if squash(t).startswith(slug) and not is_slug_title(t, url)]
        best = better[0] if better else best
    elif best.isupper():
        best = next((t for t in titles if not t.isupper()), best)
    return best


def _iso_date(value: str | None) -> str | None:
    """``YYYY-MM-DD`` from an ISO-like date string; None when it holds no plausible date."""
    match = _ISO_DATE.search(value or "")
    if match is None:
        return None
    _year, month, day = (int(g) for g in match.groups())
    return match.group(0) if 1 <= month <= 12 and 1 <= day <= 31 else None


def find_published(page: PageMeta, tree: lxml.html.HtmlElement) -> str | None:
    """Publication date: JSON-LD, then meta tags, then ``<time datetime>``, then htmldate."""
    node = page.article_node()
    for value in (node.get("datePublished"), node.get("dateCreated")):
        if isinstance(value, str) and (date := _iso_date(value)):
            return date
    for name in _DATE_METAS:
        if date := _iso_date(page.metas.get(name)):
            return date
    for value in tree.xpath("//time[@datetime][1]/@datetime|//abbr[@class='published']/@title"):
        if date := _iso_date(str(value)):
            return date
    return _htmldate(tree)


def _htmldate(tree: lxml.html.HtmlElement) -> str | None:
    """htmldate's guess (original publication date, no extensive search); None when unsure."""
    from htmldate import find_date

    try:
        return find_date(tree, extensive_search=False, original_date=True)
    except (ValueError, TypeError):
        logger.debug("htmldate failed", exc_info=True)
        return None


def find_author(page: PageMeta) -> str | None:
    """Author names from JSON-LD or meta tags (URLs and site names are not authors)."""
    candidates = [_ld_text(page.article_node().get("author")), page.meta(*_AUTHOR_METAS)]
    for value in candidates:
        if value and not value.startswith(("http://", "https://")) and len(value) < 200:
            return value
    return None


def find_tags(page: PageMeta) -> list[str]:
    """Section and tags: article:section, article:tag, JSON-LD articleSection/keywords, news_keywords."""
    node = page.article_node()
    raw: list[str] = [page.metas.get("article:section", ""), *page.tag_values]
    for value in (node.get("articleSection"), node.get("keywords"), page.meta("news_keywords")):
        if isinstance(value, list):
            raw.extend(str(v) for v in value)
        elif isinstance(value, str):
            raw.extend(value.split(","))
    tags = (" ".join(t.split()) for t in raw)
    return list(dict.fromkeys(t for t in tags if t and len(t) <= 100))


def headline_variants(page: PageMeta, names: list[str]) -> tuple[str, ...]:
    """All headline candidates, without suffix, and their parts around " | " / " - " separators."""
    ld_headline = _ld_text(page.article_node().get("headline"))
    raw = [page.meta("og:title", "twitter:title"), ld_headline, page.html_title, page.h1]
    variants: list[str] = []
    for candidate in (c for c in raw if c and len(c) <= _MAX_HEADLINE):
        variants += [candidate, strip_title_suffix(candidate, names)]
        variants += [p for p in TITLE_SEPARATORS.split(candidate) if len(p.split()) >= 3]
    return tuple(dict.fromkeys(v for v in variants if v))


def read_metadata(tree: lxml.html.HtmlElement, page: PageMeta, url: str, site: str) -> Metadata:
    """All metadata fields of one page (``site``: its host name, for the title suffix)."""
    node = page.article_node()
    site_name = page.meta("og:site_name", "application-name") or _ld_text(node.get("publisher"))
    labels = site.split(".")
    names = [site_name or "", site, site.rsplit(".", 1)[0], labels[-2] if len(labels) > 1 else site]
    return Metadata(
        title=choose_title(page, url, names),
        headlines=headline_variants(page, names),
        published=find_published(page, tree),
        author=find_author(page),
        site_name=site_name,
        description=page.meta("og:description", "description", "twitter:description")
        or _ld_text(node.get("description")),
        tags=find_tags(page),
    )
