"""The newsarc database schema and opening a file at the current schema version.

Migrations are numbered, ordered and idempotent (sqlite-utils Migrations), each explicit DDL.
Never change an applied migration: add the next number. Connection settings (WAL,
busy_timeout, synchronous) are not schema: :func:`open_database` sets them on every open.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

BUSY_TIMEOUT_MS = 10_000
"""How long a connection waits for a lock before failing (readers never block the writer)."""
PAGE_SIZE = 16_384
"""Page size of new databases, in bytes."""

MIGRATION_SET = "newsarc"
"""Name of our migration set in the ``_sqlite_migrations`` table."""

migrations = Migrations(MIGRATION_SET)
logger = logging.getLogger(__name__)

NAMES: list[str] = []
"""Names of our migrations, in order (a database with others was made by a newer newsarc)."""


def _migration(name: str) -> Callable[[Callable[[Database], None]], Callable[[Database], None]]:
    """Register a migration in :data:`migrations` under ``name``."""
    NAMES.append(name)
    register: Callable[[Callable[[Database], None]], Callable[[Database], None]] = migrations(
        name=name
    )
    return register


_INITIAL = [
    """
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        canonical_url TEXT NOT NULL,
        site TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        author TEXT,
        published TEXT,
        language TEXT,
        site_name TEXT,
        description TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        source_url TEXT,
        text TEXT NOT NULL DEFAULT '',
        word_count INTEGER NOT NULL DEFAULT 0,
        text_hash TEXT NOT NULL,
        story_id INTEGER NOT NULL,
        is_representative INTEGER NOT NULL DEFAULT 0,
        fetched_at TEXT,
        warc_file TEXT,
        warc_offset INTEGER,
        warc_length INTEGER,
        crawl_id TEXT,
        extractor_version TEXT NOT NULL DEFAULT '',
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    )
    """,
    "CREATE INDEX idx_articles_canonical_url ON articles (canonical_url)",
    "CREATE INDEX idx_articles_text_hash ON articles (text_hash)",
    "CREATE INDEX idx_articles_story_id ON articles (story_id)",
    "CREATE INDEX idx_articles_site ON articles (site)",
    "CREATE INDEX idx_articles_published ON articles (published)",
    """
    CREATE TABLE stories (
        id INTEGER PRIMARY KEY,
        representative_id INTEGER,
        title TEXT NOT NULL DEFAULT '',
        first_published TEXT,
        copies INTEGER NOT NULL DEFAULT 0,
        sites INTEGER NOT NULL DEFAULT 0
    )
    """,
    """
    CREATE TABLE pages (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL,
        final_url TEXT NOT NULL,
        status INTEGER,
        content_type TEXT,
        fetched_at TEXT,
        outcome TEXT NOT NULL,
        reason TEXT,
        article_id INTEGER,
        etag TEXT,
        last_modified TEXT,
        warc_file TEXT,
        warc_offset INTEGER,
        warc_length INTEGER,
        crawl_id TEXT
    )
    """,
    "CREATE INDEX idx_pages_url ON pages (url)",
    "CREATE INDEX idx_pages_final_url ON pages (final_url)",
    """
    CREATE TABLE crawls (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('crawl', 'replay', 'demo')),
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,
        args TEXT NOT NULL DEFAULT '{}',
        stats TEXT NOT NULL DEFAULT '{}'
    )
    """,
    """
    CREATE TABLE lsh_buckets (
        band_key TEXT NOT NULL,
        article_id INTEGER NOT NULL,
        PRIMARY KEY (band_key, article_id)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE minhashes (
        article_id INTEGER PRIMARY KEY,
        signature BLOB NOT NULL
    )
    """,
    # External-content FTS5 table; ``content=[articles]`` is the spelling that sqlite-utils and
    # datasette detect. Kept in sync by the three triggers below.
    """
    CREATE VIRTUAL TABLE articles_fts USING fts5 (
        title, text, content=[articles], content_rowid=[id],
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
    END
    """,
    """
    CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
    END
    """,
    """
    CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
    END
    """,
]


def _execute_all(db: Database, statements: list[str]) -> None:
    for statement in statements:
        db.execute(statement)


@_migration("0001_initial")
def m0001_initial(db: Database) -> None:
    """Create articles, stories, pages, crawls, the LSH tables and the FTS5 index."""
    _execute_all(db, _INITIAL)


# Later migrations, in this order (each owner adds its own below its marker line):
# --- 0002: extraction (site_templates) ---
_TEMPLATES_0002 = [
    # One row per (site, normalized short paragraph): how many different stories of the site
    # showed it (pipelines.templates); ``stories`` >= NEWSARC_TEMPLATE_MIN_STORIES: template.
    """
    CREATE TABLE IF NOT EXISTS site_templates (
        site TEXT NOT NULL,
        paragraph_key TEXT NOT NULL,
        paragraph TEXT NOT NULL,
        stories INTEGER NOT NULL DEFAULT 0,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        PRIMARY KEY (site, paragraph_key)
    ) WITHOUT ROWID
    """,
    # Which stories a paragraph was seen in: a re-fetch or a second copy never counts twice.
    """
    CREATE TABLE IF NOT EXISTS site_template_stories (
        site TEXT NOT NULL,
        paragraph_key TEXT NOT NULL,
        story_id INTEGER NOT NULL,
        PRIMARY KEY (site, paragraph_key, story_id)
    ) WITHOUT ROWID
    """,
]


@_migration("0002_site_templates")
def m0002_site_templates(db: Database) -> None:
    """site_templates and site_template_stories: per-site template paragraph evidence."""
    _execute_all(db, _TEMPLATES_0002)


# --- 0003: store and stories (article_versions, …) ---
_STORE_0003 = [
    """
    CREATE TABLE article_versions (
        id INTEGER PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles (id),
        title TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL DEFAULT '',
        text_hash TEXT NOT NULL,
        word_count INTEGER NOT NULL DEFAULT 0,
        published TEXT,
        fetched_at TEXT,
        warc_file TEXT,
        warc_offset INTEGER,
        warc_length INTEGER,
        crawl_id TEXT,
        extractor_version TEXT NOT NULL DEFAULT '',
        replaced_at TEXT
    )
    """,
    "CREATE UNIQUE INDEX idx_article_versions_text ON article_versions (article_id, text_hash)",
    "ALTER TABLE stories ADD COLUMN story_key TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE stories ADD COLUMN first_seen TEXT",
    "CREATE INDEX idx_stories_story_key ON stories (story_key)",
    "CREATE INDEX idx_stories_copies ON stories (copies, first_published)",
    "CREATE INDEX idx_stories_first_seen ON stories (first_seen)",
    "CREATE INDEX idx_articles_language ON articles (language)",
    "CREATE INDEX idx_pages_article_id ON pages (article_id)",
    # Band keys become 64-bit integers (band number in the top bits): a third of the size of
    # the text keys of 0001. Rebuilt below from the stored texts.
    "DROP TABLE lsh_buckets",
    """
    CREATE TABLE lsh_buckets (
        band_key INTEGER NOT NULL,
        article_id INTEGER NOT NULL,
        PRIMARY KEY (band_key, article_id)
    ) WITHOUT ROWID
    """,
    "DELETE FROM minhashes",
    # The store indexes new articles in FTS5 in one statement per transaction (see
    # Store.transaction); the update and delete triggers stay.
    "DROP TRIGGER articles_ai",
]


@_migration("0003_store_stories")
def m0003_store_stories(db: Database) -> None:
    """article_versions; story keys and first_seen; integer LSH band keys, one signature per
    distinct text; story ids renumbered to the smallest article id of each story."""
    from pipelines import stories
    from pipelines.dedup import EMPTY_TEXT_HASH, DedupConfig, signature

    _execute_all(db, _STORE_0003)
    config = DedupConfig()
    rows = db.execute(
        "SELECT min(id), text FROM articles WHERE text_hash != ? GROUP BY text_hash",
        [EMPTY_TEXT_HASH],
    ).fetchall()
    for article_id, text in rows:
        stories.index(db, article_id, signature(text, config), config)
    stories.renumber(db)


# --- 0004: scheduling (schedules, runs) ---

_SCHEDULING = [
    # One row per schedule; ``args`` holds the crawl options as JSON (see crawler.schedule_store),
    # ``next_run_at`` the next due time in UTC, ``interval_seconds`` a learned interval (auto).
    """
    CREATE TABLE schedules (
        name TEXT PRIMARY KEY,
        cron TEXT NOT NULL,
        timezone TEXT NOT NULL DEFAULT 'UTC',
        args TEXT NOT NULL DEFAULT '{}',
        scrapyd TEXT,
        paused INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        next_run_at TEXT,
        interval_seconds INTEGER
    )
    """,
    # A scheduled run is a crawls row: which schedule, the exit status of its process (NULL
    # while running), the pid or Scrapyd job id that ran it.
    "ALTER TABLE crawls ADD COLUMN schedule TEXT",
    "ALTER TABLE crawls ADD COLUMN exit_status INTEGER",
    "ALTER TABLE crawls ADD COLUMN pid INTEGER",
    "ALTER TABLE crawls ADD COLUMN scrapyd_job TEXT",
    "CREATE INDEX idx_crawls_schedule ON crawls (schedule, started_at)",
]


@_migration("0004_scheduling")
def m0004_scheduling(db: Database) -> None:
    """Create the schedules table; link crawls to schedules, processes and Scrapyd jobs."""
    _execute_all(db, _SCHEDULING)


# --- 0005: archive and replay (replay progress, record ids) ---

_ARCHIVE = [
    # Replay progress per input file (crawler.replay_state): records at offsets below
    # ``next_offset`` are done; ``finished_at`` is set once the whole file was replayed.
    # ``file_key`` is name, size and a hash of the first 64 KiB, so a copied or renamed
    # path of the same file is recognised and a different file of the same name is not.
    """
    CREATE TABLE replay_files (
        file_key TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        size INTEGER NOT NULL,
        next_offset INTEGER NOT NULL DEFAULT 0,
        records INTEGER NOT NULL DEFAULT 0,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        crawl_id TEXT
    )
    """,
    # Provenance: the WARC-Record-ID and WARC-Payload-Digest of the record an article was
    # extracted from (with warc_file, warc_offset and warc_length of migration 0001).
    "ALTER TABLE articles ADD COLUMN warc_record_id TEXT",
    "ALTER TABLE articles ADD COLUMN warc_payload_digest TEXT",
    "CREATE INDEX idx_articles_warc_record_id ON articles (warc_record_id)",
]


@_migration("0005_archive_replay")
def m0005_archive_replay(db: Database) -> None:
    """Create replay_files (per-file replay progress); record ids and digests on articles."""
    _execute_all(db, _ARCHIVE)


# --- 0006: reliability ---
# --- 0006: LSH write buffer ---

_LSH_RECENT = [
    # New band keys go to this small table; pipelines.stories.compact moves them into
    # lsh_buckets in key order once it holds enough of them. Inserting 32 random keys per
    # article straight into a large lsh_buckets dirtied most of its pages in every
    # transaction (measured: half of the commit time of a 1,000-article batch at 50,000
    # articles); a sorted bulk merge writes each page once per merge instead.
    """
    CREATE TABLE lsh_recent (
        band_key INTEGER NOT NULL,
        article_id INTEGER NOT NULL,
        PRIMARY KEY (band_key, article_id)
    ) WITHOUT ROWID
    """,
]


@_migration("0006_lsh_write_buffer")
def m0006_lsh_write_buffer(db: Database) -> None:
    """Create lsh_recent, the write buffer of lsh_buckets."""
    _execute_all(db, _LSH_RECENT)


# --- 0007: FTS5 merge policy ---

_FTS_AUTOMERGE = [
    # FTS5 merges index segments once 4 of a level exist (its default); at 8 each merge
    # happens half as often and moves twice as much at once. Measured with set-based
    # inserts of 5,000 articles a transaction: 1,240 -> 1,830 articles/s at 100,000 articles.
    # More segments slow searches: FTS p95 at 200,000 was 46 ms without the end-of-run merge
    # (Store.merge_fts) and 32 ms with it, against a 50 ms target (bench/store.py).
    "INSERT INTO articles_fts (articles_fts, rank) VALUES ('automerge', 8)",
]


@_migration("0007_fts_automerge")
def m0007_fts_automerge(db: Database) -> None:
    """Let FTS5 merge its segments eight at a time."""
    _execute_all(db, _FTS_AUTOMERGE)


# --- 0008: LSH write buffer, one row per article ---

_LSH_RECENT_ROWS = [
    # 0006 buffered 32 (band key, article) rows per article in a keyed table: one B-tree
    # insert per band, 130-180 us an article at 150,000 articles. Now an article's band keys
    # are one JSON array in one row; each writer holds them in memory for lookups
    # (pipelines.stories.RecentKeys) and pipelines.stories.compact expands them into
    # lsh_buckets with json_each. Measured at 150,000 articles, buffer and merge together:
    # 219 -> 67-100 us an article.
    "INSERT OR IGNORE INTO lsh_buckets (band_key, article_id) "
    "SELECT band_key, article_id FROM lsh_recent ORDER BY band_key, article_id",
    "DROP TABLE lsh_recent",
    """
    CREATE TABLE lsh_recent (
        article_id INTEGER PRIMARY KEY,
        band_keys TEXT NOT NULL
    )
    """,
    # Bumped by a writer whose transaction removed or moved rows of lsh_recent (compaction,
    # a revised text): other writers then reload their copy of the buffer.
    """
    CREATE TABLE lsh_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        generation INTEGER NOT NULL
    )
    """,
    "INSERT INTO lsh_state (id, generation) VALUES (1, 0)",
]


@_migration("0008_lsh_recent_rows")
def m0008_lsh_recent_rows(db: Database) -> None:
    """Buffer each article's band keys as one row (merged into lsh_buckets in bulk)."""
    _execute_all(db, _LSH_RECENT_ROWS)


# --- 0009: FTS5 pending-data size ---

_FTS_HASHSIZE = [
    # FTS5 writes its in-memory pending terms out as a new level-0 segment whenever they
    # exceed 'hashsize' (1 MiB by default): a transaction of 2,500 articles wrote several
    # segments, which automerge then merged again. With 32 MiB a transaction writes one.
    # Measured at 150,000 articles, 2,500 a transaction, FTS insert + commit + end-of-run
    # merge: 268-309 -> 173-183 us an article (the memory is the writer's, while it commits).
    "INSERT INTO articles_fts (articles_fts, rank) VALUES ('hashsize', 33554432)",
]


@_migration("0009_fts_hashsize")
def m0009_fts_hashsize(db: Database) -> None:
    """Let FTS5 keep up to 32 MiB of pending terms before it writes a segment."""
    _execute_all(db, _FTS_HASHSIZE)


# --- 0010: a filter of the LSH band keys ---


@_migration("0010_lsh_key_filter")
def m0010_lsh_key_filter(db: Database) -> None:
    """Store a Bloom filter of the keys in lsh_buckets (pipelines.stories.KeyFilter): a
    lookup probes only the band keys it does not rule out."""
    from pipelines.stories import KeyFilter

    for column in ("filter BLOB", "filter_capacity INTEGER", "filter_keys INTEGER"):
        db.execute(f"ALTER TABLE lsh_state ADD COLUMN {column}")
    KeyFilter.build(db).save(db)


# --- 0011: integer lookup keys for URLs and text hashes ---

_ARTICLE_COLUMNS = (
    "id, url, canonical_url, site, title, author, published, language, site_name, "
    "description, tags, source_url, text, word_count, text_hash, story_id, is_representative, "
    "fetched_at, warc_file, warc_offset, warc_length, crawl_id, extractor_version, first_seen, "
    "last_seen, warc_record_id, warc_payload_digest"
)

_LOOKUP_KEYS = [
    # The indexes on url (UNIQUE), canonical_url and text_hash held long random strings: every
    # transaction of a few thousand articles inserted into every page of all three, and the
    # WAL carried each page in full. At 200,000 articles, 2,452 of the 5,269 pages a
    # transaction of 5,000 articles wrote were those three indexes (measured by reading the
    # page numbers of the WAL's frames). A 64-bit digest of each value
    # (pipelines.dedup.lookup_key) makes each index a fifth of the size; a lookup compares the
    # full value of the rows the key finds. The table is rebuilt to drop url's UNIQUE index:
    # the one writer looks a URL up before it inserts, in the same write transaction.
    """
    CREATE TABLE articles_new (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL,
        canonical_url TEXT NOT NULL,
        site TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        author TEXT,
        published TEXT,
        language TEXT,
        site_name TEXT,
        description TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        source_url TEXT,
        text TEXT NOT NULL DEFAULT '',
        word_count INTEGER NOT NULL DEFAULT 0,
        text_hash TEXT NOT NULL,
        story_id INTEGER NOT NULL,
        is_representative INTEGER NOT NULL DEFAULT 0,
        fetched_at TEXT,
        warc_file TEXT,
        warc_offset INTEGER,
        warc_length INTEGER,
        crawl_id TEXT,
        extractor_version TEXT NOT NULL DEFAULT '',
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        warc_record_id TEXT,
        warc_payload_digest TEXT,
        url_key INTEGER NOT NULL,
        canonical_key INTEGER NOT NULL,
        text_key INTEGER NOT NULL
    )
    """,
    f"INSERT INTO articles_new ({_ARTICLE_COLUMNS}, url_key, canonical_key, text_key) "
    f"SELECT {_ARTICLE_COLUMNS}, newsarc_lookup_key(url), newsarc_lookup_key(canonical_url), "
    "newsarc_lookup_key(text_hash) FROM articles ORDER BY id",
    "DROP TABLE articles",  # its indexes and triggers go with it; the FTS5 index stays
    "ALTER TABLE articles_new RENAME TO articles",
    "CREATE INDEX idx_articles_url_key ON articles (url_key)",
    "CREATE INDEX idx_articles_canonical_key ON articles (canonical_key)",
    "CREATE INDEX idx_articles_text_key ON articles (text_key)",
    "CREATE INDEX idx_articles_story_id ON articles (story_id)",
    "CREATE INDEX idx_articles_site ON articles (site)",
    "CREATE INDEX idx_articles_published ON articles (published)",
    "CREATE INDEX idx_articles_language ON articles (language)",
    "CREATE INDEX idx_articles_warc_record_id ON articles (warc_record_id)",
    *_INITIAL[-2:],  # the FTS5 delete and update triggers, as in 0001
]


@_migration("0011_lookup_keys")
def m0011_lookup_keys(db: Database) -> None:
    """Index URLs, canonical URLs and text hashes by 64-bit keys (url_key, canonical_key,
    text_key) instead of by their strings."""
    from pipelines.dedup import lookup_key

    db.conn.create_function("newsarc_lookup_key", 1, lookup_key, deterministic=True)
    _execute_all(db, _LOOKUP_KEYS)


# --- 0012: smaller indexes for the writer ---

_LEANER_INDEXES = [
    # Most articles are stored under their canonical URL, so canonical_key repeated url_key in
    # a second index of random 64-bit keys: each transaction of a few thousand articles wrote
    # nearly every page of it again. A lookup by canonical URL finds such rows through url_key
    # (every query pairs the two), so only the rows whose canonical URL differs are indexed.
    "DROP INDEX idx_articles_canonical_key",
    "CREATE INDEX idx_articles_canonical_key ON articles (canonical_key) "
    "WHERE canonical_key != url_key",
    # No query looks a story up by its key (a hash: another index of random values, which a
    # story's first copy inserts into and a merge may rewrite); joining two stores on it
    # scans stories once. Nor by first_seen alone (`stories --since` filters on the first
    # publication date or, without one, the first fetch): an index that every story's
    # first copy inserts into, at a random place when articles arrive out of fetch order (a
    # replay of older archives, bench/store.py's corpus: there it was 387 of the 3,368
    # pages a transaction of 5,000 articles wrote at 200,000). Sorting stories by it in
    # datasette scans the table.
    "DROP INDEX idx_stories_story_key",
    "DROP INDEX idx_stories_first_seen",
    # The stories with most copies are listed through this index; most stories have one copy
    # and sit in it only to be skipped (their (1, publication date) entries were 262 of
    # those 3,368 pages): it now holds stories of two copies or more, and the few lists that
    # reach stories of one copy scan for them.
    "DROP INDEX idx_stories_copies",
    "CREATE INDEX idx_stories_copies ON stories (copies, first_published) WHERE copies > 1",
]


@_migration("0012_leaner_indexes")
def m0012_leaner_indexes(db: Database) -> None:
    """Index canonical_key only where the canonical URL differs from the URL, and stories'
    copies only for stories of two copies or more; drop the indexes on stories.story_key and
    stories.first_seen, which no query uses."""
    _execute_all(db, _LEANER_INDEXES)


# --- end of migrations ---


def apply(db: Database) -> None:
    """Apply all pending newsarc migrations to ``db`` (a no-op when up to date)."""
    migrations.apply(db)


def pending(db: Database) -> list[str]:
    """Return the names of the migrations not yet applied to ``db``."""
    return [migration.name for migration in migrations.pending(db)]


def applied(db: Database) -> list[str]:
    """Return the names of the newsarc migrations already applied to ``db``."""
    return [migration.name for migration in migrations.applied(db)]


class StoreError(Exception):
    """The database cannot be used: missing, unreadable, or not a newsarc database."""


def open_database(path: Path, *, create: bool) -> Database:
    """Open ``path`` as a newsarc database with WAL and busy_timeout set; migrate if allowed.

    Raises StoreError (one line) when the file is missing (``create=False``), is not SQLite,
    or is an SQLite database that newsarc did not create.
    """
    if path.is_dir() or (not create and not path.is_file()):
        reason = "is a directory" if path.is_dir() else "no such file"
        raise StoreError(f"cannot open DB {path}: {reason}")
    try:
        db = Database(path, execute_plugins=False)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open DB {path}: {exc}") from exc
    try:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _check_newsarc(db, path, create=create)
        if not db.table_names():
            # A new file only (an existing one keeps its page size): 16 KiB pages make the
            # B-trees of articles, FTS5 and LSH keys shallower; the bulk insert baseline
            # rose from 1,493 to 1,798 articles per CPU-second at 60,000 articles (the real
            # writer at 100,000: no difference from 4 KiB within this machine's noise).
            db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        db.execute("PRAGMA journal_mode = WAL")
        # WAL + NORMAL never corrupts; a power cut may lose the last commits, which the
        # next crawl refetches (the store is the truth, see DESIGN "Safety and durability").
        db.execute("PRAGMA synchronous = NORMAL")
        waiting = pending(db)
        if waiting:
            if applied(db):  # an upgrade, not a new file: say why the first open is slow
                logger.warning(
                    "%s: upgrading the schema (%s); on a large store this takes a while",
                    path, ", ".join(waiting),
                )  # fmt: skip
            apply(db)
    except sqlite3.Error as exc:
        db.close()
        raise StoreError(f"cannot open DB {path}: {exc}") from exc
    except StoreError:
        db.close()
        raise
    return db


def _check_newsarc(db: Database, path: Path, *, create: bool) -> None:
    """Raise StoreError unless ``db`` is empty (and may be created) or has newsarc migrations."""
    tables = db.table_names()
    if not tables and create:
        return
    done = applied(db)
    if not done:
        what = "empty database" if not tables else "tables " + ", ".join(sorted(tables)[:5])
        raise StoreError(f"cannot open DB {path}: not a newsarc database ({what})")
    unknown = sorted(set(done) - set(NAMES))
    if unknown:
        raise StoreError(
            f"cannot open DB {path}: made by a newer newsarc (schema {', '.join(unknown)}); "
            "upgrade newsarc"
        )
