"""Extraction: turn a fetched Page (or a saved HTML file) into a clean Article, or say why not.

trafilatura does the main work (text and metadata); ``pipelines.boilerplate`` prunes
boilerplate blocks before it and cleans the text after it; ``pipelines.language``
identifies the language. This is the only module that imports trafilatura.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import trafilatura
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

try:
    from charset_normalizer import from_bytes
except ImportError:  # optional: without it, undeclared non-UTF-8 pages decode with replacements
    from_bytes = None  # type: ignore[assignment]

from pipelines.boilerplate import RULES_VERSION, CleanResult, clean_text, load_rules, prune_tree
from pipelines.dedup import DedupConfig
from pipelines.errors import EmptyExtraction, HttpError, NotAnArticle, NotHtml, TooShort
from pipelines.extract_metadata import (
    ARTICLE_LD_TYPE,
    Metadata,
    PageMeta,
    read_metadata,
    read_page_meta,
)
from pipelines.extract_recovery import drop_link_lists, recover_text, unwrap_embeds
from pipelines.items import Article, Page
from pipelines.language import count_words, detect_language
from pipelines.templates import TemplateConfig

logger = logging.getLogger(__name__)

EXTRACTOR_VERSION: str = f"trafilatura-{trafilatura.__version__}+rules-{RULES_VERSION}"

MAX_CHAOS = 0.2
"""A declared charset whose decoding charset_normalizer rates messier than this is distrusted."""
HTML_TYPES = ("text/html", "application/xhtml+xml")
LISTING_LD_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "profilepage"})
LISTING_PATH = re.compile(
    r"/(?:tags?|category|categories|label|labels|topics?|authors?|section|archives?|search|calendar)"
    r"(?:/|$)|/page/\d+/?$",
    re.IGNORECASE,
)
SEARCH_QUERY = re.compile(r"(?:^|&)(?:s|q|query|search|keywords?)=", re.IGNORECASE)
"""Query parameters of a site search (``/?s=floods``, ``/news?q=floods``)."""
ARCHIVE_PATH = re.compile(r"/(?:19|20)\d\d(?:/\d{1,2}){0,2}/?")
DATE_PATH = re.compile(r"/(?:19|20)\d\d[/-](?:0?[1-9]|1[0-2])(?:[/-]|$)|(?:19|20)\d{6}")
SLUG_PATH = re.compile(r"/[^/]*\w+[-_]\w+[-_]\w+[^/]*/?$|\.s?html?$|/\d{5,}[^/]*/?$")
_TEXT_OUTSIDE_CHROME = (
    "//body//text()[not(ancestor::nav or ancestor::header or ancestor::footer or ancestor::aside"
    " or ancestor::script or ancestor::style or ancestor::noscript or ancestor::form)]"
)
_TEASER_HEADINGS = (
    "//body//*[self::h1 or self::h2 or self::h3 or self::h4][a][not(ancestor::nav or"
    " ancestor::header or ancestor::footer or ancestor::aside)][string-length(normalize-space(.))"
    " <= string-length(normalize-space(string(a))) + 3]"
)
TEASER_HEADINGS = 4
"""This many linked headlines outside the page chrome mark a listing."""


@dataclass(frozen=True)
class ExtractConfig:
    """Settings of the extraction stage.

    Reads ``NEWSARC_EXTRACT_MIN_WORDS`` (articles with fewer words are dropped as TooShort)
    and, for ``templates``, the ``NEWSARC_TEMPLATE_*`` settings (see ``TemplateConfig``).
    """

    min_words: int = 50
    templates: TemplateConfig = field(default_factory=TemplateConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    """MinHash parameters: the worker computes each article's signature (the store reuses it)."""

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> ExtractConfig:
        """Build from Scrapy settings (or any mapping); invalid values raise ValueError."""
        raw = settings.get("NEWSARC_EXTRACT_MIN_WORDS", cls.min_words)
        text = str(raw).strip()
        if isinstance(raw, bool) or not text.isdigit():
            raise ValueError(f"NEWSARC_EXTRACT_MIN_WORDS must be a whole number >= 0, not {raw!r}")
        return cls(
            min_words=int(text),
            templates=TemplateConfig.from_settings(settings),
            dedup=DedupConfig.from_settings(settings),
        )


@dataclass
class PageEvidence:
    """What the raw page declares about itself, read before any pruning."""

    og_type: str = ""
    ld_types: set[str] = field(default_factory=set)
    canonical: str | None = None
    site_name: str | None = None
    lang: str | None = None
    link_density: float = 0.0
    teaser_headings: int = 0


# ------------------------------------------------------------------ decoding


