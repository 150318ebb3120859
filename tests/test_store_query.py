"""Read-side queries (pipelines.query): search, show, stories, stats, export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from pipelines import query
from pipelines.items import Article, Page
from pipelines.query import Filters, QueryError
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
    assert "[Lavrov]" in query.mark(kl_story["snippet"])
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
    found = urls(query.search(store, "Rubio", Filters(**filters)))
    assert {("kl" if url in (KL, MIRROR) else url) for url in found} == expected


@pytest.mark.parametrize("site", ["mirror.blogspot.com", "WWW.mirror.blogspot.com"])
def test_search_site_filter_returns_that_sites_copy(store: Store, site: str) -> None:
    assert urls(query.search(store, "Rubio", Filters(site=site))) == [MIRROR]


@pytest.mark.parametrize("bad", ['"unterminated', "AND", "Lavrov AND", "covid-19", "(Rubio"])
def test_bad_search_query(store: Store, bad: str) -> None:
    with pytest.raises(QueryError, match=r"^bad search query") as caught:
        query.search(store, bad)
    assert "\n" not in str(caught.value)


def test_bad_date_filter(store: Store) -> None:
    with pytest.raises(QueryError, match="bad --since date"):
        query.search(store, "Rubio", Filters(since="last week"))


def test_search_limit(store: Store) -> None:
    assert len(query.search(store, "Rubio", limit=1)) == 1


def test_get_article_by_id_url_and_canonical_url(store: Store) -> None:
    by_url = query.get_article(store, KL)
    assert by_url is not None
    assert query.get_article(store, str(by_url["id"]))["url"] == KL
    assert query.get_article(store, KL + "?utm_source=x#top")["url"] == KL
    assert by_url["tags"] == ["asean"]
    assert by_url["copies"] == [
        {
            "id": 2,
            "url": MIRROR,
            "site": "mirror.blogspot.com",
            "published": "2025-07-10",
            "is_representative": 0,
        }
    ]
    assert by_url["story"]["copies"] == 2 and len(by_url["story"]["story_key"]) == 16
    assert by_url["versions"] == 0
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


def test_list_stories_puts_copies_first_and_fills_with_single_copies(tmp_path: Path) -> None:
    """Stories of several copies come from idx_stories_copies (which holds only those), in
    order of copies then date; stories of one copy fill the list when they are too few."""
    words = [f"word{i}" for i in range(400)]

    def text(seed: int) -> str:
        shuffled = words[seed * 37 % 400 :] + words[: seed * 37 % 400]
        return " ".join(shuffled[: 120 : 1 + seed % 3]) + f" story{seed}."

    layout = {0: ("2025-07-01", 3), 1: ("2025-07-03", 2), 2: ("2025-07-02", 2),
              3: ("2025-06-01", 1), 4: ("2025-06-03", 1), 5: ("2025-06-02", 1)}  # fmt: skip
    with Store(tmp_path / "news.db") as store:
        for seed, (published, copies) in layout.items():
            for copy in range(copies):
                store.save_article(Article(
                    url=f"https://site{copy}.example/{seed}", canonical_url="", site="",
                    title=f"story {seed}", text=text(seed), published=published,
                ))  # fmt: skip
        statements: list[str] = []
        store.db.conn.set_trace_callback(statements.append)
        listed = query.list_stories(store, limit=10)
        store.db.conn.set_trace_callback(None)
        assert [(s["title"], s["copies"]) for s in listed] == [
            ("story 0", 3), ("story 1", 2), ("story 2", 2),
            ("story 4", 1), ("story 5", 1), ("story 3", 1)]  # fmt: skip
        assert [s["title"] for s in query.list_stories(store, limit=2)] == ["story 0", "story 1"]
        assert len(query.list_stories(store, min_copies=2, limit=10)) == 3
        first = next(s for s in statements if "s.copies > 1" in s)
        plan = [r[3] for r in store.db.execute(f"EXPLAIN QUERY PLAN {first}")]
        assert any("idx_stories_copies" in step for step in plan), plan


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
    assert list(exported[0]) == list(query.EXPORT_FIELDS)
    assert list(query.EXPORT_FIELDS[:12]) == [
        "url", "canonical_url", "site", "title", "author", "published", "language", "text",
        "story_id", "is_representative", "warc_file", "warc_offset",
    ]  # fmt: skip
    assert (exported[0]["url"], exported[0]["warc_offset"], exported[0]["is_representative"]) == (
        KL, 123, 1)  # fmt: skip


# -- issue 4: filters, copies, representative, history, stories, export ---------------------


def test_search_lang_and_story_filters(store: Store) -> None:
    store.db.execute("UPDATE articles SET language = 'en' WHERE url = ?", [CALL])
    assert urls(query.search(store, "Rubio", Filters(lang="EN"))) == [CALL]
    story = query.get_article(store, KL)["story_id"]
    assert {r["story_id"] for r in query.search(store, "Rubio", Filters(story=story))} == {story}


def test_search_copies_lists_every_copy(store: Store) -> None:
    assert sorted(urls(query.search(store, "Subang", copies=True))) == sorted([KL, MIRROR])
    assert urls(query.search(store, "Subang")) == [KL]


def test_search_shows_the_representative_when_it_matches(store: Store) -> None:
    # "cache" occurs only in the mirror's notice: the mirror is the hit, not the origin
    assert urls(query.search(store, "simpanan")) == [MIRROR]
    assert urls(query.search(store, "Lavrov AND Subang")) == [KL]


@pytest.mark.parametrize("bad", ["covid-19", '"unterminated'])
def test_bad_query_error_suggests_the_literal_form(store: Store, bad: str) -> None:
    with pytest.raises(QueryError, match=r"use --literal or") as caught:
        query.search(store, bad)
    literal = query.quote_terms(bad)
    assert literal in str(caught.value)
    query.search(store, literal)  # the suggestion itself parses


def test_quote_terms() -> None:
    assert query.quote_terms('covid-19 "x') == '"covid-19" """x"'


def test_history_and_word_diff(store: Store) -> None:
    first = query.get_article(store, CALL)
    store.save_article(Article(
        url=CALL, canonical_url="", site="", title="Lavrov and Rubio discuss prisoner swap",
        text=DIFFERENT["same people, other event"].replace("forty minutes", "an hour"),
        published="2025-08-02", fetched_at="2099-01-01T00:00:00Z",
    ))  # fmt: skip
    versions = query.history(store, first["id"])
    assert [v["current"] for v in versions] == [False, True]
    changes = query.word_diff(versions[0]["text"], versions[1]["text"])
    assert len(changes) == 1 and "[-forty minutes,-] {+an hour,+}" in changes[0]
    assert query.get_article(store, CALL)["versions"] == 1


def test_list_stories_since_and_members(store: Store) -> None:
    stories = query.list_stories(store, since="2025-08-01")
    assert [s["representative_url"] for s in stories] == [CALL]
    top = query.list_stories(store, min_copies=2)[0]
    assert [m["url"] for m in top["members"]] == [KL, MIRROR]
    assert top["members"][0]["is_representative"] == 1 and top["first_seen"]


def test_export_a_query_with_filters(store: Store) -> None:
    assert [r["url"] for r in query.export_rows(store, "Subang")] == [KL, MIRROR]
    assert [r["url"] for r in query.export_rows(store, "Rubio", Filters(since="2025-08-01"))] == [
        CALL]  # fmt: skip
    assert [r["url"] for r in query.export_rows(store, None, Filters(site="wire.example.com"))] == [
        CALL]  # fmt: skip
    with pytest.raises(QueryError):
        list(query.export_rows(store, "AND"))
