"""Story assignment does not depend on arrival order; merges; revisions and their history."""

from __future__ import annotations

import json
import random
import sqlite3
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines import store as store_module
from pipelines import stories
from pipelines.dedup import (
    DedupConfig,
    estimated_jaccard,
    from_blob,
    lsh_keys,
    precompute,
    signature,
    text_hash,
    to_blob,
)
from pipelines.items import Article
from pipelines.store import Store
from pipelines.stories import story_key
from tests.test_stories_corpus import Copy, _story, corpus


def chain_texts() -> dict[str, str]:
    """Three texts where A~B and B~C are near copies but A and C are not."""
    rng = random.Random(3)
    paragraphs = _story(rng, (0, 1), "Geneva") + _story(rng, (2, 3), "Doha")
    join = "\n\n".join
    return {"a": join(paragraphs[0:8]), "b": join(paragraphs[2:10]), "c": join(paragraphs[4:12])}


def test_chain_texts_are_a_chain() -> None:
    config = DedupConfig()
    sig = {name: signature(text, config) for name, text in chain_texts().items()}
    assert estimated_jaccard(sig["a"], sig["b"]) >= config.threshold
    assert estimated_jaccard(sig["b"], sig["c"]) >= config.threshold
    assert estimated_jaccard(sig["a"], sig["c"]) < config.threshold


def chain_copies() -> list[Copy]:
    return [
        Copy(f"https://{name}.example.org/story", f"Story {name}", text, "2025-07-20", 99)
        for name, text in chain_texts().items()
    ]


def save_all(path: Path, copies: list[Copy]) -> dict[str, Any]:
    """Store copies in the given order; return the grouping the store made of them."""
    with Store(path) as store:
        with store.transaction():
            for copy in copies:
                store.save_article(Article(
                    url=copy.url, canonical_url="", site="", title=copy.title, text=copy.text,
                    published=copy.published, fetched_at="2025-07-21T00:00:00Z",
                ))  # fmt: skip
        rows = list(store.db.query(
            "SELECT a.url, a.story_id, s.story_key, r.url AS representative, s.title "
            "FROM articles AS a JOIN stories AS s ON s.id = a.story_id "
            "JOIN articles AS r ON r.id = s.representative_id"
        ))  # fmt: skip
        ids = list(
            store.db.query(
                "SELECT id, (SELECT min(id) FROM articles AS a "
                "WHERE a.story_id = s.id) AS smallest FROM stories AS s"
            )
        )
    groups: dict[int, set[str]] = defaultdict(set)
    for row in rows:
        groups[row["story_id"]].add(row["url"])
    return {
        "partition": {frozenset(g) for g in groups.values()},
        "keys": {row["url"]: row["story_key"] for row in rows},
        "representative": {row["url"]: row["representative"] for row in rows},
        "title": {row["url"]: row["title"] for row in rows},
        "ids_are_smallest_article_ids": all(r["id"] == r["smallest"] for r in ids),
    }


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_grouping_is_the_same_in_any_arrival_order(tmp_path: Path, seed: int) -> None:
    copies = corpus(pairs=4) + chain_copies()
    reference = save_all(tmp_path / "in-order.db", copies)
    shuffled = list(copies)
    random.Random(seed).shuffle(shuffled)
    assert save_all(tmp_path / "shuffled.db", shuffled) == reference
    assert reference["ids_are_smallest_article_ids"]


@pytest.mark.parametrize("order", ["abc", "acb", "bac", "bca", "cab", "cba"])
def test_an_article_linking_two_stories_merges_them(tmp_path: Path, order: str) -> None:
    copies = {c.url[8]: c for c in chain_copies()}
    found = save_all(tmp_path / "news.db", [copies[name] for name in order])
    assert found["partition"] == {frozenset(c.url for c in copies.values())}
    assert set(found["keys"].values()) == {story_key(c.url for c in copies.values())}


def test_merge_keeps_the_smallest_story_id(tmp_path: Path) -> None:
    copies = {c.url[8]: c for c in chain_copies()}
    with Store(tmp_path / "news.db") as store:
        first, last, middle = (
            store.save_article(Article(url=copies[n].url, canonical_url="", site="",
                                       title=n, text=copies[n].text))
            for n in "acb"
        )  # fmt: skip
        assert (first.outcome, last.outcome) == ("new", "new") and first.story_id != last.story_id
        assert middle.outcome == "near-duplicate" and middle.story_id == first.story_id == 1
        assert [r["id"] for r in store.db.query("SELECT id FROM stories")] == [1]
        assert store.db.execute("SELECT copies FROM stories").fetchone()[0] == 3


