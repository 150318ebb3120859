"""The whole chain over real HTTP: crawl the demo sites, then check WARC, text, dedup and store."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from crawler.demo.content import BOILERPLATE_MARKERS
from tests.conftest import FAST, CrawlResult, run_newsarc


def _articles(db: Path) -> list[sqlite3.Row]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute("SELECT * FROM articles ORDER BY url").fetchall()


def test_stores_exactly_the_article_urls(demo_crawl: CrawlResult) -> None:
    stored = {row["url"] for row in _articles(demo_crawl.db)}
    assert stored == set(demo_crawl.sites.article_urls())


def test_listing_disallowed_and_home_pages_are_not_stored(demo_crawl: CrawlResult) -> None:
    stored = {row["url"] for row in _articles(demo_crawl.db)}
    assert not stored & set(demo_crawl.sites.never_stored_urls())


def test_no_boilerplate_in_stored_text(demo_crawl: CrawlResult) -> None:
    for row in _articles(demo_crawl.db):
        for marker in BOILERPLATE_MARKERS:
            assert marker not in row["text"], f"{marker!r} left in {row['url']}"
            assert marker not in row["title"], f"{marker!r} left in the title of {row['url']}"


def test_copies_share_a_story_and_different_stories_do_not(demo_crawl: CrawlResult) -> None:
    story_of = {row["url"]: row["story_id"] for row in _articles(demo_crawl.db)}
    groups = demo_crawl.sites.story_groups()
    for group in groups:
        assert len({story_of[url] for url in group}) == 1, f"copies split: {sorted(group)}"
    assert len({story_of[next(iter(g))] for g in groups}) == len(groups)


def test_each_story_has_one_representative(demo_crawl: CrawlResult) -> None:
    reps: dict[int, int] = defaultdict(int)
    for row in _articles(demo_crawl.db):
        reps[row["story_id"]] += row["is_representative"]
    assert set(reps.values()) == {1}


def test_warc_holds_a_response_record_at_each_recorded_offset(demo_crawl: CrawlResult) -> None:
    for row in _articles(demo_crawl.db):
        path = demo_crawl.warc_dir / row["warc_file"]
        with path.open("rb") as fh:
            fh.seek(row["warc_offset"])
            record = next(iter(ArchiveIterator(fh)))
            assert record.rec_type == "response"
            assert record.rec_headers.get_header("WARC-Target-URI") == row["url"]
            assert record.rec_headers.get_header("WARC-Record-ID") == row["warc_record_id"]
            assert (
                record.rec_headers.get_header("WARC-Payload-Digest") == row["warc_payload_digest"]
            )
            assert record.http_headers.get_statuscode() == "200"


def test_every_warc_file_starts_with_warcinfo(demo_crawl: CrawlResult) -> None:
    files = sorted(demo_crawl.warc_dir.glob("*.warc.gz"))
    assert files and not list(demo_crawl.warc_dir.glob("*.open"))
    for path in files:
        with path.open("rb") as fh:
            first = next(iter(ArchiveIterator(fh)))
            assert first.rec_type == "warcinfo"
            assert first.rec_headers.get_header("WARC-Type") == "warcinfo"


def test_replay_into_empty_db_gives_the_same_articles(
    demo_crawl: CrawlResult, tmp_path: Path
) -> None:
    db = tmp_path / "replayed.db"
    warcs = sorted(str(p) for p in demo_crawl.warc_dir.glob("*.warc.gz"))
    process = run_newsarc("replay", *warcs, "--db", str(db))
    assert process.returncode == 0, process.stderr[-3000:]
    crawled, replayed = _articles(demo_crawl.db), _articles(db)
    assert [(r["url"], r["text_hash"]) for r in crawled] == [
        (r["url"], r["text_hash"]) for r in replayed
    ]
    assert _partition(crawled) == _partition(replayed)


def _partition(rows: list[sqlite3.Row]) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = defaultdict(set)
    for row in rows:
        groups[row["story_id"]].add(row["url"])
    return {frozenset(g) for g in groups.values()}


def test_second_crawl_is_incremental(demo_crawl: CrawlResult, tmp_path: Path) -> None:
    sites = demo_crawl.sites
    db = tmp_path / "copy.db"
    with sqlite3.connect(demo_crawl.db) as source, sqlite3.connect(db) as target:
        source.backup(target)
    process = run_newsarc(
        "crawl",
        sites.portal_url,
        sites.mirror_url,
        "--allow-private",
        "--depth",
        "3",
        "--db",
        str(db),
        "--warc-dir",
        str(tmp_path / "warcs"),
        *FAST,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    assert "articles stored    0 " in process.stdout
    assert f"{len(sites.article_urls())} already stored" in process.stdout
