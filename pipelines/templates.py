"""Site template learning: a short paragraph that recurs on different stories of one site is template.

The chain calls :func:`remove_templates` on each article before it is stored and
:func:`learn_templates` after (in the main process, next to the store: extraction may run in
worker processes). Evidence is kept per site in the ``site_templates`` table (one row per
normalized paragraph, with the number of distinct stories it was seen in) and
``site_template_stories`` (which stories; so a re-fetched article or a second copy of the
same story never counts twice). A paragraph is template once it has been seen in
``min_stories`` different stories of the site; paragraphs longer than ``max_words`` are
never counted (article prose, quotes shared by copies of one story).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlite_utils import Database

from pipelines.items import Article
from pipelines.language import count_words

if TYPE_CHECKING:
    from pipelines.store import Store

logger = logging.getLogger(__name__)

_DIGITS = re.compile(r"\d+")
_NON_WORD = re.compile(r"[\W_]+")
PARAGRAPH_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class TemplateConfig:
    """Settings of site template learning.

    Reads ``NEWSARC_TEMPLATE_MIN_STORIES`` (a paragraph seen in this many different stories
    of one site is template), ``NEWSARC_TEMPLATE_MAX_WORDS`` (longer paragraphs are never
    template) and ``NEWSARC_TEMPLATE_ENABLED``.
    """

    min_stories: int = 3
    max_words: int = 40
    enabled: bool = True

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> TemplateConfig:
        """Build from Scrapy settings (or any mapping); invalid values raise ValueError."""
        return cls(
            min_stories=_whole(settings, "NEWSARC_TEMPLATE_MIN_STORIES", cls.min_stories, 2),
            max_words=_whole(settings, "NEWSARC_TEMPLATE_MAX_WORDS", cls.max_words, 1),
            enabled=_flag(settings, "NEWSARC_TEMPLATE_ENABLED", cls.enabled),
        )


def _whole(settings: Mapping[str, Any], name: str, default: int, minimum: int) -> int:
    raw = settings.get(name, default)
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isdigit() or int(text) < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, not {raw!r}")
    return int(text)


def _flag(settings: Mapping[str, Any], name: str, default: bool) -> bool:
    raw = settings.get(name, default)
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, not {raw!r}")


# ------------------------------------------------------------------ paragraphs


def normalize_paragraph(paragraph: str) -> str:
    """Case-folded words only, every number as ``0`` (a date bar is the same paragraph daily)."""
    words = _NON_WORD.sub(" ", _DIGITS.sub("0", paragraph)).casefold().split()
    return " ".join(words)


def paragraph_key(paragraph: str) -> str:
    """Stable key of a paragraph: SHA-1 (16 hex digits) of its normalized form."""
    return hashlib.sha1(normalize_paragraph(paragraph).encode("utf-8")).hexdigest()[:16]


def candidates(text: str, config: TemplateConfig) -> Iterator[tuple[str, str]]:
    """(key, paragraph) of the paragraphs of ``text`` short enough to be template."""
    for paragraph in text.split(PARAGRAPH_SEPARATOR):
        words = len(paragraph.split())
        if 0 < words <= config.max_words and normalize_paragraph(paragraph):
            yield paragraph_key(paragraph), paragraph


def known_templates(db: Database, site: str, keys: list[str], config: TemplateConfig) -> set[str]:
    """The keys among ``keys`` that are template on ``site``."""
    if not keys:
        return set()
    marks = ", ".join("?" for _ in keys)
    rows = db.execute(
        "SELECT paragraph_key FROM site_templates WHERE site = ? AND stories >= ? "
        f"AND paragraph_key IN ({marks})",
        [site, config.min_stories, *keys],
    )
    return {row[0] for row in rows}


def strip_templates(db: Database, site: str, text: str, config: TemplateConfig) -> tuple[str, int]:
    """``text`` without the site's template paragraphs, and how many were removed.

    A text made of nothing but template is returned unchanged: removing it all would turn
    an article into an empty one, and the decision is better left to a reader.
    """
    keys = [key for key, _ in candidates(text, config)]
    template = known_templates(db, site, keys, config)
    if not template:
        return text, 0
    paragraphs = text.split(PARAGRAPH_SEPARATOR)
    kept = [p for p in paragraphs if paragraph_key(p) not in template]
    if not any(p.strip() for p in kept):
        logger.debug("%s: text is all template, left as it is", site)
        return text, 0
    return PARAGRAPH_SEPARATOR.join(kept), len(paragraphs) - len(kept)


# ------------------------------------------------------------------ the chain's two calls


def remove_templates(db: Database, article: Article, config: TemplateConfig) -> int:
    """Remove the site's known template paragraphs from ``article`` (text and word count).

    Returns the number of paragraphs removed.
    """
    if not config.enabled:
        return 0
    site = article.site or (urlsplit(article.url).hostname or "").removeprefix("www.")
    text, removed = strip_templates(db, site, article.text, config)
    if removed:
        article.text = text
        article.word_count = count_words(text)
    return removed


def learn_templates(
    db: Database, site: str, story_id: int, text: str, config: TemplateConfig
) -> None:
    """Count the short paragraphs of ``text`` (one story of ``site``) as template evidence."""
    if not config.enabled:
        return
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for key, paragraph in dict(candidates(text, config)).items():
        added = db.execute(
            "INSERT OR IGNORE INTO site_template_stories (site, paragraph_key, story_id) "
            "VALUES (?, ?, ?)",
            [site, key, story_id],
        ).rowcount
        if not added:
            continue
        db.execute(
            "INSERT INTO site_templates (site, paragraph_key, paragraph, stories, first_seen,"
            " last_seen) VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (site, paragraph_key) DO UPDATE"
            " SET stories = stories + 1, last_seen = excluded.last_seen",
            [site, key, paragraph[:500], now, now],
        )


def site_template_rows(
    db: Database, site: str | None, config: TemplateConfig
) -> list[dict[str, Any]]:
    """Known template paragraphs (of one site, or all), most widespread first."""
    where = "WHERE stories >= ?"
    params: list[Any] = [config.min_stories]
    if site:
        where, params = where + " AND site = ?", [*params, site]
    sql = (
        "SELECT site, paragraph, stories FROM site_templates "
        f"{where} ORDER BY site, stories DESC, paragraph"
    )
    return [dict(row) for row in db.query(sql, params)]


def article_from_row(row: Mapping[str, Any]) -> Article:
    """An Article from an ``articles`` row (for re-saving a re-cleaned text through the store)."""
    fields = set(Article.__dataclass_fields__)
    values = {k: v for k, v in row.items() if k in fields}
    tags = values.get("tags")
    values["tags"] = json.loads(tags) if isinstance(tags, str) and tags else []
    return Article(**values)


@dataclass
class RecleanResult:
    """What ``reclean`` did: articles examined, re-saved with a cleaner text, paragraphs removed."""

    examined: int = 0
    recleaned: int = 0
    paragraphs: int = 0


def reclean_store(store: Store, site: str | None, config: TemplateConfig) -> RecleanResult:
    """Remove the now-known template paragraphs from stored articles (of ``site``, or all).

    Each changed article goes back through ``Store.save_article``: text hash, word count,
    FTS (by trigger), the dedup index and the story are updated there, and the previous
    text is kept as a version.
    """
    result = RecleanResult()
    where, params = ("WHERE site = ?", [site]) if site else ("", [])
    sql = f"SELECT id FROM articles {where} ORDER BY id"
    ids = [row[0] for row in store.db.execute(sql, params)]
    for article_id in ids:
        row = next(iter(store.db.query("SELECT * FROM articles WHERE id = ?", [article_id])))
        result.examined += 1
        text, removed = strip_templates(store.db, row["site"], row["text"], config)
        if not removed:
            continue
        article = article_from_row(row)
        article.text, article.word_count = text, count_words(text)
        with store.transaction():
            store.save_article(article)
        result.recleaned += 1
        result.paragraphs += removed
    return result
