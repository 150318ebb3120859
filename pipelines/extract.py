"""Extraction: turn a fetched Page (or a saved HTML file) into a clean Article, or say why not.

trafilatura does the main work (text and metadata); ``pipelines.boilerplate`` prunes
boilerplate blocks before it and cleans the text after it; ``pipelines.language``
identifies the language. This is the only module that imports trafilatura.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
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
from pipelines.errors import EmptyExtraction, HttpError, NotAnArticle, NotHtml, TooShort
from pipelines.items import Article, Page
from pipelines.language import detect_language

logger = logging.getLogger(__name__)

EXTRACTOR_VERSION: str = f"trafilatura-{trafilatura.__version__}+rules-{RULES_VERSION}"

FAVOR_PRECISION = True
"""Measured on aeb-dev (see the extraction report): precision mode scores higher F1."""
MAX_CHAOS = 0.2
"""A declared charset whose decoding charset_normalizer rates messier than this is distrusted."""
HTML_TYPES = ("text/html", "application/xhtml+xml")
ARTICLE_LD_TYPE = re.compile(r"\w*(?:article|posting)|report")
"""JSON-LD types of one article: Article, NewsArticle, ReportageNewsArticle, BlogPosting, …"""
LISTING_LD_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "profilepage"})
LISTING_PATH = re.compile(
    r"/(?:tags?|category|categories|label|labels|topics?|authors?|section|archives?|search)"
    r"(?:/|$)|/page/\d+/?$",
    re.IGNORECASE,
)
ARCHIVE_PATH = re.compile(r"/(?:19|20)\d\d(?:/\d{1,2}){0,2}/?")
DATE_PATH = re.compile(r"/(?:19|20)\d\d[/-](?:0?[1-9]|1[0-2])(?:[/-]|$)|(?:19|20)\d{6}")
SLUG_PATH = re.compile(r"/[^/]*\w+[-_]\w+[-_]\w+[^/]*/?$|\.s?html?$|/\d{5,}[^/]*/?$")
TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·»]\s+")
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
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class ExtractConfig:
    """Settings of the extraction stage.

    Reads ``NEWSARC_EXTRACT_MIN_WORDS`` (articles with fewer words are dropped as TooShort).
    """

    min_words: int = 50

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> ExtractConfig:
        """Build from Scrapy settings (or any mapping); invalid values raise ValueError."""
        raw = settings.get("NEWSARC_EXTRACT_MIN_WORDS", cls.min_words)
        text = str(raw).strip()
        if isinstance(raw, bool) or not text.isdigit():
            raise ValueError(f"NEWSARC_EXTRACT_MIN_WORDS must be a whole number >= 0, not {raw!r}")
        return cls(min_words=int(text))


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


def _meta(tree: lxml.html.HtmlElement, *names: str) -> str | None:
    for name in names:
        for value in tree.xpath(f"//meta[@property='{name}' or @name='{name}']/@content"):
            if str(value).strip():
                return str(value).strip()
    return None


def _ld_types(tree: lxml.html.HtmlElement) -> set[str]:
    """All JSON-LD @type values (lower case), @graph included."""
    types: set[str] = set()
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(str(script))
        except ValueError:
            continue
        for node in _walk_ld(data):
            value = node.get("@type")
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str):
                    types.add(item.lower())
    return types


def _walk_ld(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _walk_ld(item)
    elif isinstance(data, dict):
        yield data
        yield from _walk_ld(data.get("@graph", []))


def _link_density(tree: lxml.html.HtmlElement) -> float:
    """Share of visible text (outside nav/header/footer/aside) that sits inside links."""
    texts = tree.xpath(_TEXT_OUTSIDE_CHROME)
    total = sum(len(t.strip()) for t in texts)
    linked = sum(len(t.strip()) for t in tree.xpath(_TEXT_OUTSIDE_CHROME + "[ancestor::a]"))
    return linked / total if total else 0.0


def _evidence(tree: lxml.html.HtmlElement, url: str) -> PageEvidence:
    canonical = next((str(h).strip() for h in tree.xpath("//link[@rel='canonical']/@href")), None)
    canonical = canonical or _meta(tree, "og:url")
    return PageEvidence(
        og_type=(_meta(tree, "og:type") or "").lower(),
        ld_types=_ld_types(tree),
        canonical=urljoin(url, canonical) if canonical and url else canonical,
        site_name=_meta(tree, "og:site_name"),
        lang=tree.get("lang") or tree.get("xml:lang") or _meta(tree, "og:locale"),
        link_density=_link_density(tree),
        teaser_headings=len(tree.xpath(_TEASER_HEADINGS)),
    )


# ------------------------------------------------------------------ extraction


def site_of(url: str) -> str:
    """Host of ``url`` without ``www.``, lower case, no port."""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def strip_title_suffix(title: str, names: list[str]) -> str:
    """Drop a trailing " | Site" (or " - Site", " – Site", …) when it names the site."""
    wanted = {_squash(n) for n in names if n and _squash(n)}
    parts = TITLE_SEPARATORS.split(title)
    while len(parts) > 1 and _squash(parts[-1]) in wanted:
        separator = list(TITLE_SEPARATORS.finditer(title))[-1]
        title, parts = title[: separator.start()], parts[:-1]
    return title.strip()


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).casefold()


def count_words(text: str) -> int:
    """Whitespace-separated words; in CJK text every two characters count as one word."""
    cjk = len(_CJK.findall(text))
    return len(_CJK.sub(" ", text).split()) + (cjk + 1) // 2


def _run_trafilatura(tree: lxml.html.HtmlElement, url: str | None) -> Any:
    """trafilatura's bare extraction (never its global dedup cache); None when it finds nothing."""
    return trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_precision=FAVOR_PRECISION,
        deduplicate=False,
    )