def decode_html(body: bytes, content_type: str = "") -> str:
    """Decode an HTML body: BOM, then HTTP charset, then <meta> charset, then detection. Never raises."""
    if not body:
        return ""
    bom_encoding, bom = read_bom(body)
    if bom_encoding is not None and bom is not None:
        return body[len(bom) :].decode(bom_encoding, "replace")
    for declared in (http_content_type_encoding(content_type), html_body_declared_encoding(body)):
        text = _decode_strict(body, declared) if declared else None
        if declared and text is not None and not _misdeclared(body, declared):
            return text
    if (text := _decode_strict(body, "utf-8")) is not None:
        return text
    detected = _detect_encoding(body)
    if detected and (text := _decode_strict(body, detected)) is not None:
        return text
    return body.decode("utf-8", "replace")


def _decode_strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _misdeclared(body: bytes, declared: str) -> bool:
    """True when a declared charset is evidently wrong: the body is UTF-8, or decodes far messier."""
    if declared.replace("_", "-").lower() in ("utf-8", "utf8") or body.isascii():
        return False
    if _decode_strict(body, "utf-8") is not None:
        return True
    if from_bytes is None or _detect_encoding(body) in (None, declared):
        return False
    declared_match = from_bytes(body, cp_isolation=[declared]).best()
    return declared_match is None or declared_match.chaos > MAX_CHAOS


def _detect_encoding(body: bytes) -> str | None:
    """Best guess from charset_normalizer, or None when it is unavailable or undecided."""
    best = from_bytes(body).best() if from_bytes is not None else None
    return best.encoding if best is not None else None


# ------------------------------------------------------------------ page evidence


def _parse(html: str) -> lxml.html.HtmlElement:
    """Parse HTML text the way trafilatura does (its parser settings matter); ValueError on nothing."""
    tree = trafilatura.load_html(html)
    if tree is None:
        raise ValueError("no HTML document")
    return tree


def _link_density(tree: lxml.html.HtmlElement) -> float:
    """Share of visible text (outside nav/header/footer/aside) that sits inside links."""
    texts = tree.xpath(_TEXT_OUTSIDE_CHROME)
    total = sum(len(t.strip()) for t in texts)
    linked = sum(len(t.strip()) for t in tree.xpath(_TEXT_OUTSIDE_CHROME + "[ancestor::a]"))
    return linked / total if total else 0.0


def _evidence(
    tree: lxml.html.HtmlElement, meta: PageMeta, url: str, *, layout: bool
) -> PageEvidence:
    """The page's declarations; ``layout`` adds link density and teaser headlines (for scoring)."""
    canonical = next((str(h).strip() for h in tree.xpath("//link[@rel='canonical']/@href")), None)
    canonical = canonical or meta.meta("og:url")
    return PageEvidence(
        og_type=(meta.meta("og:type") or "").lower(),
        ld_types=meta.ld_types,
        canonical=urljoin(url, canonical) if canonical and url else canonical,
        site_name=meta.meta("og:site_name"),
        lang=tree.get("lang") or tree.get("xml:lang") or meta.meta("og:locale"),
        link_density=_link_density(tree) if layout else 0.0,
        teaser_headings=len(tree.xpath(_TEASER_HEADINGS)) if layout else 0,
    )


# ------------------------------------------------------------------ extraction


def site_of(url: str) -> str:
    """Host of ``url`` without ``www.``, lower case, no port."""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def _run_trafilatura(tree: lxml.html.HtmlElement, url: str | None) -> Any:
    """trafilatura's main-text extraction (never its global dedup cache); None when it finds nothing.

    Balanced focus without the readability/justext comparison (``fast``) and without its
    metadata: measured on aeb-dev, this scores higher and runs faster than precision mode,
    and ``pipelines.extract_metadata`` reads the metadata for a fraction of the cost.
    """
    return trafilatura.bare_extraction(
        tree,
        url=url,
        fast=True,
        with_metadata=False,
        include_comments=False,
        include_tables=True,
        deduplicate=False,
    )


def _extract(html: str | bytes, url: str | None, *, layout: bool) -> tuple[Article, PageEvidence]:
    """Shared core: parse, prune, extract, recover, clean; raises EmptyExtraction."""
    page_url = url or ""
    if isinstance(html, bytes):
        html = decode_html(html)
    try:
        tree = _parse(html)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise EmptyExtraction(page_url, f"unparsable HTML: {exc}") from exc
    meta = read_page_meta(tree)
    evidence = _evidence(tree, meta, page_url, layout=layout)
    site = site_of(page_url or evidence.canonical or "")
    metadata = read_metadata(tree, meta, page_url or evidence.canonical or "", site)
    rules = load_rules()
    fired = prune_tree(tree, rules)
    unwrap_embeds(tree)
    drop_link_lists(tree)
    document = _run_trafilatura(tree, url)
    if document is None or not (document.text or "").strip():
        raise EmptyExtraction(page_url, "trafilatura found no main text")
    text = recover_text(tree, document.text)
    cleaned = clean_text(text, rules, [metadata.title, *metadata.headlines])
    if not cleaned.text:
        raise EmptyExtraction(page_url, f"nothing left after rules {', '.join(cleaned.removed)}")
    logger.debug("extracted %s: pruned %s, cleaned %s", page_url, fired, cleaned.removed)
    return _build_article(page_url, site, metadata, evidence, cleaned), evidence


