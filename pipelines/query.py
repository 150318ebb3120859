"""Read-side queries for the command line: search, show, stories, stats, export.

Every function takes a :class:`pipelines.store.Store` or a ``sqlite_utils.Database`` and
only reads (the FTS integrity check in :func:`stats` is FTS5's read-only 'integrity-check').
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from pipelines import versions
from pipelines.dedup import LOOKUP_KEY_COLUMNS, lookup_key
from pipelines.store import Store
from pipelines.urls import canonicalize_url
from pipelines.versions import word_diff

__all__ = [
    "EXPORT_FIELDS", "HIGHLIGHT", "RANK_LIMIT", "Filters", "QueryError", "export_rows",
    "fts_consistent", "get_article", "history", "list_stories", "mark", "quote_terms",
    "ranking", "search", "stats", "word_diff",
]  # fmt: skip

EXPORT_FIELDS = (
    "url", "canonical_url", "site", "title", "author", "published", "language", "text",
    "story_id", "is_representative", "warc_file", "warc_offset",
    "id", "story_key", "word_count", "fetched_at", "warc_length", "source_url",
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


@dataclass(frozen=True)
class Filters:
    """Filters of search and export: all optional, combined with AND."""

    site: str | None = None
    """Host name (``www.`` ignored)."""
    since: str | None = None
    """Published on or after this ISO date (articles without a date are left out)."""
    until: str | None = None
    """Published on or before this ISO date (inclusive: a timestamp that day matches)."""
    lang: str | None = None
    """ISO 639-1 language code."""
    story: int | None = None
    """Story id."""

    def sql(self) -> tuple[str, dict[str, Any]]:
        """Return the ``AND ...`` conditions on ``articles AS a`` and their parameters."""
        _check_date("since", self.since)
        _check_date("until", self.until)
        conditions, params = [], {}
        for name, condition, value in (
            ("site", "a.site = :site", self.site and self.site.lower().removeprefix("www.")),
            ("since", "a.published >= :since", self.since),
            ("until", "substr(a.published, 1, length(:until)) <= :until", self.until),
            ("lang", "a.language = :lang", self.lang and self.lang.lower()),
            ("story", "a.story_id = :story", self.story),
        ):
            if value is not None and value != "":
                conditions.append(f"AND {condition}")
                params[name] = value
        return " ".join(conditions), params


_HIT_COLUMNS = (
    "a.id, a.url, a.site, a.title, a.published, a.language, a.story_id, a.is_representative, "
    "coalesce(s.copies, 1) AS copies"
)
_HITS_SQL = """
SELECT a.id, a.story_id, a.is_representative
FROM articles_fts AS f JOIN articles AS a ON a.id = f.rowid
WHERE f.articles_fts MATCH :query {filters}
ORDER BY {order} LIMIT :window
"""
RANK_LIMIT = 5000
"""Queries matching more articles than this list the most recently stored first: bm25 must
score every match, and a word found in most articles would cost O(store size)."""
_DETAIL_SQL = (
    f"SELECT {_HIT_COLUMNS} FROM articles AS a LEFT JOIN stories AS s ON s.id = a.story_id "
    "WHERE a.id IN ({ids})"
)
HIGHLIGHT = ("\x02", "\x03")
"""Markers around matched terms in ``snippet`` (see :func:`mark`)."""


def mark(snippet: str, start: str = "[", end: str = "]") -> str:
    """Return ``snippet`` with the highlight markers replaced by ``start`` and ``end``."""
    return snippet.replace(HIGHLIGHT[0], start).replace(HIGHLIGHT[1], end)


def _run(db: Database, text: str, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Run a read-only FTS query; a malformed query raises QueryError saying what is wrong."""
    try:
        cursor = db.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except sqlite3.OperationalError as exc:
        raise _query_error(text, exc) from None


def _query_error(text: str, exc: sqlite3.OperationalError) -> Exception:
    """Return the QueryError for a malformed FTS query, or ``exc`` itself for other errors."""
    if not any(marker in str(exc).lower() for marker in _FTS_ERRORS):
        return exc
    return QueryError(
        f'bad search query {text!r}: {exc} (FTS5 syntax: words, "phrases", AND/OR/NOT, '
        f"prefix*; to search the words literally use --literal or {quote_terms(text)!r})"
    )


