"""The SQLite store: the one writer of articles, stories, pages and crawls (via sqlite-utils).

Every copy of a story is its own ``articles`` row (its URL is evidence) with a shared
``story_id``; exact copies are found by text hash, near copies by MinHash LSH band keys kept
in ``lsh_buckets`` and confirmed by the estimated Jaccard similarity of stored signatures.
The schema lives in :mod:`pipelines.migrations`; this module only reads and writes rows.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from pipelines.dedup import (
    EMPTY_TEXT_HASH,
    DedupConfig,
    band_keys,
    empty_signature,
    estimated_jaccard,
    from_blob,
    prepare,
    representative,
    signature,
    to_blob,
)
from pipelines.items import Article, Page
from pipelines.migrations import StoreError, open_database
from pipelines.urls import canonicalize_url

__all__ = ["SaveResult", "Store", "StoreError", "utc_now"]

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 50
"""LSH candidates confirmed per article, those sharing the most bands first."""

CRAWL_KINDS = ("crawl", "replay", "demo")

_CONTENT_FIELDS = (
    "canonical_url", "site", "title", "author", "published", "language", "site_name",
    "description", "tags", "source_url", "text", "word_count", "text_hash", "fetched_at",
    "warc_file", "warc_offset", "warc_length", "crawl_id", "extractor_version",
)  # fmt: skip


@dataclass(frozen=True)
class SaveResult:
    """What :meth:`Store.save_article` did with one article."""

    article_id: int
    """Id of the row now holding the article (the existing row for "duplicate-url")."""
    story_id: int
    """Story the article belongs to."""
    outcome: str
    """"new" | "exact-duplicate" | "near-duplicate" | "updated" | "unchanged" | "duplicate-url"."""
    duplicate_of: int | None = None
    """Id of the matched copy (exact, near or same canonical URL), if any."""


def utc_now() -> str:
    """Return the current UTC time as ISO 8601 with a ``Z`` suffix (seconds precision)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    """Articles, stories, pages and crawls in one SQLite file; the chain's single writer.

    ``save_article`` and the other writes commit their own transaction. Readers (search,
    datasette) use their own connections; WAL mode means they never block this writer.
    """

    def __init__(
        self, path: str | Path, dedup: DedupConfig | None = None, *, create: bool = True
    ) -> None:
        """Open (``create=True``: create and migrate) the database at ``path``."""
        self.path = Path(path)
        self.dedup = dedup or DedupConfig()
        self.db = open_database(self.path, create=create)

    def close(self) -> None:
        """Close the connection (uncommitted work is rolled back)."""
        self.db.close()

    def __enter__(self) -> Store:
        """Return the store itself."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the store."""
        self.close()

    def commit(self) -> None:
        """Commit any open transaction (writes already commit themselves for now)."""
        self.db.conn.commit()

    def transaction(self) -> AbstractContextManager[Database]:
        """Group many writes into one transaction (one commit; each save is a savepoint).

        ``with store.transaction(): ...`` commits at the end, or rolls everything back if
        the block raises.
        """
        atomic: AbstractContextManager[Database] = self.db.atomic()
        return atomic

    def _one(self, sql: str, params: list[Any]) -> dict[str, Any] | None:
        """Return the first row of a query as a dict, or None."""
        return next(iter(self.db.query(sql, params)), None)

    # -- crawls and pages ------------------------------------------------------------

    def start_crawl(self, kind: str, args: Mapping[str, Any]) -> str:
        """Record the start of a crawl/replay/demo run and return its new id."""
        if kind not in CRAWL_KINDS:
            raise ValueError(f"crawl kind must be one of {', '.join(CRAWL_KINDS)}, got {kind!r}")
        now = datetime.now(UTC)
        crawl_id = f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
        self.db.execute(
            "INSERT INTO crawls (id, kind, started_at, status, args) VALUES (?, ?, ?, ?, ?)",
            [crawl_id, kind, utc_now(), "running", _json(dict(args))],
        )
        return crawl_id

    def finish_crawl(self, crawl_id: str, status: str, stats: Mapping[str, Any]) -> None:
        """Record the end of a run, its final status and its stats (ValueError if unknown)."""
        cursor = self.db.execute(
            "UPDATE crawls SET finished_at = ?, status = ?, stats = ? WHERE id = ?",
            [utc_now(), status, _json(dict(stats)), crawl_id],
        )
        if cursor.rowcount != 1:
            raise ValueError(f"no crawl with id {crawl_id!r}")

    def record_page(
        self,
        page: Page,
        outcome: str,
        reason: str | None = None,
        article_id: int | None = None,
    ) -> None:
        """Record one fetch with its outcome (stored, duplicate, not-article, too-short, ...)."""
        row = {
            "url": page.url, "final_url": page.final_url, "status": page.status,
            "content_type": page.content_type, "fetched_at": page.fetched_at,
            "outcome": outcome, "reason": reason, "article_id": article_id,
            "etag": page.headers.get("etag"), "last_modified": page.headers.get("last-modified"),
            "warc_file": page.warc_file, "warc_offset": page.warc_offset,
            "warc_length": page.warc_length, "crawl_id": page.crawl_id,
        }  # fmt: skip
        self.db.execute(_insert_sql("pages", row), list(row.values()))

    def page_validators(self, url: str) -> dict[str, str | None] | None:
        """Return the ETag and Last-Modified of the latest successful fetch of ``url``, if any."""
        return self._one(
            "SELECT etag, last_modified FROM pages WHERE (url = ? OR final_url = ?) "
            "AND status = 200 AND (etag IS NOT NULL OR last_modified IS NOT NULL) "
            "ORDER BY id DESC LIMIT 1",
            [url, url],
        )

    # -- articles ----------------------------------------------------------------------

    def has_article(self, url: str) -> bool:
        """Tell whether an article is stored under ``url`` or its canonical form."""
        canonical = canonicalize_url(url)
        row = self._one(
            "SELECT 1 AS found FROM articles WHERE url IN (?, ?) OR canonical_url IN (?, ?) "
            "LIMIT 1",
            [url, canonical, url, canonical],
        )
        return row is not None

    def article_urls(self) -> set[str]:
        """Return every stored article URL and canonical URL (for incremental crawls)."""
        urls: set[str] = set()
        for url, canonical in self.db.execute("SELECT url, canonical_url FROM articles"):
            urls.add(url)
            urls.add(canonical)
        return urls

    def save_article(self, article: Article) -> SaveResult:
        """Store ``article`` (filling canonical_url, site, word_count, text_hash) in its story.

        Outcomes: "unchanged"/"updated" (same URL seen before), "duplicate-url" (another URL
        with the same canonical URL is stored; nothing inserted), "exact-duplicate",
        "near-duplicate" (joins the matched copy's story) or "new" (a new story).
        """
        prepare(article)
        with self.db.atomic():
            existing = self._one(
                "SELECT id, story_id, text_hash, last_seen FROM articles WHERE url = ?",
                [article.url],
            )
            if existing:
                return self._resave(article, existing)
            return self._save_new(article)

    def _save_new(self, article: Article) -> SaveResult:
        """Insert an article whose URL is not stored yet (or report its canonical twin)."""
        twin = self._one(
            "SELECT id, story_id FROM articles WHERE canonical_url = ? OR url = ? "
            "ORDER BY id LIMIT 1",
            [article.canonical_url, article.canonical_url],
        )
        if twin:
            return SaveResult(twin["id"], twin["story_id"], "duplicate-url", twin["id"])
        sig = signature(article.text, self.dedup)
        outcome, story_id, duplicate_of = self._match(article, sig)
        if story_id is None:
            story_id = int(self.db.execute("INSERT INTO stories (copies) VALUES (0)").lastrowid)
        article_id = self._insert(article, story_id)
        self._index(article_id, sig)
        self._refresh_story(story_id)
        return SaveResult(article_id, story_id, outcome, duplicate_of)

    def _resave(self, article: Article, existing: dict[str, Any]) -> SaveResult:
        """Handle a URL seen before: bump last_seen, or replace the text if it changed."""
        seen = max(existing["last_seen"], article.fetched_at or utc_now())
        if existing["text_hash"] == article.text_hash:
            self.db.execute(
                "UPDATE articles SET last_seen = ? WHERE id = ?", [seen, existing["id"]]
            )
            return SaveResult(existing["id"], existing["story_id"], "unchanged")
        row = _row(article)
        values = {name: row[name] for name in _CONTENT_FIELDS} | {"last_seen": seen}
        assignments = ", ".join(f"{name} = ?" for name in values)
        self.db.execute(
            f"UPDATE articles SET {assignments} WHERE id = ?",
            [*values.values(), existing["id"]],
        )
        self._unindex(existing["id"])
        self._index(existing["id"], signature(article.text, self.dedup))
        self._refresh_story(existing["story_id"])
        return SaveResult(existing["id"], existing["story_id"], "updated")

    def _match(self, article: Article, sig: Any) -> tuple[str, int | None, int | None]:
        """Return (outcome, story id, matched article id) for a copy, or ("new", None, None)."""
        if article.text_hash == EMPTY_TEXT_HASH:
            return "new", None, None
        exact = self._one(
            "SELECT id, story_id FROM articles WHERE text_hash = ? "
            "ORDER BY is_representative DESC, id LIMIT 1",
            [article.text_hash],
        )
        if exact:
            return "exact-duplicate", exact["story_id"], exact["id"]
        near = self._nearest(sig)
        if near:
            return "near-duplicate", near["story_id"], near["id"]
        return "new", None, None

    def _nearest(self, sig: Any) -> dict[str, Any] | None:
        """Return the stored article most similar to ``sig`` above the threshold, if any."""
        if empty_signature(sig):
            return None
        keys = band_keys(sig, self.dedup)
        marks = ", ".join("?" * len(keys))
        rows = self.db.query(
            f"""SELECT m.article_id AS id, m.signature, a.story_id
            FROM (SELECT article_id, count(*) AS bands FROM lsh_buckets
                  WHERE band_key IN ({marks}) GROUP BY article_id
                  ORDER BY bands DESC, article_id LIMIT {MAX_CANDIDATES}) AS c
            JOIN minhashes AS m ON m.article_id = c.article_id
            JOIN articles AS a ON a.id = c.article_id""",
            keys,
        )
        scored = [(estimated_jaccard(sig, from_blob(row["signature"])), -row["id"], row)
                  for row in rows]  # fmt: skip
        best = max(scored, key=lambda item: item[:2], default=None)
        if best is None or best[0] < self.dedup.threshold:
            return None
        logger.debug("near copy of article %s (estimated Jaccard %.3f)", best[2]["id"], best[0])
        return dict(best[2])

    def _insert(self, article: Article, story_id: int) -> int:
        """Insert the article row and return its id."""
        seen = article.fetched_at or utc_now()
        row = _row(article) | {"story_id": story_id, "first_seen": seen, "last_seen": seen}
        return int(self.db.execute(_insert_sql("articles", row), list(row.values())).lastrowid)

    def _index(self, article_id: int, sig: Any) -> None:
        """Store the signature and its LSH band keys for ``article_id``."""
        self.db.execute(
            "INSERT OR REPLACE INTO minhashes (article_id, signature) VALUES (?, ?)",
            [article_id, to_blob(sig)],
        )
        if empty_signature(sig):
            return
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO lsh_buckets (band_key, article_id) VALUES (?, ?)",
            [(key, article_id) for key in band_keys(sig, self.dedup)],
        )

    def _unindex(self, article_id: int) -> None:
        """Remove the signature and band keys of ``article_id`` (by primary key, no scan)."""
        row = self._one("SELECT signature FROM minhashes WHERE article_id = ?", [article_id])
        if row is None:
            return
        keys = band_keys(from_blob(row["signature"]), self.dedup)
        self.db.conn.executemany(
            "DELETE FROM lsh_buckets WHERE band_key = ? AND article_id = ?",
            [(key, article_id) for key in keys],
        )
        self.db.execute("DELETE FROM minhashes WHERE article_id = ?", [article_id])

    def _refresh_story(self, story_id: int) -> None:
        """Recompute a story's representative, title, first date and counts."""
        copies = list(
            self.db.query(
                "SELECT id, url, canonical_url, site, title, published, source_url, "
                "length(text) AS length FROM articles WHERE story_id = ?",
                [story_id],
            )
        )
        rep = representative(copies)
        chosen = next(c for c in copies if c["id"] == rep)
        self.db.execute(
            "UPDATE articles SET is_representative = (id = ?) "
            "WHERE story_id = ? AND is_representative != (id = ?)",
            [rep, story_id, rep],
        )
        dates = [c["published"] for c in copies if c["published"]]
        self.db.execute(
            "UPDATE stories SET representative_id = ?, title = ?, first_published = ?, "
            "copies = ?, sites = ? WHERE id = ?",
            [rep, chosen["title"], min(dates, default=None), len(copies),
             len({c["site"] for c in copies}), story_id],
        )  # fmt: skip


def _row(article: Article) -> dict[str, Any]:
    """Return the ``articles`` columns of an article (without story and seen times)."""
    return {
        "url": article.url, "canonical_url": article.canonical_url, "site": article.site,
        "title": article.title, "author": article.author, "published": article.published,
        "language": article.language, "site_name": article.site_name,
        "description": article.description, "tags": _json(list(article.tags)),
        "source_url": article.source_url, "text": article.text,
        "word_count": article.word_count, "text_hash": article.text_hash,
        "fetched_at": article.fetched_at, "warc_file": article.warc_file,
        "warc_offset": article.warc_offset, "warc_length": article.warc_length,
        "crawl_id": article.crawl_id, "extractor_version": article.extractor_version,
    }  # fmt: skip


def _insert_sql(table: str, row: Mapping[str, Any]) -> str:
    """Return an INSERT statement for the (trusted, fixed) column names of ``row``."""
    columns = ", ".join(row)
    marks = ", ".join("?" * len(row))
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})"


def _json(value: Any) -> str:
    """Serialise settings/stats to JSON (datetimes and other objects as strings)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