# -- revisions ----------------------------------------------------------------------------------

ORIGINAL = chain_texts()["a"]
CORRECTED = ORIGINAL.replace("officials said", "officials said on condition of anonymity", 1)


def article(text: str, fetched_at: str, url: str = "https://news.example.org/x") -> Article:
    return Article(url=url, canonical_url="", site="", title="Talks", text=text,
                   fetched_at=fetched_at)  # fmt: skip


def versions(store: Store) -> list[tuple[str, str]]:
    return [(r["fetched_at"], r["text"][:40]) for r in
            store.db.query("SELECT * FROM article_versions ORDER BY fetched_at")]  # fmt: skip


def test_a_newer_text_becomes_current_and_the_old_one_a_version(tmp_path: Path) -> None:
    assert CORRECTED != ORIGINAL
    with Store(tmp_path / "news.db") as store:
        first = store.save_article(article(ORIGINAL, "2025-07-10T08:00:00Z"))
        again = store.save_article(article(CORRECTED, "2025-07-11T08:00:00Z"))
        assert again.outcome == "updated" and again.article_id == first.article_id
        assert store.db.execute("SELECT text FROM articles").fetchone()[0] == CORRECTED
        row = next(store.db.query("SELECT * FROM article_versions"))
        assert (row["text"], row["fetched_at"], row["replaced_at"]) == (
            ORIGINAL, "2025-07-10T08:00:00Z", "2025-07-11T08:00:00Z")  # fmt: skip


def test_an_older_text_arriving_late_is_kept_as_a_version_only(tmp_path: Path) -> None:
    with Store(tmp_path / "news.db") as store:
        store.save_article(article(CORRECTED, "2025-07-11T08:00:00Z"))
        late = store.save_article(article(ORIGINAL, "2025-07-10T08:00:00Z"))
        assert late.outcome == "older-version"
        assert store.db.execute("SELECT text FROM articles").fetchone()[0] == CORRECTED
        assert versions(store) == [("2025-07-10T08:00:00Z", ORIGINAL[:40])]
        assert store.save_article(article(ORIGINAL, "2025-07-10T08:00:00Z")).outcome == (
            "older-version")  # fmt: skip
        assert len(versions(store)) == 1


@pytest.mark.parametrize("compact_rows", [stories.COMPACT_ROWS, 1])
def test_revised_copy_hands_its_signature_to_an_exact_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compact_rows: int
) -> None:
    """The same whether the band keys are still in the write buffer or already merged."""
    monkeypatch.setattr(stories, "COMPACT_ROWS", compact_rows)
    other = chain_texts()["c"]
    with Store(tmp_path / "news.db") as store:
        store.save_article(article(ORIGINAL, "2025-07-10T08:00:00Z"))
        twin = store.save_article(article(ORIGINAL, "2025-07-10T09:00:00Z",
                                          "https://mirror.example.net/x"))  # fmt: skip
        assert twin.outcome == "exact-duplicate"
        store.save_article(article(other, "2025-07-12T08:00:00Z"))  # the first URL now says C
        near = store.save_article(article(chain_texts()["b"], "2025-07-12T09:00:00Z",
                                          "https://third.example.com/x"))  # fmt: skip
        assert near.outcome == "near-duplicate"
        indexed = store.db.execute("SELECT count(*) FROM minhashes").fetchone()[0]
        assert indexed == 3  # ORIGINAL (now held by the mirror), C and B
        keys = (store.db.execute("SELECT count(*) FROM lsh_buckets").fetchone()[0],
                stories.buffered_keys(store.db))  # fmt: skip
        assert sum(keys) == 3 * store.dedup.bands
        assert store.recent_keys.keys == keys[1]
        assert keys[compact_rows == 1] == 0  # merged each time, or all still buffered


