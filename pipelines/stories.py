"""Stories: which copies belong together, and the figures of each story (one writer's helpers).

A story is a connected group of copies: two articles are linked when they have the same
normalised text or an estimated Jaccard similarity at or above the threshold. When a new
article links to several stories they are merged into one. That makes the grouping a
function of the set of articles, not of the order in which they arrived:

- the story's ``id`` is the smallest article id among its copies (a merge keeps the smallest);
- its ``story_key`` is derived from content only (the smallest canonical URL among its
  copies), so the same copies get the same key in a crawl and in a replay in any order;
- its representative follows :func:`pipelines.dedup.representative`, whose last tie-breakers
  are the canonical URL and then the id.

Everything here takes a sqlite-utils ``Database`` inside the store's transaction.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
from collections import Counter
from collections.abc import Iterable
from itertools import repeat
from typing import Any

import numpy as np
from sqlite_utils import Database

from pipelines.dedup import (
    DedupConfig,
    from_blob,
    lsh_keys,
    representative,
    to_blob,
)

__all__ = [
    "KeyFilter",
    "RecentKeys",
    "buffered_keys",
    "compact",
    "create",
    "index",
    "merge",
    "move_index",
    "refresh",
    "similar",
    "story_key",
    "unindex",
]

logger = logging.getLogger(__name__)


# -- the LSH index: one signature per distinct text ------------------------------------------
# Exact copies share a signature, so only one article per distinct text hash is indexed (the
# first stored); a later exact copy finds its story by text hash. Lookups are one indexed
# probe per band into ``lsh_buckets``, whatever the size of the store, plus a look into the
# write buffer: new band keys go to ``lsh_recent`` as one row per article (a JSON array),
# which each writer mirrors in memory (:class:`RecentKeys`), and :func:`compact` expands them
# into ``lsh_buckets`` in key order once the buffer holds enough of them.

COMPACT_ROWS = 1_000_000
"""Band keys ``lsh_recent`` holds before :func:`compact` merges them into lsh_buckets (31,250
articles of 32 bands). A merge rewrites most pages of lsh_buckets, so its cost per article
falls as this grows: 500,000 -> 1,000,000 took the writer from 1,314-1,360 to 1,510-1,695
articles/s at 150,000-181,000 articles. Each writer holds the buffer in memory, indexed by
key: about 90 MB when full, read back in about 0.9 s when a writer opens the store."""


class KeyFilter:
    """A Bloom filter of the band keys in ``lsh_buckets`` (stored in ``lsh_state``).

    Most band keys of a new text are in no bucket: a key the filter rules out is not probed
    in the large table (the 32 probes of a lookup were 15% of the writer's time at 150,000
    articles). It holds every key ever merged into lsh_buckets (a key removed since only
    costs a useless probe): :func:`compact` adds the keys it merges and stores the filter in
    the same transaction. Once it holds more keys than it was sized for, it is rebuilt from
    lsh_buckets twice as large.
    """

    BITS_PER_KEY = 10
    """With three hash functions: about 1.7% false positives per key at capacity."""
    MIN_CAPACITY = 1 << 20
    KEYS_PER_READ = 2_000_000
    """Keys :meth:`build` reads at once (as text, ~20 bytes each)."""
    _MULTIPLIERS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)

    def __init__(self, capacity: int, bits: bytes | None = None, keys: int = 0) -> None:
        size = 1 << max(6, (capacity * self.BITS_PER_KEY - 1).bit_length())  # a power of two
        self.capacity, self.keys = capacity, keys
        self.raw = bytearray(bits) if bits is not None else bytearray(size // 8)
        """The bits (a bytearray: indexing it from Python is fast)."""
        if len(self.raw) * 8 != size:
            raise ValueError(f"a filter of {len(self.raw) * 8} bits for capacity {capacity}")
        self._shift = 64 - (size.bit_length() - 1)

    def may_hold(self, key: int) -> bool:
        """False if ``key`` is certainly not in lsh_buckets."""
        return bool(self.held([key]))

    def held(self, keys: list[int]) -> list[int]:
        """Those of ``keys`` the filter does not rule out (one loop, no call per key: the
        first hash rules out most keys of a fresh text)."""
        raw, shift, mask = self.raw, self._shift, 0xFFFFFFFFFFFFFFFF
        first, second, third = self._MULTIPLIERS
        found = []
        for key in keys:
            position = ((key * first) & mask) >> shift
            if not raw[position >> 3] >> (position & 7) & 1:
                continue
            position = ((key * second) & mask) >> shift
            if not raw[position >> 3] >> (position & 7) & 1:
                continue
            position = ((key * third) & mask) >> shift
            if raw[position >> 3] >> (position & 7) & 1:
                found.append(key)
        return found

    def add(self, keys: Iterable[int] | np.ndarray) -> None:
        """Set the bits of ``keys`` (an int64 array is used as it is)."""
        if not isinstance(keys, np.ndarray):
            keys = np.fromiter(keys, dtype=np.int64)
        values = keys.astype(np.int64, copy=False).view(np.uint64)
        bits = np.frombuffer(self.raw, dtype=np.uint8)
        with np.errstate(over="ignore"):
            for multiplier in self._MULTIPLIERS:
                position = (values * np.uint64(multiplier)) >> np.uint64(self._shift)
                masks = np.left_shift(1, (position & np.uint64(7)).astype(np.uint8))
                np.bitwise_or.at(bits, (position >> np.uint64(3)).astype(np.intp), masks)
        self.keys += int(values.size)

    @classmethod
    def build(cls, db: Database, capacity: int = MIN_CAPACITY) -> KeyFilter:
        """A filter of every key in lsh_buckets, sized for twice as many (at least
        ``capacity``). The keys are read a slice of the key range at a time, each slice
        joined into one string by SQLite and parsed by numpy: a row per key through Python
        took 3.1 s for the 4.8 million keys of 150,000 articles, this 1.2-1.6 s."""
        count = int(db.execute("SELECT count(*) FROM lsh_buckets").fetchone()[0])
        built = cls(max(capacity, cls.MIN_CAPACITY, 2 * count))
        slices = max(1, count // cls.KEYS_PER_READ)
        bounds = [-(2**63) + (2**64 * i) // slices for i in range(slices + 1)]
        for low, high in itertools.pairwise(bounds):
            text = db.conn.execute(
                "SELECT group_concat(band_key) FROM lsh_buckets "
                "WHERE band_key >= ? AND band_key <= ?",
                [low, min(high - 1, 2**63 - 1)],
            ).fetchone()[0]
            built.add(_key_array(text, "lsh_buckets"))
        return built

    @classmethod
    def load(cls, db: Database) -> KeyFilter | None:
        """The stored filter (None: none stored, every key is probed)."""
        row = db.conn.execute(
            "SELECT filter, filter_capacity, filter_keys FROM lsh_state"
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return cls(row[1], row[0], row[2])

    def save(self, db: Database) -> None:
        db.conn.execute(
            "UPDATE lsh_state SET filter = ?, filter_capacity = ?, filter_keys = ?",
            [bytes(self.raw), self.capacity, self.keys],
        )


class RecentKeys:
    """A writer's copy of ``lsh_recent``: the band keys not merged into ``lsh_buckets`` yet,
    indexed by key for lookups.

    Writes go to the table at once (so a savepoint's rollback undoes them there) and here,
    with a log that :meth:`rollback` replays backwards (savepoints). :meth:`sync`, at the
    start of each transaction, reads what other writers appended (rows of new articles), or
    everything again when one of them removed rows or rewrote an older article's
    (``lsh_state.generation``).
    """

    def __init__(self) -> None:
        self.rows: dict[int, list[int]] = {}
        """Article id -> its band keys."""
        self.first: dict[int, int] = {}
        """Band key -> the first article holding it (most keys have one; filled by a C-level
        ``dict.update``: a list per key cost 4x more CPU)."""
        self.more: dict[int, list[int]] = {}
        """Band key -> the further articles holding it (near copies)."""
        self.keys = 0
        """Band keys held."""
        self._log: list[tuple[bool, int, list[int]]] = []
        """(added?, article id, keys) per change of the open transaction."""
        self._generation: int | None = None
        """``lsh_state.generation`` this copy reflects (None: read everything again)."""
        self._seen = 0
        """Largest article id read or written (appends by other writers come after it)."""
        self._rewritten = False
        """The open transaction removed rows, or wrote one under an article id at or below
        the largest seen (a revised text of an older article): other writers, which read only
        ids above theirs, must read everything again."""
        self.filter: KeyFilter | None = None
        """The filter of the keys in lsh_buckets, read with the buffer."""

    # -- keeping in step with the table --

    def sync(self, db: Database) -> None:
        """Catch up with the table at the start of a transaction: read the rows other
        writers appended, or all rows when one of them removed some."""
        conn = db.conn
        generation = conn.execute("SELECT generation FROM lsh_state").fetchone()[0]
        if generation != self._generation:
            self._clear()
            self._generation, self._seen = generation, 0
            self.filter = KeyFilter.load(db)
        for article_id, keys in conn.execute(
            "SELECT article_id, band_keys FROM lsh_recent WHERE article_id > ?", [self._seen]
        ):
            self._link(article_id, json.loads(keys))
            self._seen = max(self._seen, article_id)

    def commit(self, db: Database) -> None:
        """End of the transaction: merge the buffer into lsh_buckets when it is full, and
        tell other writers when rows were removed."""
        if self.keys >= COMPACT_ROWS:
            _, self.filter = _merge(db)
            self._clear()
            self._rewritten = True
        if self._rewritten:
            db.conn.execute("UPDATE lsh_state SET generation = generation + 1")
            self._generation = (self._generation or 0) + 1
            self._rewritten = False
        self._log.clear()

    def abort(self) -> None:
        """The transaction was rolled back: read the table again at the next :meth:`sync`."""
        self._clear()
        self._generation, self._rewritten, self.filter = None, False, None

    def probe_keys(self, keys: list[int]) -> list[int]:
        """Those of ``keys`` that may be in lsh_buckets."""
        return keys if self.filter is None else self.filter.held(keys)

    # -- changes --

    def add(self, db: Database, article_id: int, keys: list[int]) -> None:
        """Buffer the band keys of ``article_id``."""
        db.conn.execute(
            "INSERT OR REPLACE INTO lsh_recent (article_id, band_keys) VALUES (?, ?)",
            [article_id, f"[{','.join(map(str, keys))}]"],  # JSON; 5 us vs 9 for json.dumps
        )
        replaced = self._drop(article_id)
        if replaced is not None:
            self._log.append((False, article_id, replaced))
        self._link(article_id, keys)
        if article_id <= self._seen:
            self._rewritten = True
        self._seen = max(self._seen, article_id)
        self._log.append((True, article_id, keys))

    def remove(self, db: Database, article_id: int) -> list[int] | None:
        """Take the band keys of ``article_id`` out of the buffer; return them (None: it
        holds none for that article, they are in lsh_buckets if anywhere). The keys come
        from the table, the truth even if this copy missed a change."""
        rows = db.conn.execute(
            "DELETE FROM lsh_recent WHERE article_id = ? RETURNING band_keys", [article_id]
        ).fetchall()
        if not rows:
            return None
        self._rewritten = True
        dropped = self._drop(article_id)
        if dropped is not None:
            self._log.append((False, article_id, dropped))
        keys: list[int] = json.loads(rows[0][0])
        return keys

    def mark(self) -> int:
        """A point to :meth:`rollback` to (a savepoint's start)."""
        return len(self._log)

    def rollback(self, mark: int) -> None:
        """Undo the changes made here since ``mark`` (SQLite undoes the table's)."""
        while len(self._log) > mark:
            added, article_id, keys = self._log.pop()
            if added:
                self._drop(article_id)
            else:
                self._link(article_id, keys)

    def candidates(self, keys: Iterable[int]) -> Counter[int]:
        """The articles holding each of ``keys``, with how many of them each holds."""
        hits = self.first.keys() & keys
        found = Counter(self.first[key] for key in hits)
        for key in hits & self.more.keys():
            found.update(self.more[key])
        return found

    # -- the in-memory index --

    def _clear(self) -> None:
        self.rows.clear()
        self.first.clear()
        self.more.clear()
        self.keys = 0
        self._log.clear()

    def _link(self, article_id: int, keys: list[int]) -> None:
        first = self.first
        clashes = {key: first[key] for key in first.keys() & keys}
        first.update(zip(keys, repeat(article_id)))
        for key, holder in clashes.items():
            first[key] = holder
            self.more.setdefault(key, []).append(article_id)
        self.rows[article_id] = keys
        self.keys += len(keys)

    def _drop(self, article_id: int) -> list[int] | None:
        keys = self.rows.pop(article_id, None)
        if keys is None:
            return None
        for key in keys:
            others = self.more.get(key)
            if self.first.get(key) == article_id:
                if others:
                    self.first[key] = others.pop(0)
                else:
                    del self.first[key]
            elif others is not None:
                others.remove(article_id)
            if others is not None and not others:
                del self.more[key]
        self.keys -= len(keys)
        return keys


def index(
    db: Database,
    article_id: int,
    sig: Any,
    config: DedupConfig,
    keys: list[int] | None = None,
    recent: RecentKeys | None = None,
) -> None:
    """Store the signature and its LSH band keys (``keys`` if already computed): in the
    write buffer through ``recent`` (the store), or straight into lsh_buckets (None: only
    for migration 0003 rebuilding the index, before 0010 builds the :class:`KeyFilter`
    from the table; a key written there later would be missing from the filter)."""
    db.conn.execute(
        "INSERT OR REPLACE INTO minhashes (article_id, signature) VALUES (?, ?)",
        [article_id, to_blob(sig)],
    )
    keys = lsh_keys(sig, config) if keys is None else keys
    if recent is not None:
        recent.add(db, article_id, keys)
    elif keys:  # one statement for all bands (an executemany of 32 rows costs 1.5x more)
        db.conn.execute(
            "INSERT OR IGNORE INTO lsh_buckets (band_key, article_id) "
            "SELECT value, ? FROM json_each(?)",
            [article_id, json.dumps(keys)],
        )


def buffered_keys(db: Database) -> int:
    """Return the number of band keys waiting in ``lsh_recent``."""
    return int(
        db.execute("SELECT count(*) FROM lsh_recent AS r, json_each(r.band_keys)").fetchone()[0]
    )


def compact(db: Database) -> int:
    """Expand the buffered band keys of ``lsh_recent`` into ``lsh_buckets`` (in key order,
    so each page of the large table is written once), add them to the stored
    :class:`KeyFilter` (rebuilt twice as large when full) and empty the buffer; return how
    many keys moved."""
    return _merge(db)[0]


def _merge(db: Database) -> tuple[int, KeyFilter | None]:
    """:func:`compact`; also return the filter as stored (None: no filter is kept)."""
    key_filter = KeyFilter.load(db)
    if key_filter is not None:
        key_filter.add(_buffered_key_array(db))
    moved = db.execute(
        "INSERT OR IGNORE INTO lsh_buckets (band_key, article_id) "
        "SELECT k.value, r.article_id FROM lsh_recent AS r, json_each(r.band_keys) AS k "
        "ORDER BY 1, 2"
    ).rowcount
    db.execute("DELETE FROM lsh_recent")
    if key_filter is not None:
        if key_filter.keys > key_filter.capacity:
            key_filter = KeyFilter.build(db, 2 * key_filter.capacity)
        key_filter.save(db)
    return int(moved), key_filter


def _buffered_key_array(db: Database) -> np.ndarray:
    """Every band key in ``lsh_recent``, as one int64 array: the JSON arrays joined by SQLite
    and parsed by numpy (0.1 s for a million keys at 200,000 articles, where a row per key
    through Python took 0.7 s)."""
    text = db.conn.execute(
        "SELECT group_concat(substr(band_keys, 2, length(band_keys) - 2)) FROM lsh_recent "
        "WHERE band_keys != '[]'"
    ).fetchone()[0]
    return _key_array(text, "lsh_recent")


def _key_array(text: str | None, table: str) -> np.ndarray:
    """Parse band keys joined by commas (None or "": none) into an int64 array."""
    if not text:
        return np.empty(0, dtype=np.int64)
    keys = np.fromstring(text, dtype=np.int64, sep=",")
    if keys.size != text.count(",") + 1:
        raise ValueError(f"{table} holds band keys that are not integers")
    return keys


def _indexed_keys(db: Database, article_id: int, config: DedupConfig) -> list[int] | None:
    """Return the band keys of an indexed article, or None if it holds no signature."""
    row = db.execute(
        "SELECT signature FROM minhashes WHERE article_id = ?", [article_id]
    ).fetchone()
    if row is None:
        return None
    return lsh_keys(from_blob(row[0]), config)


def unindex(db: Database, article_id: int, config: DedupConfig, recent: RecentKeys) -> None:
    """Remove the signature and band keys of ``article_id`` (by primary key, no scan)."""
    keys = _indexed_keys(db, article_id, config)
    if keys is None:
        return
    if recent.remove(db, article_id) is None:
        db.conn.executemany(
            "DELETE FROM lsh_buckets WHERE band_key = ? AND article_id = ?",
            [(key, article_id) for key in keys],
        )
    db.execute("DELETE FROM minhashes WHERE article_id = ?", [article_id])


def move_index(
    db: Database, from_id: int, to_id: int, config: DedupConfig, recent: RecentKeys
) -> None:
    """Hand the signature of ``from_id`` to ``to_id`` (an exact copy of the same text)."""
    keys = _indexed_keys(db, from_id, config)
    if keys is None:
        return
    buffered = recent.remove(db, from_id)
    if buffered is not None:
        recent.add(db, to_id, buffered)
    else:
        db.conn.executemany(
            "UPDATE OR REPLACE lsh_buckets SET article_id = ? WHERE band_key = ? AND article_id = ?",
            [(to_id, key, from_id) for key in keys],
        )
    db.execute("UPDATE minhashes SET article_id = ? WHERE article_id = ?", [to_id, from_id])


def similar(
    db: Database,
    sig: Any,
    config: DedupConfig,
    keys: list[int] | None = None,
    recent: RecentKeys | None = None,
) -> list[dict[str, Any]]:
    """Return the indexed articles whose estimated Jaccard with ``sig`` reaches the threshold.

    Rows have id, story_id and score (best first). Candidates are the articles sharing at
    least one band key (``keys`` if already computed) in lsh_buckets or in the write buffer
    (``recent``, the writer's copy; None: read from the table): at most
    ``config.max_candidates`` of them, those sharing most bands first.
    """
    keys = lsh_keys(sig, config) if keys is None else keys
    if not keys:
        return []
    if recent is None:
        recent = RecentKeys()
        recent.sync(db)
    limit = config.max_candidates
    # Step 1: the articles in the article's buckets: one probe per band the filter of
    # lsh_buckets does not rule out (for most fresh texts none), and the buffer in memory.
    bands: Counter[int] = recent.candidates(keys)
    probe = recent.probe_keys(keys)
    if probe:
        marks = ", ".join("?" * len(probe))
        bands.update(
            article_id
            for (article_id,) in db.conn.execute(
                f"SELECT article_id FROM lsh_buckets WHERE band_key IN ({marks})", probe
            )
        )
    if not bands:
        return []
    # Step 2: the signatures and stories of those sharing most bands.
    chosen = (
        list(bands) if len(bands) <= limit else sorted(bands, key=lambda a: (-bands[a], a))[:limit]
    )
    marks = ", ".join("?" * len(chosen))
    rows = db.conn.execute(
        "SELECT a.id, a.story_id, m.signature FROM articles AS a "
        f"JOIN minhashes AS m ON m.article_id = a.id WHERE a.id IN ({marks})",
        chosen,
    ).fetchall()
    if not rows:
        return []
    if len(bands) > limit:
        logger.warning(
            "LSH lookup hit the candidate limit (%d): raise NEWSARC_DEDUP_MAX_CANDIDATES", limit
        )
    values = np.asarray(getattr(sig, "hashvalues", sig), dtype=np.uint32)
    matrix = np.frombuffer(b"".join(row[2] for row in rows), dtype="<u4").reshape(len(rows), -1)
    scores = (matrix == values).mean(axis=1)
    found = [
        {"id": row[0], "story_id": row[1], "score": float(score)}
        for row, score in zip(rows, scores, strict=True)
        if score >= config.threshold
    ]
    return sorted(found, key=lambda r: (-r["score"], r["id"]))


# -- stories ------------------------------------------------------------------------------------


def story_key(canonical_urls: Iterable[str]) -> str:
    """Return the content-derived key of a story: 16 hex digits of the SHA-1 of the smallest
    canonical URL among its copies ("" for no copies)."""
    smallest = min(canonical_urls, default=None)
    if smallest is None:
        return ""
    return hashlib.sha1(smallest.encode("utf-8")).hexdigest()[:16]


def create(db: Database, article_id: int, copy: dict[str, Any]) -> int:
    """Create the story of a new article that matched no other; its id is the article's.

    ``copy`` holds the article's title, published, first_seen, canonical_url: a story of one
    copy needs no :func:`refresh` (the caller marks the article as representative).
    """
    db.conn.execute(
        "INSERT INTO stories (id, representative_id, title, first_published, first_seen, "
        "copies, sites, story_key) VALUES (?, ?, ?, ?, ?, 1, 1, ?)",
        [article_id, article_id, copy["title"], copy["published"] or None, copy["first_seen"],
         story_key([copy["canonical_url"]])],
    )  # fmt: skip
    return article_id


def merge(db: Database, story_ids: Iterable[int]) -> int:
    """Merge stories into the one with the smallest id and return that id.

    The other stories' copies move over and their rows are deleted; the caller refreshes
    the surviving story.
    """
    ids = sorted(set(story_ids))
    if not ids:
        raise ValueError("merge needs at least one story id")
    target, others = ids[0], ids[1:]
    if others:
        marks = ", ".join("?" * len(others))
        db.execute(
            f"UPDATE articles SET story_id = ? WHERE story_id IN ({marks})", [target, *others]
        )
        db.execute(f"DELETE FROM stories WHERE id IN ({marks})", others)
    return target


def refresh(db: Database, story_id: int) -> None:
    """Recompute a story's representative, key, title, first dates and counts.

    Writes only what changed: an index entry is rewritten whenever its column is assigned,
    even to the same value (a copy joining a story changes its counts, rarely its key or
    first dates, and mostly not its representative)."""
    conn = db.conn
    cursor = conn.execute(
        "SELECT id, url, canonical_url, site, title, published, source_url, first_seen, "
        "length(text) AS length, is_representative FROM articles WHERE story_id = ?",
        [story_id],
    )
    names = [d[0] for d in cursor.description]
    copies = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    if not copies:
        conn.execute("DELETE FROM stories WHERE id = ?", [story_id])
        return
    rep = representative(copies)
    flips = [
        (int(c["id"] == rep), c["id"]) for c in copies if c["is_representative"] != (c["id"] == rep)
    ]
    if flips:
        conn.executemany("UPDATE articles SET is_representative = ? WHERE id = ?", flips)
    chosen = next(c for c in copies if c["id"] == rep)
    dates = [c["published"] for c in copies if c["published"]]
    figures = {
        "representative_id": rep, "title": chosen["title"],
        "first_published": min(dates, default=None),
        "first_seen": min(c["first_seen"] for c in copies), "copies": len(copies),
        "sites": len({c["site"] for c in copies}),
        "story_key": story_key(c["canonical_url"] for c in copies),
    }  # fmt: skip
    cursor = conn.execute(f"SELECT {', '.join(figures)} FROM stories WHERE id = ?", [story_id])
    current = cursor.fetchone()
    changed = (
        figures
        if current is None
        else {k: v for (k, v), old in zip(figures.items(), current, strict=True) if v != old}
    )
    if changed:
        assignments = ", ".join(f"{name} = ?" for name in changed)
        conn.execute(
            f"UPDATE stories SET {assignments} WHERE id = ?", [*changed.values(), story_id]
        )


def renumber(db: Database) -> None:
    """Give every story the id of its smallest article id (databases made before 0003)."""
    mapping = list(db.execute("SELECT story_id, min(id) FROM articles GROUP BY story_id"))
    db.execute("CREATE TEMP TABLE story_renumber (old INTEGER PRIMARY KEY, new INTEGER)")
    db.conn.executemany("INSERT INTO story_renumber (old, new) VALUES (?, ?)", mapping)
    db.execute(
        "UPDATE articles SET story_id = "
        "(SELECT new FROM story_renumber WHERE old = articles.story_id)"
    )
    db.execute("DELETE FROM stories")
    db.execute("INSERT INTO stories (id, copies) SELECT new, 0 FROM story_renumber")
    db.execute("DROP TABLE story_renumber")
    for (story_id,) in db.execute("SELECT id FROM stories").fetchall():
        refresh(db, story_id)
