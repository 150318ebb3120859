"""The SQLite store: the one writer of articles, stories, pages and crawls (via sqlite-utils).

Every copy of a story is its own ``articles`` row (its URL is evidence) with a shared
``story_id``; exact copies are found by text hash, near copies by MinHash LSH band keys kept
in ``lsh_buckets`` and confirmed by the estimated Jaccard similarity of stored signatures
(:mod:`pipelines.stories` groups them, independently of arrival order). A changed text at a
known URL keeps the earlier one in ``article_versions``. New articles enter the FTS5 index
once per transaction. The schema lives in :mod:`pipelines.migrations`; this module only
reads and writes rows.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from pipelines import stories, versions
from pipelines.checkpoint import Checkpointer
from pipelines.dedup import (
    EMPTY_TEXT_HASH,
    DedupConfig,
    lookup_key,
    lsh_keys,
    prepare,
    signature,
)
from pipelines.items import Article, Page
from pipelines.migrations import StoreError, open_database
from pipelines.urls import canonicalize_url

__all__ = ["SaveResult", "Store", "StoreError", "utc_now"]

logger = logging.getLogger(__name__)

CRAWL_KINDS = ("crawl", "replay", "demo")

_LOOKUP_COLUMNS = ("id", "story_id", "text_hash", "fetched_at", "last_seen")

DEFAULT_CACHE_MB = 256
FTS_MERGE_SECONDS = 3.0
"""Time a run spends at its end merging FTS5 index segments (:meth:`Store.merge_fts`)."""
"""SQLite page cache per connection, in MiB (``NEWSARC_STORE_CACHE_MB``)."""


_CONTENT_FIELDS = (
    "canonical_url", "site", "title", "author", "published", "language", "site_name",
    "description", "tags", "source_url", "text", "word_count", "text_hash", "fetched_at",
    "warc_file", "warc_offset", "warc_length", "crawl_id", "extractor_version",
    "canonical_key", "text_key",
)  # fmt: skip


_UNDO_FRESH = (
    "DELETE FROM stories WHERE id = ?",
    "DELETE FROM lsh_recent WHERE article_id = ?",
    "DELETE FROM minhashes WHERE article_id = ?",
)
"""What :meth:`Store._save_fresh` may have written before its article row, to delete."""


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
        self,
        path: str | Path,
        dedup: DedupConfig | None = None,
        *,
        create: bool = True,
        cache_mb: int = DEFAULT_CACHE_MB,
    ) -> None:
        """Open (``create=True``: create and migrate) the database at ``path``.

        ``cache_mb``: SQLite page cache of this connection (a writer inserting LSH keys and
        FTS postings at random places of a large file needs its hot pages in memory).
        """
        if cache_mb < 1:
            raise ValueError(f"cache_mb must be >= 1, got {cache_mb!r}")
        self.path = Path(path)
        self.dedup = dedup or DedupConfig()
        self.db = open_database(self.path, create=create)
        self.db.execute(f"PRAGMA cache_size = {-1024 * int(cache_mb)}")
        self._fts_watermark: int | None = None
        """Articles with a larger id are not in the FTS index yet (inside a transaction)."""
        self.recent_keys = stories.RecentKeys()
        """This writer's copy of the LSH write buffer (``lsh_recent``), read at each
        transaction's start."""
        self._next_id: int | None = None
        """Id of the next new article in the open transaction (None: read it from the table)."""
        self.checkpointer: Checkpointer | None = None
        """Copies the WAL into the file in the background, from this store's first write
        transaction on (the writer's own automatic checkpoint is then off)."""

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], *, create: bool = True) -> Store:
        """Open the store named by ``NEWSARC_STORE_PATH`` with ``NEWSARC_DEDUP_*`` settings and
        ``NEWSARC_STORE_CACHE_MB``.

        Raises ValueError naming the setting and the value when one is invalid.
        """
        path = settings.get("NEWSARC_STORE_PATH") or "news.db"
        raw = settings.get("NEWSARC_STORE_CACHE_MB") or DEFAULT_CACHE_MB
        try:
            cache_mb = int(raw)
        except (TypeError, ValueError):
            raise ValueError(f"invalid NEWSARC_STORE_CACHE_MB={raw!r}: expected int") from None
        if cache_mb < 1:
            raise ValueError(f"invalid NEWSARC_STORE_CACHE_MB={raw!r}: must be >= 1")
        dedup = DedupConfig.from_settings(settings)
        return cls(path, dedup, create=create, cache_mb=cache_mb)

    def close(self) -> None:
        """Close the connection (uncommitted work is rolled back; SQLite copies the WAL
        into the file as the last connection closes)."""
        if self.checkpointer is not None:
            self.checkpointer.close()
            self.checkpointer = None
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

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """Group many writes into one transaction (one commit; each save is a savepoint).

        ``with store.transaction(): ...`` commits at the end, or rolls everything back if
        the block raises. New articles enter the FTS index in one statement just before
        the commit (FTS5 would otherwise flush its pending terms at every savepoint).
        """
        with self._atomic():
            outermost = self._fts_watermark is None
            if outermost:
                self._fts_watermark = self._max_article_id()
                self.recent_keys.sync(self.db)
            mark = self.recent_keys.mark()
            try:
                yield self.db
                if outermost:
                    self.recent_keys.commit(self.db)
                    self._sync_fts()
            except BaseException:
                if outermost:
                    self.recent_keys.abort()
                else:
                    self.recent_keys.rollback(mark)
                self._next_id = None
                raise
            finally:
                if outermost:
                    self._fts_watermark = self._next_id = None

    @contextmanager
    def _atomic(self) -> Iterator[None]:
        """BEGIN IMMEDIATE/COMMIT, or a savepoint when a transaction is open (one fixed name,
        so the statements stay in the connection's statement cache; SQLite nests same-name
        savepoints, RELEASE and ROLLBACK TO act on the innermost). IMMEDIATE takes the write
        lock first (waiting up to busy_timeout for another writer), so everything the
        transaction reads is current until it commits."""
        conn = self.db.conn
        if not conn.in_transaction:
            checkpointer = self._checkpointer()
            checkpointer.rewind_point()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                conn.rollback()
                raise
            try:
                conn.execute("COMMIT")
            except BaseException:
                conn.rollback()
                raise
            checkpointer.committed()
            return
        conn.execute("SAVEPOINT newsarc_save")
        try:
            yield
        except BaseException:
            if conn.in_transaction:  # a failed statement may have ended the transaction
                conn.execute("ROLLBACK TO SAVEPOINT newsarc_save")
                conn.execute("RELEASE SAVEPOINT newsarc_save")
            raise
        conn.execute("RELEASE SAVEPOINT newsarc_save")

    def checkpoint(self) -> bool:
        """Copy all of the WAL into the database file now and empty it (the background
        checkpoints are held meanwhile); False if a reader still uses part of it."""
        if self._fts_watermark is not None:
            raise RuntimeError("checkpoint inside a transaction")
        held = self.checkpointer.paused() if self.checkpointer else nullcontext()
        with held:
            busy = self.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        return not busy

    def _checkpointer(self) -> Checkpointer:
        """The background checkpointer, started (and the automatic one stopped) at the first
        write transaction: a store opened to read never starts a thread."""
        if self.checkpointer is None:
            self.db.conn.execute("PRAGMA wal_autocheckpoint = 0")
            self.checkpointer = Checkpointer(self.path)
        return self.checkpointer

    def _max_article_id(self) -> int:
        return int(self.db.conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0])

    def _sync_fts(self) -> None:
        """Index the articles inserted since the watermark (title and text) in FTS5."""
        if self._fts_watermark is None:
            return
        self.db.conn.execute(
            "INSERT INTO articles_fts (rowid, title, text) "
            "SELECT id, title, text FROM articles WHERE id > ? ORDER BY id",
            [self._fts_watermark],
        )
        self._fts_watermark = self._max_article_id()

    def _one(self, sql: str, params: list[Any]) -> dict[str, Any] | None:
        """Return the first row of a query as a dict, or None."""
        cursor = self.db.conn.execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cursor.description], row, strict=True))

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
        """Record the end of a run, its final status and its stats (ValueError if unknown);
        a finished run then tidies the FTS index for a few seconds (:meth:`merge_fts`)."""
        cursor = self.db.execute(
            "UPDATE crawls SET finished_at = ?, status = ?, stats = ? WHERE id = ?",
            [utc_now(), status, _json(dict(stats)), crawl_id],
        )
        if cursor.rowcount != 1:
            raise ValueError(f"no crawl with id {crawl_id!r}")
        if self._fts_watermark is None:  # not inside a caller's transaction
            self.db.conn.commit()
            if status == "finished":  # not on Ctrl-C, a failure or a skip: exit promptly
                self.merge_fts()

    def merge_fts(self, seconds: float = FTS_MERGE_SECONDS, pages: int = 500) -> int:
        """Merge FTS5 index segments, ``pages`` leaf pages a step and one transaction per
        step, for at most ``seconds`` or until FTS5 has nothing left to merge; return the
        steps that did work. Every transaction adds a segment, and a search reads each one:
        at 100,000 articles, merging them all took search p95 from 22 to 14 ms. A reader
        waits for one step at most; a crash loses nothing but the step under way."""
        if self._fts_watermark is not None:
            raise RuntimeError("merge_fts inside a transaction")
        conn, steps = self.db.conn, 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            before = conn.total_changes
            with self.transaction():
                conn.execute(
                    "INSERT INTO articles_fts (articles_fts, rank) VALUES ('merge', ?)", [pages]
                )
            if conn.total_changes - before < 2:  # FTS5's sign that there was nothing to do
                break
            steps += 1
        return steps

    def link_warc_record(self, article_id: int, page: Page) -> None:
        """Record the page's WARC record id and payload digest on the article it produced."""
        if page.warc_record_id is None:
            return
        self.db.execute(
            "UPDATE articles SET warc_record_id = ?, warc_payload_digest = ? "
            "WHERE id = ? AND warc_file = ? AND warc_offset = ?",
            [
                page.warc_record_id,
                page.warc_payload_digest,
                article_id,
                page.warc_file,
                page.warc_offset,
            ],
        )

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
        """Tell whether an article is stored under ``url``, its canonical form, or was
        reached from ``url`` through a redirect (a recorded page that led to an article)."""
        canonical = canonicalize_url(url)
        keys = [lookup_key(url), lookup_key(canonical)]
        row = self._one(
            "SELECT 1 AS found FROM articles WHERE (url_key IN (?1, ?2) AND url IN (?3, ?4))"
            " OR (canonical_key IN (?1, ?2) AND canonical_key != url_key"
            " AND canonical_url IN (?3, ?4))"
            " UNION ALL SELECT 1 FROM pages WHERE url IN (?3, ?4) AND article_id IS NOT NULL"
            " LIMIT 1",
            [*keys, url, canonical],
        )
        return row is not None

    def article_urls(self) -> set[str]:
        """Return every stored article URL and canonical URL, and every requested URL that
        redirected to a stored article (for incremental crawls)."""
        urls: set[str] = set()
        for url, canonical in self.db.execute("SELECT url, canonical_url FROM articles"):
            urls.add(url)
            urls.add(canonical)
        for (url,) in self.db.execute(
            "SELECT DISTINCT url FROM pages WHERE article_id IS NOT NULL AND url != final_url"
        ):
            urls.add(url)
        return urls

    def save_article(self, article: Article) -> SaveResult:
        """Store ``article`` (filling canonical_url, site, word_count, text_hash) in its story.

        Outcomes: "unchanged" (same URL and text), "updated" (same URL, new text: the old
        one goes to ``article_versions``), "older-version" (same URL, a text fetched before
        the current one: kept in ``article_versions`` only), "duplicate-url" (another URL
        with the same canonical URL is stored; nothing inserted), "exact-duplicate",
        "near-duplicate" (joins, and if need be merges, the matched stories) or "new".
        """
        prepare(article)
        if self._fts_watermark is None:  # no batch open: a transaction of its own
            with self.transaction():
                return self._save(article)
        return self._save(article)

    def _save(self, article: Article) -> SaveResult:
        """Save inside the open transaction. A text that is no copy of anything stored (most
        of them) is written without a savepoint, by :meth:`_save_fresh`; every other case in
        a savepoint of its own, so that a failed save leaves the batch as it was."""
        existing, twin, exact = self._lookup(article)
        near = None
        if not (existing or twin or exact):
            sig, keys = self._signature(article)
            near = (sig, keys, stories.similar(self.db, sig, self.dedup, keys, self.recent_keys))
            if not near[2]:
                return self._save_fresh(article, sig, keys)
        with self.transaction():
            if existing:
                return self._resave(article, existing)
            return self._save_new(article, twin, exact, near)

    def _save_fresh(self, article: Article, sig: Any, keys: list[int]) -> SaveResult:
        """Insert a text that matched nothing, as a story of its own, without a savepoint:
        a savepoint made SQLite copy every page the save touched (measured at 150,000
        articles: 1,105 -> 882 us of CPU an article without). The article row is written
        last, so a failure leaves at most the rows written before it, which are deleted
        here (the FTS index, filled at the commit, never saw the article)."""
        article_id = self._new_id()
        mark = self.recent_keys.mark()
        row = self._article_row(article, article_id, article_id, is_representative=True)
        try:
            stories.index(self.db, article_id, sig, self.dedup, keys, recent=self.recent_keys)
            stories.create(self.db, article_id, row)
            self.db.conn.execute(_insert_sql("articles", row), list(row.values()))
        except BaseException:
            self.recent_keys.rollback(mark)
            self._next_id = None
            conn = self.db.conn
            if conn.in_transaction:  # a failed statement may have ended it
                try:
                    for sql in _UNDO_FRESH:
                        conn.execute(sql, [article_id])
                except BaseException:
                    conn.rollback()  # never commit half an article: the batch is lost
                    raise
            raise
        return SaveResult(article_id, article_id, "new")

    def _lookup(
        self, article: Article
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, Any] | None]:
        """One query for the three rows a save starts from: the row stored under the URL, the
        first row under the canonical URL (as URL or canonical URL), the first exact copy."""
        digest = None if article.text_hash == EMPTY_TEXT_HASH else article.text_hash
        found: list[dict[str, Any] | None] = [None, None, None]
        for kind, *values in self.db.conn.execute(
            "SELECT 0, id, story_id, text_hash, fetched_at, last_seen FROM articles"
            " WHERE url_key = ?1 AND url = ?2"
            " UNION ALL SELECT * FROM (SELECT 1, id, story_id, NULL, NULL, NULL FROM articles"
            " WHERE (canonical_key = ?3 AND canonical_key != url_key AND canonical_url = ?4)"
            " OR (url_key = ?3 AND url = ?4)"
            " ORDER BY id LIMIT 1)"
            " UNION ALL SELECT * FROM (SELECT 2, id, story_id, NULL, NULL, NULL FROM articles"
            " WHERE text_key = ?5 AND text_hash = ?6 ORDER BY id LIMIT 1)",
            [lookup_key(article.url), article.url, lookup_key(article.canonical_url),
             article.canonical_url, lookup_key(digest or ""), digest],
        ):  # fmt: skip
            names = _LOOKUP_COLUMNS if kind == 0 else _LOOKUP_COLUMNS[:2]
            found[kind] = dict(zip(names, values, strict=False))
        existing, twin, exact = found
        return existing, twin, exact

    def _save_new(
        self,
        article: Article,
        twin: dict[str, Any] | None,
        exact: dict[str, Any] | None,
        near: tuple[Any, list[int], list[dict[str, Any]]] | None = None,
    ) -> SaveResult:
        """Insert an article whose URL is not stored yet (or report its canonical twin);
        ``twin`` and ``exact`` are the rows :meth:`_lookup` found, ``near`` the signature,
        band keys and near copies when already looked up."""
        if twin:
            return SaveResult(twin["id"], twin["story_id"], "duplicate-url", twin["id"])
        article_id = self._new_id()
        outcome, story_ids, duplicate_of = self._link(article, article_id, exact, near)
        story_id = min(story_ids, default=article_id)
        row = self._insert(article, article_id, story_id, is_representative=not story_ids)
        if story_ids:
            story_id = stories.merge(self.db, story_ids)
            stories.refresh(self.db, story_id)
        else:
            stories.create(self.db, article_id, row)
        return SaveResult(article_id, story_id, outcome, duplicate_of)

    def _new_id(self) -> int:
        """The id of the next article row (counted in memory within a transaction)."""
        if self._next_id is None:
            self._next_id = self._max_article_id() + 1
        self._next_id += 1
        return self._next_id - 1

    def _link(
        self,
        article: Article,
        article_id: int,
        exact: dict[str, Any] | bool | None = False,
        near: tuple[Any, list[int], list[dict[str, Any]]] | None = None,
    ) -> tuple[str, set[int], int | None]:
        """Find the stories ``article`` belongs to; index its text if it is a new text.

        ``exact``: the first exact copy (None: there is none) when the caller looked it up
        already, False when not; ``near``: (signature, band keys, near copies) when looked
        up already. Returns (outcome, story ids to merge, matched article id).
        """
        if exact is False and article.text_hash != EMPTY_TEXT_HASH:
            exact = self._first_copy(article.text_hash, article_id)
        if exact:
            return "exact-duplicate", {exact["story_id"]}, exact["id"]
        if near is None:
            sig, keys = self._signature(article)
            matches = stories.similar(self.db, sig, self.dedup, keys, self.recent_keys)
        else:
            sig, keys, matches = near
        stories.index(self.db, article_id, sig, self.dedup, keys, recent=self.recent_keys)
        if not matches:
            return "new", set(), None
        if len({m["story_id"] for m in matches}) > 1:
            logger.debug("article %s links %d stories: merged", article_id, len(matches))
        return "near-duplicate", {m["story_id"] for m in matches}, matches[0]["id"]

    def _signature(self, article: Article) -> tuple[Any, list[int]]:
        """The article's MinHash signature and band keys: those its extraction worker computed
        when still valid for the text and the config, else computed here."""
        if article.precomputed is not None:
            found = article.precomputed.for_text(article.text, self.dedup)
            if found is not None:
                return found
        sig = signature(article.text, self.dedup)
        return sig, lsh_keys(sig, self.dedup)

    def _resave(self, article: Article, existing: dict[str, Any]) -> SaveResult:
        """Handle a URL seen before: bump last_seen, keep an older text as a version, or make
        a newer text current (the old one goes to ``article_versions``)."""
        article_id, story_id = existing["id"], existing["story_id"]
        seen = max(existing["last_seen"], article.fetched_at or utc_now())
        if existing["text_hash"] == article.text_hash:
            self.db.execute("UPDATE articles SET last_seen = ? WHERE id = ?", [seen, article_id])
            return SaveResult(article_id, story_id, "unchanged")
        if (
            article.fetched_at
            and existing["fetched_at"]
            and (article.fetched_at < existing["fetched_at"])
        ):
            versions.keep(self.db, article_id, _row(article), existing["fetched_at"])
            return SaveResult(article_id, story_id, "older-version")
        versions.keep_current(self.db, article_id, article.fetched_at or utc_now())
        if self._fts_watermark is not None and article_id > self._fts_watermark:
            self._sync_fts()  # the update trigger removes the old text from the index
        self._release_index(article_id, existing["text_hash"])
        row = _row(article)
        values = {name: row[name] for name in _CONTENT_FIELDS} | {"last_seen": seen}
        assignments = ", ".join(f"{name} = ?" for name in values)
        self.db.execute(
            f"UPDATE articles SET {assignments} WHERE id = ?", [*values.values(), article_id]
        )
        _, linked, _ = self._link(article, article_id)
        story_id = stories.merge(self.db, {story_id, *linked})
        stories.refresh(self.db, story_id)
        return SaveResult(article_id, story_id, "updated")

    def _first_copy(self, digest: str, article_id: int) -> dict[str, Any] | None:
        """The first article other than ``article_id`` whose text hash is ``digest``."""
        return self._one(
            "SELECT id, story_id FROM articles WHERE text_key = ? AND text_hash = ? "
            "AND id != ? ORDER BY id LIMIT 1",
            [lookup_key(digest), digest, article_id],
        )

    def _release_index(self, article_id: int, old_hash: str) -> None:
        """Before an article's text changes: hand its signature to an exact copy of the old
        text, if one is stored, or drop it."""
        heir = self._first_copy(old_hash, article_id)
        if heir:
            stories.move_index(self.db, article_id, heir["id"], self.dedup, self.recent_keys)
        else:
            stories.unindex(self.db, article_id, self.dedup, self.recent_keys)

    def _insert(
        self, article: Article, article_id: int, story_id: int, *, is_representative: bool
    ) -> dict[str, Any]:
        """Insert the article row under ``article_id``; return the row."""
        row = self._article_row(article, article_id, story_id, is_representative=is_representative)
        self.db.conn.execute(_insert_sql("articles", row), list(row.values()))
        return row

    @staticmethod
    def _article_row(
        article: Article, article_id: int, story_id: int, *, is_representative: bool
    ) -> dict[str, Any]:
        """The ``articles`` row of a new article."""
        seen = article.fetched_at or utc_now()
        return {"id": article_id, **_row(article), "story_id": story_id, "first_seen": seen,
                "last_seen": seen, "is_representative": int(is_representative)}  # fmt: skip


