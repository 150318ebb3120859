"""Read-side queries (pipelines.query): search, show, stories, stats, export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from pipelines import query
from pipelines.items import Article, Page
from pipelines.query import QueryError
from pipelines.store import Store
from tests.test_dedup_corpus import DIFFERENT, NEAR_COPIES, ORIGINAL

KL = "https://news.example.org/2025/07/lavrov-rubio-kl"
MIRROR = "https://mirror.blogspot.com/2025/07/lavrov-rubio.html"
CALL = "https://wire.example.com/lavrov-rubio-call"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store with one story in two copies (origin + mirror) and one other story."""
    with Store(tmp_path / "news.db") as opened:
        opened.save_article(Article(
            url=KL, canonical_url="", site="", title="Lavrov-Rubio meeting in KL being finalised",
            text=ORIGINAL, published="2025-07-10T08:00:00Z", tags=["asean"],
            warc_file="a.warc.gz", warc_offset=123,
        ))  # fmt: skip
        opened.save_article(Article(
            url=MIRROR, canonical_url="", site="", title="Lavrov Rubio Meeting In Kl",
            text=NEAR_COPIES["cache notice appended"], published="2025-07-10", source_url=KL,
        ))  # fmt: skip
        opened.save_article(Article(
            url=CALL, canonical_url="", site="", title="Lavrov and Rubio discuss prisoner swap",
            text=DIFFERENT["same people, other event"], published="2025-08-02",
        ))  # fmt: skip
        yield opened


def urls(results: list[dict]) -> list[str]:
    return [row["url"] for row in results]


def test_search_groups_copies_of_a_story(store: Store) -> None:
    results = query.search(store, "Lavrov")
    assert len(results) == 2
    by_url = {row["url"]: row for row in results}
    kl_story = next(row for row in results if row["url"] in (KL, MIRROR))
    assert kl_story["copies"] == 2 and by_url[CALL]["copies"] == 1
    assert "[Lavrov]" in kl_story["snippet"]
    assert set(kl_story) >= {"id", "url", "site", "title", "published", "story_id", "snippet"}


@pytest.mark.parametrize(("words", "expected"), [
    ("Yekaterinburg", [CALL]),
    ("Subang", [KL]),
    ("kuala lumpur", [KL]),
    ('"prisoner swap"', [CALL]),
    ("nonexistentword", []),
])  # fmt: skip
def test_search_finds_by_word(store: Store, words: str, expected: list[str]) -> None:
    found = urls(query.search(store, words))
    assert [url if url != MIRROR else KL for url in found] == expected


@pytest.mark.parametrize(("filters", "expected"), [
    ({"site": "wire.example.com"}, {CALL}),
    ({"since": "2025-08-01"}, {CALL}),
    ({"until": "2025-07-10"}, {"kl"}),
    ({"since": "2025-07-10", "until": "2025-07-10"}, {"kl"}),
    ({"since": "2025-07-11", "until": "2025-08-01"}, set()),
    ({"until": "2025-08-02"}, {"kl", CALL}),
])  # fmt: skip
def test_search_filters(store: Store, filters: dict[str, str], expected: set[str]) -> None:
    found = urls(query.search(store, "Rubio", **filters))
    assert {("kl" if url in (KL, MIRROR) else url) for url in found} == expected


@pytest.mark.parametrize("site", ["mirror.blogspot.com", "WWW.mirror.blogspot.com"])
def test_search_site_filter_returns_that_sites_copy(store: Store, site: str) -> None:
    assert urls(query.search(store, "Rubio", site=site)) == [MIRROR]


@pytest.mark.parametrize("bad", ['"unterminated', "AND", "Lavrov AND", "covid-19", "(Rubio"])
def test_bad_search_query(store: Store, bad: str) -> None:
    with pytest.raises(QueryError, match=r"^bad search query") as caught:
        query.search(store, bad)
    assert "\n" not in str(caught.value)


def test_bad_date_filter(store: Store) -> None:
    with pytest.raises(QueryError, match="bad --since date"):
        query.search(store, "Rubio", since="last week")


def test_search_limit(store: Store) -> None:
    assert len(query.search(store, "Rubio", limit=1)) == 1


def test_get_article_by_id_url_and_canonical_url(store: Store) -> None:
    by_url = query.get_article(store, KL)
    assert by_url is not None
    assert query.get_article(store, str(by_url["id"]))["url"] == KL
    assert query.get_article(store, KL + "?utm_source=x#top")["url"] == KL
    assert by_url["tags"] == ["asean"]
    assert by_url["copies"] == [{"id": 2, "url": MIRROR, "site": "mirror.blogspot.com"}]
    assert query.get_article(store, "https://nowhere.example/") is None
    assert query.get_article(store, "999") is None


def test_list_stories(store: Store) -> None:
    stories = query.list_stories(store)
    assert [s["copies"] for s in stories] == [2, 1]
    top = stories[0]
    assert top["representative_url"] == KL and top["urls"] == [KL, MIRROR]
    assert (top["sites"], top["first_published"]) == (2, "2025-07-10")
    assert top["title"] == "Lavrov-Rubio meeting in KL being finalised"
    assert len(query.list_stories(store, min_copies=2)) == 1


def test_stats(store: Store) -> None:
    page = Page(url=KL, final_url=KL, status=200, headers={}, body=b"", fetched_at="t")
    store.record_page(page, "stored", article_id=1)
    store.record_page(page, "duplicate", "same text as 1")
    store.start_crawl("demo", {})
    numbers = query.stats(store)
    assert (numbers["articles"], numbers["stories"], numbers["duplicates"]) == (3, 2, 1)
    assert numbers["pages"] == 2 and numbers["pages_by_outcome"] == {"stored": 1, "duplicate": 1}
    assert numbers["crawls"] == 1 and numbers["sites"]["news.example.org"] == 1
    assert numbers["fts_consistent"] is True and numbers["db_size"] > 0
    assert not store.db.conn.in_transaction


def test_stats_detects_an_fts_index_out_of_sync(store: Store) -> None:
    store.db.execute("DROP TRIGGER articles_ad")
    store.db.execute("DELETE FROM articles WHERE url = ?", [CALL])
    assert query.stats(store)["fts_consistent"] is False


def test_stats_detects_stale_fts_content(store: Store) -> None:
    store.db.execute("DROP TRIGGER articles_au")
    store.db.execute("UPDATE articles SET text = 'replaced' WHERE url = ?", [CALL])
    assert query.fts_consistent(store) is False


def test_queries_accept_a_plain_database(store: Store) -> None:
    db = Database(store.path)
    assert len(query.search(db, "Lavrov")) == 2
    db.close()


def test_export_rows_fields(store: Store) -> None:
    exported = list(query.export_rows(store))
    assert len(exported) == 3
    assert list(exported[0]) == [
        "url", "canonical_url", "site", "title", "author", "published", "language", "text",
        "story_id", "is_representative", "warc_file", "warc_offset",
    ]  # fmt: skip
    assert (exported[0]["url"], exported[0]["warc_offset"], exported[0]["is_representative"]) == (
        KL, 123, 1)  # fmt: skip