def test_fts_stays_consistent_when_a_new_article_is_revised_in_the_same_batch(
    tmp_path: Path,
) -> None:
    from pipelines import query

    with Store(tmp_path / "news.db") as store:
        with store.transaction():
            store.save_article(article(ORIGINAL, "2025-07-10T08:00:00Z"))
            store.save_article(article(CORRECTED, "2025-07-11T08:00:00Z"))
            store.save_article(article(chain_texts()["c"], "2025-07-11T09:00:00Z",
                                       "https://other.example.com/y"))  # fmt: skip
        assert query.fts_consistent(store)
        assert [r["url"] for r in query.search(store, '"condition of anonymity"')] == [
            "https://news.example.org/x"]  # fmt: skip
        with pytest.raises(RuntimeError), store.transaction():
            store.save_article(article(chain_texts()["b"], "2025-07-12T08:00:00Z",
                                       "https://third.example.com/z"))  # fmt: skip
            raise RuntimeError("interrupted")
        assert query.fts_consistent(store)
        assert store.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 2


def test_lsh_lookup_is_index_probes_not_a_scan(tmp_path: Path) -> None:
    """A lookup costs the same at any size: the plan of the lookup that ``stories.similar``
    runs probes lsh_buckets by its primary key (the write buffer is looked up in memory)."""
    statements: list[str] = []
    with Store(tmp_path / "news.db") as store:
        store.save_article(article(ORIGINAL, "2025-07-10T08:00:00Z"))
        stories.compact(store.db)  # into lsh_buckets (and its key filter)
        store.db.conn.commit()
        store.db.conn.set_trace_callback(statements.append)
        sig = signature(CORRECTED, store.dedup)
        assert stories.similar(store.db, sig, store.dedup)
        store.db.conn.set_trace_callback(None)
        (lookup,) = [s for s in statements if "lsh_buckets" in s]
        plan = " | ".join(row[3] for row in store.db.execute(f"EXPLAIN QUERY PLAN {lookup}"))
    assert "SEARCH lsh_buckets USING PRIMARY KEY (band_key=?)" in plan
    assert "SCAN" not in plan


@pytest.mark.parametrize("seed", [1, 2])
def test_grouping_is_the_same_whenever_the_write_buffer_is_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Band keys merged into lsh_buckets after every article, or never: same stories."""
    copies = corpus(pairs=4) + chain_copies()
    random.Random(seed).shuffle(copies)
    reference = save_all(tmp_path / "buffered.db", copies)
    monkeypatch.setattr(stories, "COMPACT_ROWS", 1)
    merged = tmp_path / "merged.db"
    for copy in copies:
        save_all(merged, [copy])  # one transaction, and so one merge, per article
    assert save_all(merged, []) == reference
    with Store(merged) as store:
        assert stories.buffered_keys(store.db) == 0
        assert store.db.execute("SELECT count(*) FROM lsh_buckets").fetchone()[0] > 0


def test_the_writer_reuses_a_signature_computed_by_the_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A precomputed signature is used while the text is unchanged, recomputed when a site
    template removed lines after extraction."""
    config = DedupConfig()
    unchanged = precompute(article(ORIGINAL, "2025-07-10T08:00:00Z"), config)
    edited = precompute(article(chain_texts()["c"], "2025-07-10T08:00:00Z",
                                "https://other.example.org/y"), config)  # fmt: skip
    edited.text = edited.text.split("\n\n", 1)[1]
    computed: list[str] = []
    real_signature = store_module.signature
    monkeypatch.setattr(store_module, "signature",
                        lambda text, cfg: computed.append(text) or real_signature(text, cfg))  # fmt: skip
    with Store(tmp_path / "news.db") as store:
        store.save_article(unchanged)
        store.save_article(edited)
        blobs = dict(store.db.execute("SELECT article_id, signature FROM minhashes").fetchall())
        hashes = dict(store.db.execute("SELECT id, text_hash FROM articles").fetchall())
    assert computed == [edited.text]
    assert blobs[1] == to_blob(signature(ORIGINAL, config))
    assert blobs[2] == to_blob(signature(edited.text, config))
    assert hashes[2] == text_hash(edited.text) != text_hash(chain_texts()["c"])