def quote_terms(text: str) -> str:
    """Return ``text`` as FTS5 phrases: each whitespace-separated term in double quotes."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in text.split()) or '""'


def ranking(db: Database, text: str) -> str:
    """Return "relevance" (bm25) when ``text`` matches at most :data:`RANK_LIMIT` articles,
    else "newest" (most recently stored first). Counting stops at the limit."""
    count = _run(
        db, text,
        "SELECT count(*) AS n FROM (SELECT rowid FROM articles_fts "
        "WHERE articles_fts MATCH :query LIMIT :cap)",
        {"query": text, "cap": RANK_LIMIT + 1},
    )[0]["n"]  # fmt: skip
    return "relevance" if count <= RANK_LIMIT else "newest"


def _best_hits(
    db: Database, text: str, filters: Filters, limit: int, copies: bool
) -> list[dict[str, Any]]:
    """Return the best hits: ``limit`` articles, or the best hit of ``limit`` stories.

    Only ids are read; the window grows until it holds enough distinct stories.
    """
    conditions, params = filters.sql()
    order = "f.rank" if ranking(db, text) == "relevance" else "f.rowid DESC"
    sql = _HITS_SQL.format(filters=conditions, order=order)
    window = limit if copies else limit * 4
    while True:
        rows = _run(db, text, sql, {**params, "query": text, "window": window})
        if copies:
            return rows
        best: dict[int, dict[str, Any]] = {}
        for row in rows:
            best.setdefault(row["story_id"], row)
        if len(best) >= limit or len(rows) < window:
            return list(best.values())[:limit]
        window *= 4


def search(
    store: Store | Database,
    text: str,
    filters: Filters | None = None,
    *,
    limit: int = 20,
    copies: bool = False,
) -> list[dict[str, Any]]:
    """Full-text search (FTS5 syntax) over titles and texts, best bm25 rank first (most
    recently stored first when the query matches more than :data:`RANK_LIMIT` articles).

    By default one row per story: its representative when that copy matches too, else its
    best-ranked matching copy, with the story's ``copies`` count; ``copies=True`` returns
    every matching article. ``snippet`` has matched terms between :data:`HIGHLIGHT`
    markers. A malformed query or filter raises QueryError.
    """
    db = _db(store)
    filters = filters or Filters()
    ids = [hit["id"] for hit in _best_hits(db, text, filters, limit, copies)]
    if not copies:
        ids = _prefer_representatives(db, text, filters, ids)
    snippets = _matching(db, text, ids, snippet=True)
    marks = ", ".join("?" * len(ids))
    cursor = db.conn.execute(_DETAIL_SQL.format(ids=marks), ids)
    names = [d[0] for d in cursor.description]
    details = {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
    return [details[i] | {"snippet": snippets[i]} for i in ids if i in details and i in snippets]


def _matching(db: Database, text: str, ids: list[int], *, snippet: bool) -> dict[int, str]:
    """Return {id: snippet or ""} for those of ``ids`` that match ``text``, in one query.

    The ids go in as a rowid range (which FTS5 seeks to) plus a plain filter: asking FTS5
    for each rowid alone would evaluate a phrase or prefix query once per row.
    """
    if not ids:
        return {}
    column = "snippet(articles_fts, 1, '\x02', '\x03', '…', 16)" if snippet else "''"
    marks = ", ".join("?" * len(ids))
    sql = (
        f"SELECT rowid, {column} FROM articles_fts WHERE articles_fts MATCH ? "
        f"AND rowid BETWEEN ? AND ? AND +rowid IN ({marks})"
    )
    try:
        rows = db.conn.execute(sql, [text, min(ids), max(ids), *ids]).fetchall()
    except sqlite3.OperationalError as exc:
        raise _query_error(text, exc) from None
    return {int(row[0]): str(row[1]) for row in rows}


def _prefer_representatives(db: Database, text: str, filters: Filters, ids: list[int]) -> list[int]:
    """Replace each hit by its story's representative when that copy matches too."""
    if not ids:
        return ids
    marks = ", ".join("?" * len(ids))
    reps = dict(
        db.conn.execute(
            "SELECT a.id, s.representative_id FROM articles AS a JOIN stories AS s "
            f"ON s.id = a.story_id WHERE a.id IN ({marks}) AND s.representative_id != a.id",
            ids,
        ).fetchall()
    )
    if not reps:
        return ids
    matching = set(_matching(db, text, sorted(set(reps.values())), snippet=False))
    conditions, params = filters.sql()
    wanted = [rep for rep in set(reps.values()) if rep in matching]
    allowed = {
        row["id"]
        for row in _run(
            db, text,
            f"SELECT a.id FROM articles AS a WHERE a.id IN ({', '.join(map(str, wanted)) or 'NULL'})"
            f" {conditions}",
            params,
        )
    }  # fmt: skip
    return [reps[i] if reps.get(i) in allowed else i for i in ids]