def _build_article(
    url: str, site: str, metadata: Metadata, evidence: PageEvidence, cleaned: CleanResult
) -> Article:
    return Article(
        url=url,
        canonical_url=evidence.canonical or url,
        site=site,
        title=metadata.title,
        text=cleaned.text,
        author=metadata.author,
        published=metadata.published,
        language=detect_language(cleaned.text, evidence.lang),
        site_name=metadata.site_name,
        description=metadata.description,
        tags=metadata.tags,
        source_url=cleaned.source_url,
        word_count=count_words(cleaned.text),
        extractor_version=EXTRACTOR_VERSION,
    )


def extract_html(html: str | bytes, url: str | None, config: ExtractConfig) -> Article:
    """Extract a saved HTML file (assumed to be an article); raises only EmptyExtraction."""
    return _extract(html, url, layout=False)[0]


# ------------------------------------------------------------------ pages


def _raise_if_listing(url: str, html: str, empty: EmptyExtraction) -> None:
    """An empty extraction of a page with listing evidence is reported as NotAnArticle."""
    try:
        tree = _parse(html)
    except (ValueError, lxml.etree.ParserError):
        return
    evidence = _evidence(tree, read_page_meta(tree), url, layout=True)
    score, reasons = article_score(url, evidence, None)
    if score < 0:
        raise NotAnArticle(url, f"score {score}: {', '.join(reasons)}") from empty


def article_score(url: str, evidence: PageEvidence, date: str | None) -> tuple[int, list[str]]:
    """Evidence for (> 0) or against (< 0) the page being one article, with the reasons."""
    reasons: list[tuple[int, str]] = []
    path = urlsplit(url).path
    if evidence.og_type:
        reasons.append(
            (2, "og:type=article")
            if evidence.og_type == "article"
            else (-1, f"og:type={evidence.og_type}")
        )
    if any(ARTICLE_LD_TYPE.fullmatch(t) for t in evidence.ld_types):
        reasons.append((2, "json-ld article"))
    elif evidence.ld_types & LISTING_LD_TYPES:
        reasons.append((-2, "json-ld listing"))
    if path in ("", "/") or re.fullmatch(r"/(?:index\.\w+|home/?)", path):
        reasons.append((-3, "home page"))
    elif ARCHIVE_PATH.fullmatch(path):
        reasons.append((-3, "date archive path"))
    elif LISTING_PATH.search(path):
        reasons.append((-2, "listing path"))
    elif SEARCH_QUERY.search(urlsplit(url).query):
        reasons.append((-2, "search query"))
    elif DATE_PATH.search(path):
        reasons.append((1, "date in path"))
    if SLUG_PATH.search(path):
        reasons.append((1, "article slug"))
    if date:
        reasons.append((1, "date"))
    if evidence.teaser_headings >= TEASER_HEADINGS:
        reasons.append((-2, f"{evidence.teaser_headings} linked headlines"))
    if evidence.link_density >= 0.5:
        reasons.append((-2, f"link density {evidence.link_density:.2f}"))
    elif evidence.link_density >= 0.35:
        reasons.append((-1, f"link density {evidence.link_density:.2f}"))
    score = sum(points for points, _ in reasons)
    return score, [reason for _, reason in reasons]


def _check_page(page: Page) -> None:
    if page.status != 200:
        raise HttpError(page.final_url, f"status {page.status}")
    mime = page.content_type.split(";", 1)[0].strip().lower()
    if mime and mime not in HTML_TYPES:
        raise NotHtml(page.final_url, f"content type {mime}")
    head = page.body[:1024].lstrip().lower()
    if not mime and not (head.startswith(b"<") or b"<html" in head):
        raise NotHtml(page.final_url, "no content type and no markup")


def extract_page(page: Page, config: ExtractConfig) -> Article:
    """Extract one fetched page; raises a PageSkipped subclass naming why it holds no article."""
    _check_page(page)
    html = decode_html(page.body, page.content_type)
    try:
        article, evidence = _extract(html, page.final_url, layout=True)
    except EmptyExtraction as exc:
        _raise_if_listing(page.final_url, html, exc)
        raise
    score, reasons = article_score(page.final_url, evidence, article.published)
    if score < 0:
        raise NotAnArticle(page.final_url, f"score {score}: {', '.join(reasons)}")
    if article.word_count < config.min_words:
        raise TooShort(page.final_url, f"{article.word_count} words < {config.min_words}")
    article.fetched_at = page.fetched_at
    article.warc_file = page.warc_file
    article.warc_offset = page.warc_offset
    article.warc_length = page.warc_length
    article.crawl_id = page.crawl_id
    return article