def _row(article: Article) -> dict[str, Any]:
    """Return the ``articles`` columns of an article (without story and seen times)."""
    return {
        "url": article.url, "canonical_url": article.canonical_url, "site": article.site,
        "title": article.title, "author": article.author, "published": article.published,
        "language": article.language, "site_name": article.site_name,
        "description": article.description,
        "tags": _json(list(article.tags)) if article.tags else "[]",
        "source_url": article.source_url, "text": article.text,
        "word_count": article.word_count, "text_hash": article.text_hash,
        "fetched_at": article.fetched_at, "warc_file": article.warc_file,
        "warc_offset": article.warc_offset, "warc_length": article.warc_length,
        "crawl_id": article.crawl_id, "extractor_version": article.extractor_version,
        "url_key": lookup_key(article.url), "canonical_key": lookup_key(article.canonical_url),
        "text_key": lookup_key(article.text_hash),
    }  # fmt: skip


def _insert_sql(table: str, row: Mapping[str, Any]) -> str:
    """Return an INSERT statement for the (trusted, fixed) column names of ``row``."""
    return _insert_statement(table, tuple(row))


@lru_cache(maxsize=64)
def _insert_statement(table: str, columns: tuple[str, ...]) -> str:
    """The INSERT of ``columns`` into ``table`` (built once: an article's has 31 columns)."""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def _json(value: Any) -> str:
    """Serialise settings/stats to JSON (datetimes and other objects as strings)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