def get_article(store: Store | Database, id_or_url: str) -> dict[str, Any] | None:
    """Return one article by numeric id, URL or canonical URL, with its story and copies.

    ``tags`` is decoded to a list; ``story`` is the story row (id, story_key, title, copies,
    sites, first_published, first_seen, representative_id); ``copies`` lists the other rows
    of the story (id, url, site, published, is_representative); ``versions`` counts the
    earlier texts kept in ``article_versions``.
    """
    db = _db(store)
    key = id_or_url.strip()
    if key.isdigit():
        rows = db.query("SELECT * FROM articles WHERE id = ?", [int(key)])
    else:
        canonical = canonicalize_url(key)
        rows = db.query(
            "SELECT * FROM articles WHERE (url_key IN (?1, ?2) AND url IN (?3, ?4))"
            " OR (canonical_key IN (?1, ?2) AND canonical_key != url_key"
            " AND canonical_url IN (?3, ?4))"
            " ORDER BY url = ?3 DESC, id LIMIT 1",
            [lookup_key(key), lookup_key(canonical), key, canonical],
        )
    first = next(iter(rows), None)
    if first is None:
        return None
    article = {k: v for k, v in first.items() if k not in LOOKUP_KEY_COLUMNS}
    article["tags"] = json.loads(article["tags"] or "[]")
    article["story"] = next(
        iter(db.query("SELECT * FROM stories WHERE id = ?", [article["story_id"]])), None
    )
    article["copies"] = list(
        db.query(
            "SELECT id, url, site, published, is_representative FROM articles "
            "WHERE story_id = ? AND id != ? ORDER BY is_representative DESC, id",
            [article["story_id"], article["id"]],
        )
    )
    article["versions"] = _scalar(
        db, "SELECT count(*) FROM article_versions WHERE article_id = ?", [article["id"]]
    )
    return article


def history(store: Store | Database, article_id: int) -> list[dict[str, Any]]:
    """Return the texts of an article, oldest first, the current one last (``current``)."""
    return versions.history(_db(store), article_id)


def list_stories(
    store: Store | Database,
    limit: int = 20,
    *,
    min_copies: int = 1,
    since: str | None = None,
) -> list[dict[str, Any]]:
    """Return stories, most copies first, then most recent.

    Each has id, story_key, title, copies, sites, first_published, first_seen,
    representative_url and ``members``: every copy (id, url, site, published, first_seen,
    is_representative), representative first. ``since`` keeps stories first published
    (or, without a date, first seen) on or after that date.
    """
    _check_date("since", since)
    db = _db(store)
    where = "s.copies >= ?"
    params: list[Any] = [min_copies]
    if since:
        where += " AND coalesce(s.first_published, s.first_seen) >= ?"
        params.append(since)

    def most_copies(copies: str, count: int) -> list[dict[str, Any]]:
        return list(
            db.query(
                "SELECT s.id, s.story_key, s.title, s.copies, s.sites, s.first_published, "
                "s.first_seen, a.url AS representative_url FROM stories AS s "
                "LEFT JOIN articles AS a ON a.id = s.representative_id "
                f"WHERE {copies} AND {where} "
                "ORDER BY s.copies DESC, s.first_published DESC, s.id LIMIT ?",
                [*params, count],
            )
        )

    # Stories with copies first, through idx_stories_copies (which holds only those: most
    # stories have one copy); stories of one copy only when those do not fill the list.
    stories = most_copies("s.copies > 1", limit)
    if len(stories) < limit and min_copies <= 1:
        stories += most_copies("s.copies = 1", limit - len(stories))
    for story in stories:
        story["members"] = list(
            db.query(
                "SELECT id, url, site, published, first_seen, is_representative FROM articles "
                "WHERE story_id = ? ORDER BY is_representative DESC, published, id",
                [story["id"]],
            )
        )
        story["urls"] = [member["url"] for member in story["members"]]
    return stories


def _scalar(db: Database, sql: str, params: list[Any] | None = None) -> Any:
    """Return the first column of the first row of ``sql``."""
    return db.execute(sql, params or []).fetchone()[0]


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


def export_rows(
    store: Store | Database, text: str | None = None, filters: Filters | None = None
) -> Iterator[dict[str, Any]]:
    """Yield articles with exactly :data:`EXPORT_FIELDS`, streaming from one cursor.

    The whole store in id order, or, with ``text`` (FTS5 syntax) and/or ``filters``, the
    matching articles (every copy) in id order.
    """
    db = _db(store)
    columns = ", ".join(f"a.{name}" if name != "story_key" else "s.story_key"
                        for name in EXPORT_FIELDS)  # fmt: skip
    conditions, params = (filters or Filters()).sql()
    source = "articles AS a LEFT JOIN stories AS s ON s.id = a.story_id"
    if text:
        source += " JOIN articles_fts AS f ON f.rowid = a.id"
        conditions = "AND f.articles_fts MATCH :query " + conditions
        params["query"] = text
    sql = f"SELECT {columns} FROM {source} WHERE 1 {conditions} ORDER BY a.id"
    try:
        cursor = db.execute(sql, params)
        names = [d[0] for d in cursor.description]
        first = cursor.fetchmany(1)
    except sqlite3.OperationalError as exc:
        raise _query_error(text or "", exc) from None
    for row in first:
        yield dict(zip(names, row, strict=True))
    while batch := cursor.fetchmany(1000):
        for row in batch:
            yield dict(zip(names, row, strict=True))
