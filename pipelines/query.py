"""Read-side queries for the command line: search, show, stories, stats, export.

Every function takes a :class:`pipelines.store.Store` or a ``sqlite_utils.Database`` and
only reads (the FTS integrity check in :func:`stats` is FTS5's read-only 'integrity-check').
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from pipelines.store import Store
from pipelines.urls import canonicalize_url

EXPORT_FIELDS = (
    "url", "canonical_url", "site", "title", "author", "published", "language", "text",
    "story_id", "is_representative", "warc_file", "warc_offset",
)  # fmt: skip
"""Fields of every exported row, in this order."""

_FTS_ERRORS = ("fts5", "syntax error", "no such column", "unterminated", "unknown special query")


class QueryError(Exception):
    """A search query or filter the database cannot run (one-line message for the CLI)."""


def _db(store: Store | Database) -> Database:
    """Return the sqlite-utils Database behind ``store``."""
    return store.db if isinstance(store, Store) else store


def _check_date(name: str, value: str | None) -> None:
    """Raise QueryError unless ``value`` is None or an ISO 8601 date/timestamp."""
    if value is None:
        return
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise QueryError(f"bad --{name} date {value!r}: expected YYYY-MM-DD") from None


_SEARCH_SQL = """
WITH hits AS (
    SELECT a.id, a.url, a.site, a.title, a.published, a.story_id,
           snippet(articles_fts, 1, '[', ']', '…', 12) AS snippet,
           bm25(articles_fts) AS rank
    FROM articles_fts JOIN articles AS a ON a.id = articles_fts.rowid
    WHERE articles_fts MATCH :query {filters}
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY story_id ORDER BY rank, id) AS position
    FROM hits
)
SELECT r.id, r.url, r.site, r.title, r.published, r.story_id, r.snippet, r.rank,
       coalesce(s.copies, 1) AS copies
FROM ranked AS r LEFT JOIN stories AS s ON s.id = r.story_id
WHERE r.position = 1
ORDER BY r.rank, r.id
LIMIT :limit
"""


def search(
    store: Store | Database,
    query: str,
    *,
    site: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Full-text search (FTS5 syntax) over titles and texts, best bm25 rank first.

    One row per story (its best-ranked matching copy) with the story's ``copies`` count.
    ``since``/``until`` are inclusive ISO dates compared with ``published`` (articles without
    a date are then left out). A malformed query raises QueryError.
    """
    _check_date("since", since)
    _check_date("until", until)
    filters, params = [], {"query": query, "limit": limit}
    if site:
        filters.append("AND a.site = :site")
        params["site"] = site.lower().removeprefix("www.")
    if since:
        filters.append("AND a.published >= :since")
        params["since"] = since
    if until:
        filters.append("AND substr(a.published, 1, length(:until)) <= :until")
        params["until"] = until
    sql = _SEARCH_SQL.format(filters=" ".join(filters))
    try:
        return list(_db(store).query(sql, params))
    except sqlite3.OperationalError as exc:
        if any(marker in str(exc).lower() for marker in _FTS_ERRORS):
            raise QueryError(f"bad search query {query!r}: {exc}") from None
        raise


def get_article(store: Store | Database, id_or_url: str) -> dict[str, Any] | None:
    """Return one article by numeric id, URL or canonical URL, with its story's other copies.

    ``tags`` is decoded to a list; ``copies`` lists the other rows of the story as dicts
    with id, url and site.
    """
    db = _db(store)
    key = id_or_url.strip()
    if key.isdigit():
        rows = db.query("SELECT * FROM articles WHERE id = ?", [int(key)])
    else:
        rows = db.query(
            "SELECT * FROM articles WHERE url = ? OR canonical_url = ? OR canonical_url = ? "
            "ORDER BY url = ? DESC, id LIMIT 1",
            [key, key, canonicalize_url(key), key],
        )
    first = next(iter(rows), None)
    if first is None:
        return None
    article = dict(first)
    article["tags"] = json.loads(article["tags"] or "[]")
    article["copies"] = list(
        db.query(
            "SELECT id, url, site FROM articles WHERE story_id = ? AND id != ? ORDER BY id",
            [article["story_id"], article["id"]],
        )
    )
    return article


def list_stories(
    store: Store | Database, limit: int = 20, *, min_copies: int = 1
) -> list[dict[str, Any]]:
    """Return stories, most copies first, then most recent: id, title, copies, sites,
    first_published, representative_url and the ``urls`` of all copies."""
    db = _db(store)
    stories = list(
        db.query(
            "SELECT s.id, s.title, s.copies, s.sites, s.first_published, "
            "a.url AS representative_url FROM stories AS s "
            "LEFT JOIN articles AS a ON a.id = s.representative_id "
            "WHERE s.copies >= ? "
            "ORDER BY s.copies DESC, s.first_published DESC, s.id LIMIT ?",
            [min_copies, limit],
        )
    )
    for story in stories:
        story["urls"] = [
            row["url"]
            for row in db.query(
                "SELECT url FROM articles WHERE story_id = ? "
                "ORDER BY is_representative DESC, id",
                [story["id"]],
            )
        ]
    return stories


def _scalar(db: Database, sql: str) -> Any:
    """Return the first column of the first row of ``sql``."""
    return db.execute(sql).fetchone()[0]


def fts_consistent(store: Store | Database) -> bool:
    """Tell whether the FTS index matches the articles table.

    Compares the index's own row count (``articles_fts_docsize``; ``count(*)`` on an
    external-content table would read ``articles``) and runs FTS5's 'integrity-check'
    with rank 1, which also compares the index with the content table.
    """
    db = _db(store)
    articles = _scalar(db, "SELECT count(*) FROM articles")
    if articles != _scalar(db, "SELECT count(*) FROM articles_fts_docsize"):
        return False
    was_in_transaction = db.conn.in_transaction
    try:
        db.conn.execute(
            "INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)"
        )
    except sqlite3.DatabaseError:
        return False
    finally:
        if not was_in_transaction and db.conn.in_transaction:
            db.conn.rollback()
    return True


def stats(store: Store | Database) -> dict[str, Any]:
    """Return counts for ``newsarc stats``: articles, stories, duplicates, pages (by
    outcome), crawls, articles per site, FTS consistency and the database size in bytes."""
    db = _db(store)
    articles = _scalar(db, "SELECT count(*) FROM articles")
    stories = _scalar(db, "SELECT count(*) FROM stories")
    by_outcome = db.execute("SELECT outcome, count(*) FROM pages GROUP BY outcome ORDER BY 2 DESC")
    by_site = db.execute("SELECT site, count(*) FROM articles GROUP BY site ORDER BY 2 DESC, 1")
    return {
        "articles": articles,
        "stories": stories,
        "duplicates": articles - stories,
        "pages": _scalar(db, "SELECT count(*) FROM pages"),
        "pages_by_outcome": dict(by_outcome.fetchall()),
        "crawls": _scalar(db, "SELECT count(*) FROM crawls"),
        "sites": dict(by_site.fetchall()),
        "fts_consistent": fts_consistent(db),
        "db_size": _scalar(db, "SELECT page_count * page_size FROM pragma_page_count, "
                               "pragma_page_size"),
    }  # fmt: skip


def export_rows(store: Store | Database) -> Iterator[dict[str, Any]]:
    """Yield every article in id order with exactly :data:`EXPORT_FIELDS`."""
    columns = ", ".join(EXPORT_FIELDS)
    yield from _db(store).query(f"SELECT {columns} FROM articles ORDER BY id")
