"""The SQLite store: opening, migrations, crawls, pages, articles, copies and stories."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from pipelines import migrations, query
from pipelines.dedup import lookup_key, text_hash
from pipelines.items import Article, Page
from pipelines.store import SaveResult, Store, StoreError
from tests.test_dedup_corpus import DIFFERENT, NEAR_COPIES, ORIGINAL


def article(url: str, text: str = ORIGINAL, **fields: Any) -> Article:
    """Build an Article as the extraction chain hands it over (derived fields empty)."""
    fields.setdefault("title", "Lavrov-Rubio meeting in KL being finalised")
    fields.setdefault("published", "2025-07-10")
    return Article(url=url, canonical_url=fields.pop("canonical_url", ""), site="", text=text,
                   **fields)  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "news.db") as opened:
        yield opened


def rows(store: Store, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    return list(store.db.query(sql, params or []))


# -- opening and migrations ---------------------------------------------------------------


def test_migrations_are_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    Store(path).close()
    with Store(path) as store:
        assert migrations.applied(store.db) == migrations.NAMES
        assert "0003_store_stories" in migrations.NAMES
        assert migrations.pending(store.db) == []
        assert {"articles", "stories", "pages", "crawls", "lsh_buckets", "minhashes",
                "articles_fts"} <= set(store.db.table_names())  # fmt: skip


OTHER = next(iter(DIFFERENT.values()))


def test_lookup_keys_migration_keeps_articles_and_their_lookups(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """0011 rebuilds articles with integer lookup keys: rows, ids, FTS and lookups survive."""
    path = tmp_path / "news.db"
    db = migrations.open_database(path, create=True)  # all migrations: then undo the last one
    db.close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE articles")
    conn.execute(migrations._INITIAL[0])  # the 0001 table (url UNIQUE) with 0005's columns
    conn.execute("ALTER TABLE articles ADD COLUMN warc_record_id TEXT")
    conn.execute("ALTER TABLE articles ADD COLUMN warc_payload_digest TEXT")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0011_lookup_keys'")
    old = [(7, "https://a.example/x?utm_source=t", "https://a.example/x", ORIGINAL),
           (9, "https://b.example/y", "https://b.example/y", OTHER)]  # fmt: skip
    for article_id, url, canonical, text in old:
        conn.execute(
            "INSERT INTO articles (id, url, canonical_url, site, title, text, text_hash, "
            "story_id, first_seen, last_seen) VALUES (?, ?, ?, 's', 't', ?, ?, ?, 'x', 'x')",
            [article_id, url, canonical, text, text_hash(text), article_id],
        )
        conn.execute(
            "INSERT INTO articles_fts (rowid, title, text) VALUES (?, 't', ?)", [article_id, text]
        )
    conn.commit()
    conn.close()
    with Store(path, create=False) as store:
        assert migrations.pending(store.db) == []
        assert "upgrading the schema (0011_lookup_keys)" in caplog.text
        got = rows(store, "SELECT id, url, canonical_url, text_hash, url_key, canonical_key, "
                          "text_key FROM articles ORDER BY id")  # fmt: skip
        assert [(r["id"], r["url"]) for r in got] == [(7, old[0][1]), (9, old[1][1])]
        for r in got:
            assert (r["url_key"], r["canonical_key"], r["text_key"]) == (
                lookup_key(r["url"]),
                lookup_key(r["canonical_url"]),
                lookup_key(r["text_hash"]),
            )
        indexed = {
            r["name"]: r["sql"]
            for r in rows(store, "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'articles'")
        }
        assert {"idx_articles_url_key", "idx_articles_text_key", "articles_au",
                "articles_ad"} <= set(indexed)  # fmt: skip
        assert not any(name.startswith("sqlite_autoindex") for name in indexed)
        assert store.has_article("https://a.example/x")  # by canonical URL
        assert store.save_article(article(old[1][1], OTHER)).outcome == "unchanged"
        assert store.save_article(article("https://c.example/z", ORIGINAL)).outcome == (
            "exact-duplicate"
        )
        store.db.execute("UPDATE articles SET text = 'rewritten words' WHERE id = 9")
        hits = rows(store, "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'rewritten'")
        assert hits == [{"rowid": 9}]


def test_canonical_key_index_holds_only_urls_that_are_not_canonical(store: Store) -> None:
    """0012: a row stored under its canonical URL is found through url_key; the partial index
    on canonical_key holds the others, and no lookup scans the table."""
    plain = store.save_article(article("https://a.example/x", OTHER))
    tracked = store.save_article(article("https://b.example/y?utm_source=t", ORIGINAL))
    sql = rows(store, "SELECT sql FROM sqlite_master WHERE name = 'idx_articles_canonical_key'")
    assert sql[0]["sql"].endswith("WHERE canonical_key != url_key")
    indexed = rows(store, "SELECT id FROM articles INDEXED BY idx_articles_canonical_key "
                          "WHERE canonical_key != url_key")  # fmt: skip
    assert indexed == [{"id": tracked.article_id}]
    assert store.has_article("https://a.example/x?fbclid=1")
    assert store.has_article("https://b.example/y")
    assert not store.has_article("https://b.example/z")
    for url, first in (("https://a.example/x?utm_medium=m", plain),
                       ("https://b.example/y", tracked)):  # fmt: skip
        assert store.save_article(
            article(url, "A text of its own about something else entirely.")
        ) == SaveResult(first.article_id, first.story_id, "duplicate-url", first.article_id)
        assert query.get_article(store, url)["id"] == first.article_id
    plans: list[str] = []
    store.db.conn.set_trace_callback(plans.append)
    store.has_article("https://b.example/y")
    store.db.conn.set_trace_callback(None)
    assert plans
    for statement in plans:
        detail = [r[3] for r in store.db.execute(f"EXPLAIN QUERY PLAN {statement}")]
        assert not any(d.startswith("SCAN articles") for d in detail), detail


def test_wal_and_busy_timeout_on_every_open(tmp_path: Path) -> None:
    Store(tmp_path / "news.db").close()
    with Store(tmp_path / "news.db", create=False) as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] > 0


def test_fts_is_detected_by_sqlite_utils_and_datasette(store: Store) -> None:
    assert store.db["articles"].detect_fts() == "articles_fts"


def test_open_missing_file_without_create(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"cannot open DB .*missing\.db: no such file"):
        Store(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()


def test_open_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("hello, this is not a database\n" * 100)
    with pytest.raises(StoreError, match=r"cannot open DB .*notes\.db: file is not a database"):
        Store(path)


def test_open_foreign_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE things (id INTEGER)")
    conn.close()
    for create in (True, False):
        with pytest.raises(StoreError, match="not a newsarc database"):
            Store(path, create=create)


def test_error_messages_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        Store(tmp_path / "missing.db", create=False)
    assert "\n" not in str(caught.value)


# -- crawls and pages ---------------------------------------------------------------------


def test_crawl_start_and_finish(store: Store) -> None:
    crawl_id = store.start_crawl("demo", {"sites": ["a", "b"]})
    assert crawl_id != store.start_crawl("demo", {})
    store.finish_crawl(crawl_id, "finished", {"item_scraped_count": 3})
    row = rows(store, "SELECT * FROM crawls WHERE id = ?", [crawl_id])[0]
    assert row["kind"] == "demo" and row["status"] == "finished" and row["finished_at"]
    assert json.loads(row["args"]) == {"sites": ["a", "b"]}
    assert json.loads(row["stats"]) == {"item_scraped_count": 3}


@pytest.mark.parametrize(("call", "message"), [
    (lambda s: s.start_crawl("harvest", {}), "crawl kind"),
    (lambda s: s.finish_crawl("nope", "finished", {}), "no crawl with id 'nope'"),
])  # fmt: skip
def test_crawl_bad_input(store: Store, call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(store)


def test_record_page(store: Store) -> None:
    page = Page(
        url="https://example.com/a", final_url="https://www.example.com/a", status=200,
        headers={"content-type": "text/html", "etag": '"abc"', "last-modified": "Thu, 10 Jul"},
        body=b"<html>", fetched_at="2025-07-10T08:00:00Z", warc_file="x.warc.gz",
        warc_offset=10, warc_length=20, crawl_id="c1",
    )  # fmt: skip
    store.record_page(page, "too-short", "12 words < 100")
    row = rows(store, "SELECT * FROM pages")[0]
    assert row["outcome"] == "too-short" and row["reason"] == "12 words < 100"
    assert (row["etag"], row["content_type"], row["warc_offset"]) == ('"abc"', "text/html", 10)
    assert store.page_validators("https://example.com/a") == {
        "etag": '"abc"', "last_modified": "Thu, 10 Jul"}  # fmt: skip


# -- articles -----------------------------------------------------------------------------


def test_new_article_fills_derived_fields(store: Store) -> None:
    item = article("https://www.example.com/a/?utm_source=x#top", tags=["asean"])
    result = store.save_article(item)
    assert result == SaveResult(1, 1, "new", None)
    row = rows(store, "SELECT * FROM articles")[0]
    assert row["canonical_url"] == "https://www.example.com/a" == item.canonical_url
    assert row["site"] == "example.com" and row["word_count"] == len(ORIGINAL.split())
    assert row["text_hash"] == item.text_hash and len(item.text_hash) == 40
    assert json.loads(row["tags"]) == ["asean"] and row["is_representative"] == 1


def test_has_article_and_article_urls(store: Store) -> None:
    store.save_article(article("https://example.com/a?utm_source=x", canonical_url="/a/"))
    assert store.has_article("https://example.com/a?utm_source=x")
    assert store.has_article("https://m.example.com/a/?fbclid=1")
    assert not store.has_article("https://example.com/b")
    assert store.article_urls() == {"https://example.com/a?utm_source=x", "https://example.com/a"}


def test_unchanged_and_updated(store: Store) -> None:
    first = store.save_article(article("https://example.com/a", fetched_at="2025-07-10T08:00:00Z"))
    again = store.save_article(article("https://example.com/a", fetched_at="2025-07-11T08:00:00Z"))
    assert again == SaveResult(first.article_id, first.story_id, "unchanged", None)
    assert rows(store, "SELECT last_seen FROM articles")[0]["last_seen"] == "2025-07-11T08:00:00Z"
    changed = store.save_article(article("https://example.com/a", text=ORIGINAL + "\n\nUpdate."))
    assert changed.outcome == "updated" and changed.article_id == first.article_id
    assert rows(store, "SELECT text FROM articles")[0]["text"].endswith("Update.")
    assert len(rows(store, "SELECT * FROM articles")) == 1


def test_duplicate_url_is_not_inserted(store: Store) -> None:
    first = store.save_article(article("https://example.com/a"))
    result = store.save_article(article("https://example.com/a?utm_source=fb&fbclid=2"))
    assert result == SaveResult(first.article_id, first.story_id, "duplicate-url", first.article_id)
    assert len(rows(store, "SELECT * FROM articles")) == 1


def test_exact_copies_share_a_story_and_keep_their_rows(store: Store) -> None:
    first = store.save_article(article("https://news.example.org/a"))
    copy = store.save_article(article("https://mirror.example.net/a", text=ORIGINAL.upper()))
    assert copy.outcome == "exact-duplicate" and copy.duplicate_of == first.article_id
    assert copy.story_id == first.story_id and copy.article_id != first.article_id
    assert [r["url"] for r in rows(store, "SELECT url FROM articles ORDER BY id")] == [
        "https://news.example.org/a", "https://mirror.example.net/a"]  # fmt: skip


@pytest.mark.parametrize("name", sorted(NEAR_COPIES))
def test_near_copy_joins_the_story(store: Store, name: str) -> None:
    first = store.save_article(article("https://news.example.org/a"))
    copy = store.save_article(
        article("https://mirror.example.net/a", text=NEAR_COPIES[name], title="Lavrov Rubio In Kl")
    )
    assert (copy.outcome, copy.story_id, copy.duplicate_of) == (
        "near-duplicate", first.story_id, first.article_id)  # fmt: skip


@pytest.mark.parametrize("name", sorted(DIFFERENT))
def test_different_story_about_same_people_stays_apart(store: Store, name: str) -> None:
    first = store.save_article(article("https://news.example.org/a"))
    other = store.save_article(article("https://news.example.org/b", text=DIFFERENT[name]))
    assert other.outcome == "new" and other.story_id != first.story_id


def test_empty_texts_are_not_copies_of_each_other(store: Store) -> None:
    first = store.save_article(article("https://example.com/a", text=""))
    second = store.save_article(article("https://example.com/b", text=" . "))
    assert (first.outcome, second.outcome) == ("new", "new")
    assert first.story_id != second.story_id


def story(store: Store, story_id: int) -> dict[str, Any]:
    return rows(store, "SELECT * FROM stories WHERE id = ?", [story_id])[0]


def test_representative_is_the_origin_and_is_unique(store: Store) -> None:
    mirror = store.save_article(article(
        "https://mirror.blogspot.com/2025/07/lavrov.html",
        text=NEAR_COPIES["cache notice appended"],
        source_url="https://news.example.org/lavrov?utm_source=cache", published="2025-07-10",
    ))  # fmt: skip
    origin = store.save_article(article("https://news.example.org/lavrov", published="2025-07-10"))
    later = store.save_article(
        article(
            "https://late.example.net/x",
            published="2025-07-12",
            text=NEAR_COPIES["sentence reworded"] + " Extra words.",
        )
    )
    assert mirror.story_id == origin.story_id == later.story_id
    flags = rows(store, "SELECT id, is_representative FROM articles ORDER BY id")
    assert [r["is_representative"] for r in flags] == [0, 1, 0]
    row = story(store, origin.story_id)
    assert row["representative_id"] == origin.article_id
    assert (row["copies"], row["sites"], row["first_published"]) == (3, 3, "2025-07-10")


def test_earlier_copy_becomes_representative(store: Store) -> None:
    first = store.save_article(article("https://a.example.org/x", published="2025-07-11"))
    earlier = store.save_article(article("https://b.example.org/x", published="2025-07-09",
                                         title="Earlier headline"))  # fmt: skip
    row = story(store, first.story_id)
    assert row["representative_id"] == earlier.article_id
    assert row["title"] == "Earlier headline"
    assert rows(store, "SELECT sum(is_representative) AS n FROM articles")[0]["n"] == 1


def test_save_commits_itself(tmp_path: Path) -> None:
    with Store(tmp_path / "news.db") as store:
        store.save_article(article("https://example.com/a"))
        assert not store.db.conn.in_transaction
        with sqlite3.connect(tmp_path / "news.db") as reader:
            assert reader.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
        reader.close()


def test_transaction_groups_saves_and_rolls_back_on_error(store: Store) -> None:
    with store.transaction():
        store.save_article(article("https://example.com/a"))
        store.save_article(article("https://example.com/b", text="Another story entirely."))
    assert len(rows(store, "SELECT id FROM articles")) == 2
    with pytest.raises(RuntimeError), store.transaction():
        store.save_article(article("https://example.com/c", text="A third story."))
        raise RuntimeError("crawl interrupted")
    assert len(rows(store, "SELECT id FROM articles")) == 2
    assert len(rows(store, "SELECT id FROM stories")) == 2


def test_open_reader_does_not_block_the_writer(tmp_path: Path) -> None:
    with Store(tmp_path / "news.db") as store:
        store.save_article(article("https://example.com/a"))
        reader = sqlite3.connect(tmp_path / "news.db")
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
        store.save_article(article("https://example.com/b", text="Another story entirely."))
        assert reader.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
        reader.rollback()
        assert reader.execute("SELECT count(*) FROM articles").fetchone()[0] == 2
        reader.close()


def test_open_database_from_a_newer_newsarc(tmp_path: Path) -> None:
    Store(tmp_path / "news.db").close()
    with sqlite3.connect(tmp_path / "news.db") as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('newsarc', '0099_future', '2030-01-01')"
        )
    conn.close()
    with pytest.raises(StoreError, match=r"newer newsarc \(schema 0099_future\)"):
        Store(tmp_path / "news.db", create=False)


def test_a_url_that_redirected_to_a_stored_article_counts_as_stored(store: Store) -> None:
    result = store.save_article(article("https://www.example.com/2025/07/story"))
    page = Page(
        url="https://example.com/s/abc123", final_url="https://www.example.com/2025/07/story",
        status=200, headers={}, body=b"", fetched_at="2025-07-10T08:00:00Z",
    )  # fmt: skip
    store.record_page(page, result.outcome, article_id=result.article_id)
    assert store.has_article("https://example.com/s/abc123")
    assert "https://example.com/s/abc123" in store.article_urls()
    assert not store.has_article("https://example.com/s/other")


def test_a_finished_run_merges_the_fts_segments_its_transactions_wrote(store: Store) -> None:
    """Each transaction writes one FTS5 segment; finish_crawl merges them (one transaction a
    step) until FTS5 reports nothing left, and the index still answers and checks clean."""
    for i in range(12):  # twelve transactions: twelve level-0 segments
        with store.transaction():
            store.save_article(article(f"http://a.example/{i}", f"Story {i} about harbour {i}."))

    def segments() -> int:
        return int(store.db.execute("SELECT count(*) FROM articles_fts_idx").fetchone()[0])

    before = segments()
    crawl_id = store.start_crawl("crawl", {})
    store.finish_crawl(crawl_id, "finished", {})
    assert segments() < before
    assert store.merge_fts() == 0  # nothing left to merge: FTS5 did no work
    store.db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")
    hits = store.db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'harbour'")
    assert hits.fetchone()[0] == 12
    with store.transaction(), pytest.raises(RuntimeError):
        store.merge_fts()