def test_databases_made_before_0003_are_migrated(tmp_path: Path) -> None:
    """Old story ids become the smallest article id; keys and the LSH index are rebuilt."""
    import sqlite3

    from pipelines import migrations
    from pipelines.dedup import text_hash

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for statement in migrations._INITIAL:
        conn.execute(statement)
    conn.execute("CREATE TABLE _sqlite_migrations (migration_set TEXT, name TEXT, applied_at TEXT)")
    conn.execute("INSERT INTO _sqlite_migrations VALUES ('newsarc', '0001_initial', 'then')")
    texts = chain_texts()
    for article_id, url, text, story in ((1, "https://x.org/a", texts["a"], 7),
                                          (2, "https://y.org/a", texts["a"], 7),
                                          (3, "https://z.org/c", texts["c"], 9)):  # fmt: skip
        conn.execute(
            "INSERT INTO articles (id, url, canonical_url, site, text, text_hash, story_id, "
            "first_seen, last_seen) VALUES (?, ?, ?, 'x', ?, ?, ?, 't', 't')",
            [article_id, url, url, text, text_hash(text), story],
        )
    conn.executemany("INSERT INTO stories (id, copies) VALUES (?, 1)", [(7,), (9,)])
    conn.commit()
    conn.close()
    with Store(path, create=False) as store:
        assert [r[0] for r in store.db.execute("SELECT story_id FROM articles ORDER BY id")] == [
            1, 1, 3]  # fmt: skip
        keys = dict(store.db.execute("SELECT id, story_key FROM stories").fetchall())
        assert keys == {1: story_key(["https://x.org/a", "https://y.org/a"]),
                        3: story_key(["https://z.org/c"])}  # fmt: skip
        assert store.db.execute("SELECT count(*) FROM minhashes").fetchone()[0] == 2
        joined = store.save_article(article(texts["b"], "2025-07-12T08:00:00Z", "https://b.org/"))
        assert joined.story_id == 1
        assert [r[0] for r in store.db.execute("SELECT id FROM stories")] == [1]


def _lsh_rows(store: Store) -> set[tuple[int, int]]:
    """Band keys in lsh_buckets and in the write buffer (as the table and as the writer's
    copy in memory, which must agree once it caught up, as at a transaction's start)."""
    if not store.db.conn.in_transaction:
        store.recent_keys.sync(store.db)
    buffered = {
        (key, article_id)
        for key, article_id in store.db.execute(
            "SELECT k.value, r.article_id FROM lsh_recent AS r, json_each(r.band_keys) AS k"
        )
    }
    in_memory = {(k, a) for a, keys in store.recent_keys.rows.items() for k in keys}
    assert in_memory == buffered
    return buffered | set(store.db.execute("SELECT band_key, article_id FROM lsh_buckets"))


def _expected_lsh_rows(store: Store) -> set[tuple[int, int]]:
    return {
        (key, article_id)
        for article_id, blob in store.db.execute("SELECT article_id, signature FROM minhashes")
        for key in lsh_keys(from_blob(blob), store.dedup)
    }