def _extract(html: str | bytes, url: str | None) -> tuple[Article, PageEvidence, Any]:
    """Shared core: parse, prune, extract, clean; raises EmptyExtraction."""
    page_url = url or ""
    if isinstance(html, bytes):
        html = decode_html(html)
    try:
        tree = _parse(html)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise EmptyExtraction(page_url, f"unparsable HTML: {exc}") from exc
    evidence = _evidence(tree, page_url)
    rules = load_rules()
    fired = prune_tree(tree, rules)
    document = _run_trafilatura(tree, url)
    if document is None or not (document.text or "").strip():
        raise EmptyExtraction(page_url, "trafilatura found no main text")
    cleaned = clean_text(document.text, rules, document.title)
    if not cleaned.text:
        raise EmptyExtraction(page_url, f"nothing left after rules {', '.join(cleaned.removed)}")
    logger.debug("extracted %s: pruned %s, cleaned %s", page_url, fired, cleaned.removed)
    article = _build_article(page_url, document, evidence, cleaned)
    return article, evidence, document


def _build_article(
    url: str, document: Any, evidence: PageEvidence, cleaned: CleanResult
) -> Article:
    site = site_of(url or evidence.canonical or "")
    site_name = evidence.site_name or document.sitename or None
    title = strip_title_suffix(
        document.title or "",
        [site_name or "", site, site.rsplit(".", 1)[0], document.sitename or ""],
    )
    tags = list(dict.fromkeys([*(document.categories or []), *(document.tags or [])]))
    return Article(
        url=url,
        canonical_url=evidence.canonical or url,
        site=site,
        title=title,
        text=cleaned.text,
        author=document.author or None,
        published=document.date or None,
        language=detect_language(cleaned.text, evidence.lang),
        site_name=site_name,
        description=document.description or None,
        tags=[t for t in tags if t],
        source_url=cleaned.source_url,
        word_count=count_words(cleaned.text),
        extractor_version=EXTRACTOR_VERSION,
    )


def extract_html(html: str | bytes, url: str | None, config: ExtractConfig) -> Article:
    """Extract a saved HTML file (assumed to be an article); raises only EmptyExtraction."""
    return _extract(html, url)[0]


# ------------------------------------------------------------------ pages


def _raise_if_listing(url: str, html: str, empty: EmptyExtraction) -> None:
    """An empty extraction of a page with listing evidence is reported as NotAnArticle."""
    try:
        evidence = _evidence(_parse(html), url)
    except (ValueError, lxml.etree.ParserError):
        return
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
        article, evidence, document = _extract(html, page.final_url)
    except EmptyExtraction as exc:
        _raise_if_listing(page.final_url, html, exc)
        raise
    score, reasons = article_score(page.final_url, evidence, document.date)
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