def test_a_failed_save_in_a_batch_leaves_no_band_keys_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The band keys of a batch are written at its end: a save that fails half-way (after its
    keys were noted) takes them back, and a revision in the same batch moves them."""
    texts = chain_texts()
    real_create = stories.create

    def create(db, article_id, copy):  # type: ignore[no-untyped-def]
        if copy["url"].startswith("https://fails."):
            raise sqlite3.OperationalError("disk I/O error")
        return real_create(db, article_id, copy)

    monkeypatch.setattr(stories, "create", create)
    with Store(tmp_path / "news.db") as store:
        with store.transaction():
            store.save_article(article(texts["a"], "2025-07-10T08:00:00Z"))
            with pytest.raises(sqlite3.OperationalError):
                store.save_article(article(texts["c"], "2025-07-10T08:00:00Z",
                                           "https://fails.example.com/c"))  # fmt: skip
            twin = store.save_article(article(texts["a"], "2025-07-10T09:00:00Z",
                                              "https://mirror.example.net/a"))  # fmt: skip
            revised = store.save_article(article(texts["c"], "2025-07-11T08:00:00Z"))
            near = store.save_article(article(texts["b"], "2025-07-11T09:00:00Z",
                                              "https://third.example.com/b"))  # fmt: skip
        assert (twin.outcome, revised.outcome, near.outcome) == (
            "exact-duplicate", "updated", "near-duplicate")  # fmt: skip
        assert _lsh_rows(store) == _expected_lsh_rows(store) != set()
        ids = {row[0] for row in store.db.execute("SELECT id FROM articles")}
        assert {article_id for _, article_id in _lsh_rows(store)} <= ids


@pytest.mark.parametrize("failing", ["article row", "story row", "near copy's story"])
def test_a_failed_save_leaves_nothing_of_itself_in_the_batch(tmp_path: Path, failing: str) -> None:
    """A fresh text is saved without a savepoint and undone by hand when a write fails; a copy
    joining a story is saved in a savepoint. Either way the batch commits the other saves and
    nothing of the failed one: no orphan signature, band keys, story, or FTS entry."""
    from pipelines import query

    texts = chain_texts()
    table, fresh = {"article row": ("articles", True), "story row": ("stories", True),
                    "near copy's story": ("stories", False)}[failing]  # fmt: skip
    with Store(tmp_path / "news.db") as store:
        store.db.execute(
            f"CREATE TEMP TRIGGER fail BEFORE {'INSERT' if fresh else 'UPDATE'} ON {table} "
            "WHEN (SELECT count(*) FROM temp.armed) > 0 "
            "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
        )
        store.db.execute("CREATE TEMP TABLE armed (x)")
        with store.transaction():
            store.save_article(article(texts["a"], "2025-07-10T08:00:00Z"))
            store.db.execute("INSERT INTO temp.armed VALUES (1)")
            text = texts["c" if fresh else "b"]
            with pytest.raises(sqlite3.IntegrityError, match="disk I/O error"):
                store.save_article(article(text, "2025-07-10T09:00:00Z",
                                           "https://fails.example.com/x"))  # fmt: skip
            store.db.execute("DELETE FROM temp.armed")
            later = store.save_article(article(texts["b"], "2025-07-10T10:00:00Z",
                                               "https://later.example.com/b"))  # fmt: skip
        assert (later.article_id, later.outcome) == (2, "near-duplicate")
        assert [r[0] for r in store.db.execute("SELECT url FROM articles ORDER BY id")] == [
            "https://news.example.org/x", "https://later.example.com/b"]  # fmt: skip
        assert [r[0] for r in store.db.execute("SELECT id FROM stories")] == [1]
        assert {r[0] for r in store.db.execute("SELECT article_id FROM minhashes")} == {1, 2}
        assert _lsh_rows(store) == _expected_lsh_rows(store)
        assert query.fts_consistent(store)
        assert store.db.execute("SELECT copies FROM stories").fetchone()[0] == 2


def test_the_key_filter_never_rules_out_a_key_it_holds() -> None:
    """No false negatives; false positives near the design rate at capacity."""
    rng = np.random.default_rng(5)
    held = rng.integers(0, 2**63 - 1, size=50_000, dtype=np.int64).tolist()
    others = rng.integers(0, 2**63 - 1, size=50_000, dtype=np.int64).tolist()
    key_filter = stories.KeyFilter(capacity=50_000)
    key_filter.add(held[:20_000])
    key_filter.add(held[20_000:])
    assert key_filter.keys == 50_000
    assert all(key_filter.may_hold(key) for key in held)
    false_positives = sum(key_filter.may_hold(key) for key in others) / len(others)
    assert 0 < false_positives < 0.03
    copy = stories.KeyFilter(key_filter.capacity, bytes(key_filter.raw), key_filter.keys)
    assert [copy.may_hold(k) for k in others[:2000]] == [
        key_filter.may_hold(k) for k in others[:2000]]  # fmt: skip


def _keys_probed_saving_b(store: Store) -> int:
    """Save text B (a near copy of A); return how many band keys its lookup probed in
    lsh_buckets (one statement)."""
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    near = store.save_article(article(chain_texts()["b"], "2025-07-10T09:00:00Z",
                                      "https://b.example.org/x"))  # fmt: skip
    store.db.conn.set_trace_callback(None)
    assert near.outcome == "near-duplicate"
    (probe,) = [s for s in statements if "FROM lsh_buckets WHERE band_key IN" in s]
    return probe.count(",") + 1


@pytest.mark.parametrize("capacity", [stories.KeyFilter.MIN_CAPACITY, 16])
def test_the_stored_key_filter_holds_every_key_of_lsh_buckets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capacity: int
) -> None:
    """Merged after every article: the filter is written with each merge, rebuilt larger
    when full (capacity 16), and a lookup probes lsh_buckets only for keys it may hold."""
    monkeypatch.setattr(stories, "COMPACT_ROWS", 1)
    monkeypatch.setattr(stories.KeyFilter, "MIN_CAPACITY", capacity)
    texts = chain_texts()
    with Store(tmp_path / "news.db") as store:
        for name in ("a", "c"):
            store.save_article(article(texts[name], "2025-07-10T08:00:00Z",
                                       f"https://{name}.example.org/x"))  # fmt: skip
        stored = stories.KeyFilter.load(store.db)
        assert stored is not None
        keys = [k for (k,) in store.db.execute("SELECT band_key FROM lsh_buckets")]
        assert len(keys) == 2 * store.dedup.bands
        assert all(stored.may_hold(key) for key in keys)
        assert stored.capacity >= stored.keys
        probed = _keys_probed_saving_b(store)
        assert 0 < probed < store.dedup.bands  # the bands B shares with A


def test_a_merge_adds_every_buffered_key_to_the_filter(tmp_path: Path) -> None:
    """The buffer's JSON arrays, read in one piece by the merge: an empty array and keys at
    both ends of the 63-bit range included."""
    rows = {1: [0, 2**63 - 1, 12345], 2: [], 3: [2**62 + 7]}
    with Store(tmp_path / "news.db") as store:
        with store.transaction():
            for article_id, keys in rows.items():
                store.db.execute(
                    "INSERT INTO lsh_recent (article_id, band_keys) VALUES (?, ?)",
                    [article_id, json.dumps(keys)],
                )
        assert sorted(stories._buffered_key_array(store.db).tolist()) == sorted(
            key for keys in rows.values() for key in keys
        )
        with store.transaction():
            assert stories.compact(store.db) == 4
        stored = stories.KeyFilter.load(store.db)
        assert stored is not None
        assert all(stored.may_hold(key) for keys in rows.values() for key in keys)
        assert stories._buffered_key_array(store.db).size == 0


def test_a_rebuilt_key_filter_reads_every_key_slice_by_slice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """KeyFilter.build reads lsh_buckets in slices of the key range: keys at both ends of
    the signed 64-bit range and on slice bounds are all held, none twice."""
    rng = np.random.default_rng(11)
    keys = [-(2**63), -(2**62), -1, 0, 1, 2**62, 2**63 - 1]
    keys += rng.integers(-(2**63), 2**63 - 1, size=200, dtype=np.int64).tolist()
    monkeypatch.setattr(stories.KeyFilter, "KEYS_PER_READ", 17)  # 12 slices: bounds at 0, ±2**62
    with Store(tmp_path / "news.db") as store:
        with store.transaction():
            store.db.conn.executemany(
                "INSERT OR IGNORE INTO lsh_buckets (band_key, article_id) VALUES (?, 1)",
                [(key,) for key in keys],
            )
            built = stories.KeyFilter.build(store.db)
        assert built.keys == len(set(keys))
        assert all(built.may_hold(key) for key in keys)


def test_a_store_without_a_key_filter_probes_every_key(tmp_path: Path) -> None:
    texts = chain_texts()
    with Store(tmp_path / "news.db") as store:
        store.save_article(article(texts["a"], "2025-07-10T08:00:00Z"))
        stories.compact(store.db)
        store.db.execute("UPDATE lsh_state SET filter = NULL, generation = generation + 1")
        store.db.conn.commit()
        probed = _keys_probed_saving_b(store)
        assert probed == store.dedup.bands


def test_a_writer_sees_the_new_keys_of_an_article_another_writer_revised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer's revision of an older article (its old keys already merged into
    lsh_buckets) writes a buffer row under an id this writer has seen: it reads everything
    again, and finds the new text."""
    texts = chain_texts()
    unrelated = " ".join(f"unrelated{i} words follow here." for i in range(80))
    with Store(tmp_path / "news.db") as first, Store(tmp_path / "news.db") as second:
        monkeypatch.setattr(stories, "COMPACT_ROWS", 1)
        first.save_article(article(texts["a"], "2025-07-10T08:00:00Z"))  # merged at commit
        monkeypatch.setattr(stories, "COMPACT_ROWS", 10**9)  # no more merges
        second.save_article(article(unrelated, "2025-07-10T09:00:00Z",
                                    "https://other.example.net/u"))  # fmt: skip
        other = " ".join(f"fresh{i} words for the revision." for i in range(80))
        assert first.save_article(article(other, "2025-07-11T08:00:00Z")).outcome == "updated"
        near = second.save_article(article(other + " One more line.", "2025-07-11T09:00:00Z",
                                           "https://third.example.com/r"))  # fmt: skip
        assert (near.outcome, near.duplicate_of) == ("near-duplicate", 1)


# -- the writer's copy of the LSH write buffer (RecentKeys) against a plain dict -------------

_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(1, 6), st.lists(st.integers(0, 12), max_size=5)),
        st.tuples(st.just("move"), st.integers(1, 6), st.integers(0, 6)),
        st.tuples(st.just("mark"), st.just(0), st.just(0)),
        st.tuples(st.just("rollback"), st.just(0), st.just(0)),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(_OPS, st.lists(st.integers(0, 12), max_size=6))
def test_recent_keys_agree_with_a_plain_dict(
    ops: list[tuple[str, Any, Any]], probe: list[int]
) -> None:
    """Adds, moves (0: drop) and rollbacks to savepoints leave the same candidates in memory
    as a dict of article -> keys snapshotted at each savepoint, the same rows in lsh_recent,
    and a fresh copy read from the table after the commit agrees."""
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "news.db") as store:
        recent, conn = store.recent_keys, store.db.conn
        model: dict[int, list[int]] = {}
        marks: list[tuple[int, dict[int, list[int]]]] = []
        with store.transaction():
            for op, a, b in ops:
                if op == "add":
                    keys = sorted(set(b))
                    recent.add(store.db, a, keys)
                    model[a] = keys
                elif op == "move":
                    moved = recent.remove(store.db, a)
                    assert moved == model.pop(a, None)
                    if moved is not None and b:
                        recent.add(store.db, b, moved)
                        model[b] = moved
                elif op == "mark":
                    conn.execute("SAVEPOINT t")
                    marks.append((recent.mark(), dict(model)))
                elif marks:
                    conn.execute("ROLLBACK TO SAVEPOINT t")
                    conn.execute("RELEASE SAVEPOINT t")
                    mark, model = marks.pop()
                    recent.rollback(mark)
                wanted = set(probe)
                expected = Counter(
                    {a: n for a, keys in model.items() if (n := len(wanted & set(keys)))}
                )
                assert recent.candidates(probe) == expected
                assert recent.keys == sum(map(len, model.values()))
        table = {a: json.loads(k) for a, k in conn.execute("SELECT * FROM lsh_recent")}
        assert table == model == recent.rows
        fresh = stories.RecentKeys()
        fresh.sync(store.db)
        assert fresh.rows == model
        assert fresh.candidates(probe) == recent.candidates(probe)


def test_a_writer_sees_the_band_keys_another_writer_buffered(tmp_path: Path) -> None:
    """Two stores on one file (two processes): each finds the articles the other buffered,
    also after the other moved band keys (a revision hands a text's keys to its exact copy,
    and the other writer's copy in memory is read again)."""
    texts = chain_texts()
    with Store(tmp_path / "news.db") as first, Store(tmp_path / "news.db") as second:
        first.save_article(article(texts["a"], "2025-07-10T08:00:00Z"))
        twin = second.save_article(article(texts["a"], "2025-07-10T09:00:00Z",
                                           "https://mirror.example.net/a"))  # fmt: skip
        assert (twin.outcome, twin.article_id) == ("exact-duplicate", 2)
        other = " ".join(f"unrelated{i} words follow here." for i in range(80))
        assert first.save_article(article(other, "2025-07-11T08:00:00Z")).outcome == "updated"
        near = second.save_article(article(texts["b"], "2025-07-11T09:00:00Z",
                                           "https://third.example.com/b"))  # fmt: skip
        assert (near.outcome, near.duplicate_of) == ("near-duplicate", 2)  # A's text, at 2 now
        assert _lsh_rows(first) == _lsh_rows(second) == _expected_lsh_rows(second)
