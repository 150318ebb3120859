"""Copy detection: normalised-text hashes for exact copies, MinHash + LSH band keys for near copies.

Pure functions and one frozen config; the store keeps the band keys in SQLite
(``lsh_buckets``) so that finding candidates costs one indexed lookup per band, however
large the store grows. A candidate is confirmed by its estimated Jaccard similarity of
word shingles (see :func:`estimated_jaccard`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import numpy as np
from datasketch import MinHash

from pipelines.items import Article
from pipelines.urls import canonicalize_url, site_of

_SEED = 1
"""MinHash permutation seed: fixed, so signatures are comparable across processes and runs."""

_WHITESPACE = re.compile(r"\s+")


class _SeparatorTable(dict[int, str]):
    """``str.translate`` table, filled on first sight of each character: punctuation,
    symbols, separators and control characters (Unicode categories P, S, Z, C) map to a
    space, everything else (letters, digits, combining marks) to itself."""

    def __missing__(self, code: int) -> str:
        """Classify a character not seen before and remember the answer."""
        char = chr(code)
        value = " " if unicodedata.category(char)[0] in "PSZC" else char
        self[code] = value
        return value


_SEPARATORS = _SeparatorTable()


@lru_cache(maxsize=16)
def normalize_text(text: str) -> str:
    """Return ``text`` NFKC-normalised, case-folded, punctuation/symbols removed, spaces collapsed.

    Punctuation and symbols become spaces, so straight and curly apostrophes normalise alike.
    The last few results are cached: the store hashes and then shingles the same text.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _WHITESPACE.sub(" ", folded.translate(_SEPARATORS)).strip()


def text_hash(text: str) -> str:
    """Return the hex SHA-1 of :func:`normalize_text` of ``text`` (the exact-copy key)."""
    return hashlib.sha1(normalize_text(text).encode("utf-8")).hexdigest()


EMPTY_TEXT_HASH = text_hash("")
"""Hash of a text with no words: such texts are never copies of each other."""


@lru_cache(maxsize=4096)
def lookup_key(value: str) -> int:
    """A signed 64-bit digest (BLAKE2b) of ``value``: the indexed stand-in for a URL or a
    text hash in ``articles`` (``url_key``, ``canonical_key``, ``text_key``). A lookup
    probes the small integer index, then compares the full value of the rows it finds.
    Cached: a save asks for each key twice (its lookup, then its row)."""
    digest = hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


LOOKUP_KEY_COLUMNS = ("url_key", "canonical_key", "text_key")
"""The ``articles`` columns holding :func:`lookup_key` digests (internal: not shown or exported)."""


_SETTINGS = {
    "num_perm": ("NEWSARC_DEDUP_NUM_PERM", int),
    "bands": ("NEWSARC_DEDUP_BANDS", int),
    "shingle_words": ("NEWSARC_DEDUP_SHINGLE_WORDS", int),
    "threshold": ("NEWSARC_DEDUP_THRESHOLD", float),
    "max_candidates": ("NEWSARC_DEDUP_MAX_CANDIDATES", int),
}


@dataclass(frozen=True)
class DedupConfig:
    """Near-copy detection parameters.

    Settings read by :meth:`from_settings`: ``NEWSARC_DEDUP_NUM_PERM`` (MinHash permutations),
    ``NEWSARC_DEDUP_BANDS`` (LSH bands; must divide NUM_PERM), ``NEWSARC_DEDUP_SHINGLE_WORDS``
    (words per shingle), ``NEWSARC_DEDUP_THRESHOLD`` (estimated Jaccard that confirms a
    near copy) and ``NEWSARC_DEDUP_MAX_CANDIDATES`` (LSH candidates confirmed per lookup). With 128/32 (4 rows a band) a pair at Jaccard 0.5 becomes a candidate with
    probability 0.87, at 0.6 with 0.99, at 0.2 with 0.05.
    """

    num_perm: int = 128
    bands: int = 32
    shingle_words: int = 5
    threshold: float = 0.5
    max_candidates: int = 1000

    def __post_init__(self) -> None:
        """Reject inconsistent values (ValueError naming the field and the value)."""
        if self.num_perm < 1:
            raise ValueError(f"num_perm must be >= 1, got {self.num_perm!r}")
        if self.bands < 1 or self.num_perm % self.bands:
            raise ValueError(
                f"bands must be >= 1 and divide num_perm={self.num_perm}, got {self.bands!r}"
            )
        if self.shingle_words < 1:
            raise ValueError(f"shingle_words must be >= 1, got {self.shingle_words!r}")
        if self.max_candidates < 1:
            raise ValueError(f"max_candidates must be >= 1, got {self.max_candidates!r}")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold!r}")

    @property
    def rows(self) -> int:
        """Signature values per LSH band."""
        return self.num_perm // self.bands

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> DedupConfig:
        """Build the config from ``NEWSARC_DEDUP_*`` settings (missing ones take the default).

        Raises ValueError naming the setting and the value when a value is invalid.
        """
        values: dict[str, Any] = {}
        for field_name, (setting, convert) in _SETTINGS.items():
            raw = settings.get(setting)
            if raw is None or raw == "":
                continue
            try:
                values[field_name] = convert(raw)
            except (TypeError, ValueError):
                expected = convert.__name__
                raise ValueError(f"invalid {setting}={raw!r}: expected {expected}") from None
        try:
            return cls(**values)
        except ValueError as exc:
            names = ", ".join(f"{s}={settings.get(s)!r}" for s, _ in _SETTINGS.values())
            raise ValueError(f"invalid dedup settings ({names}): {exc}") from None


def shingles(text: str, size: int) -> set[bytes]:
    """Return the set of ``size``-word shingles of the normalised text (UTF-8 encoded).

    A text shorter than ``size`` words is one shingle; an empty text has none.
    """
    words = normalize_text(text).split()
    if len(words) <= size:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


@lru_cache(maxsize=8)
def _permutations(num_perm: int) -> np.ndarray:
    """Return datasketch's permutation parameters (a, b) for ``num_perm`` (made once)."""
    return np.asarray(MinHash(num_perm=num_perm, seed=_SEED, scheme="affine32").permutations)


_PRIME = 0x100000001B3
"""Odd multiplier of the polynomial word hash (invertible modulo 2**64)."""
_PRIME_INVERSE = pow(_PRIME, -1, 2**64)
_POSITION_MULTIPLIERS = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5,
     0x85EBCA77C2B2AE63, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB],
    dtype=np.uint64,
)  # fmt: skip
"""Odd 64-bit constants, one per word position in a shingle (positions wrap past 8)."""


@lru_cache(maxsize=4)
def _powers(length: int) -> tuple[np.ndarray, np.ndarray]:
    """Return P**i and P**-i modulo 2**64 for i < ``length``."""
    up = np.full(length, _PRIME, dtype=np.uint64)
    down = np.full(length, _PRIME_INVERSE, dtype=np.uint64)
    up[0] = down[0] = 1
    with np.errstate(over="ignore"):
        return np.cumprod(up, dtype=np.uint64), np.cumprod(down, dtype=np.uint64)


def _word_hashes(normalized: str) -> np.ndarray:
    """Return a 64-bit polynomial hash of each space-separated word of ``normalized``.

    Vectorised: hash(word) = (S[end] - S[start]) * P**-start with S the prefix sums of
    byte * P**i (all modulo 2**64), so no Python loop runs over the words.
    """
    raw = np.frombuffer(normalized.encode("utf-8"), dtype=np.uint8)
    size = 1 << max(4, int(raw.size).bit_length())
    up, down = _powers(size + 1)
    spaces = np.flatnonzero(raw == 32)
    starts = np.concatenate((np.zeros(1, np.int64), spaces + 1))
    ends = np.concatenate((spaces, np.full(1, raw.size, np.int64)))
    with np.errstate(over="ignore"):
        prefix = np.zeros(raw.size + 1, dtype=np.uint64)
        np.cumsum((raw.astype(np.uint64) + np.uint64(1)) * up[: raw.size], out=prefix[1:])
        hashes: np.ndarray = (prefix[ends] - prefix[starts]) * down[starts]
    return hashes


def shingle_hashes(text: str, size: int) -> np.ndarray:
    """Return the distinct 32-bit hashes of the ``size``-word shingles of the normalised text.

    Each word is hashed once (:func:`_word_hashes`); a shingle's hash combines its word
    hashes with a different odd multiplier per position (wrapping 64-bit arithmetic) and keeps
    the high 32 bits. Same shingles as :func:`shingles`, without hashing each shingle's bytes;
    deterministic across processes and platforms.
    """
    normalized = normalize_text(text)
    if not normalized:
        return np.zeros(0, dtype=np.uint32)
    hashed = _word_hashes(normalized)
    width = min(size, hashed.size)
    count = hashed.size - width + 1
    combined = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for position in range(width):
            multiplier = _POSITION_MULTIPLIERS[position % _POSITION_MULTIPLIERS.size]
            combined = (combined ^ hashed[position : position + count]) * multiplier
    return np.unique((combined >> np.uint64(32)).astype(np.uint32))


def minhash_values(hashes: np.ndarray, num_perm: int) -> np.ndarray:
    """Return the MinHash values of 32-bit ``hashes``: what datasketch's ``update_batch``
    computes for scheme affine32 (MurmurHash3 fmix32, then a*h + b modulo 2**32, then the
    minimum per permutation), in one numpy expression instead of a Python call per hash."""
    a, b = _permutations(num_perm).astype(np.uint32)
    if hashes.size == 0:
        return np.full(num_perm, 2**32 - 1, dtype=np.uint32)
    hv = hashes.astype(np.uint32).reshape(-1, 1)
    with np.errstate(over="ignore"):
        hv = hv ^ (hv >> np.uint32(16))
        hv = hv * np.uint32(0x85EBCA6B)
        hv = hv ^ (hv >> np.uint32(13))
        hv = hv * np.uint32(0xC2B2AE35)
        hv = hv ^ (hv >> np.uint32(16))
        values: np.ndarray = (hv * a + b).min(axis=0)
    return values


def signature(text: str, config: DedupConfig) -> MinHash:
    """Return the datasketch MinHash (scheme affine32, seed 1) of the word shingles of
    ``text``; deterministic across processes."""
    values = minhash_values(shingle_hashes(text, config.shingle_words), config.num_perm)
    return MinHash(
        seed=_SEED, hashvalues=values, permutations=_permutations(config.num_perm),
        scheme="affine32",
    )  # fmt: skip


def _values(sig: MinHash | np.ndarray) -> np.ndarray:
    """Return the hash values of a MinHash or an array as a uint64 array."""
    values = sig.hashvalues if isinstance(sig, MinHash) else sig
    return np.asarray(values, dtype=np.uint64)


_BAND_MIX = np.array([0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x9E3779B97F4A7C15,
                      0x94D049BB133111EB, 0xBF58476D1CE4E5B9], dtype=np.uint64)  # fmt: skip


def band_keys(sig: MinHash | np.ndarray, config: DedupConfig) -> list[int]:
    """Return one LSH key per band: the band number in the top 7 bits, then 56 bits mixed
    from the band's values (a non-negative SQLite integer).

    The mix is fixed 64-bit arithmetic on the values (vectorised over bands), never
    Python's randomised ``hash()``, so keys are stable across processes and platforms.
    """
    values = _values(sig)
    if values.size != config.num_perm:
        raise ValueError(f"signature has {values.size} values, config expects {config.num_perm}")
    if config.bands > 127:
        raise ValueError(f"at most 127 bands fit in a band key, got {config.bands}")
    rows = values.reshape(config.bands, config.rows)
    mixed = np.zeros(config.bands, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in range(config.rows):
            mixed = (mixed ^ rows[:, column]) * _BAND_MIX[column % _BAND_MIX.size]
            mixed ^= mixed >> np.uint64(29)
        mixed = (mixed * _BAND_MIX[-1]) ^ (mixed >> np.uint64(32))
    bands = np.arange(config.bands, dtype=np.uint64) << np.uint64(56)
    keys: list[int] = ((mixed >> np.uint64(8)) | bands).astype(np.int64).tolist()
    return keys


def band_of(key: int) -> int:
    """Return the band number of a key made by :func:`band_keys`."""
    return key >> 56


def empty_signature(sig: MinHash | np.ndarray) -> bool:
    """Tell whether a signature was made from no shingles at all (empty text)."""
    return bool(np.all(_values(sig) == np.uint64(2**32 - 1)))


def to_blob(sig: MinHash | np.ndarray) -> bytes:
    """Serialise a signature (values fit in 32 bits) for the ``minhashes`` table."""
    return bytes(_values(sig).astype("<u4").tobytes())


def from_blob(blob: bytes) -> np.ndarray:
    """Deserialise a signature written by :func:`to_blob`."""
    return np.frombuffer(blob, dtype="<u4").astype(np.uint64)


def estimated_jaccard(a: MinHash | np.ndarray, b: MinHash | np.ndarray) -> float:
    """Return the fraction of equal signature values: an unbiased Jaccard estimate."""
    va, vb = _values(a), _values(b)
    if va.size != vb.size:
        raise ValueError(f"signatures differ in size: {va.size} vs {vb.size}")
    return float(np.count_nonzero(va == vb)) / float(va.size)


def _utc_time(published: str | None) -> tuple[str, str] | None:
    """Return (UTC day, UTC time) of an ISO 8601 date/timestamp, or None when absent.

    A date without time gives time "". Unparseable values fall back to their first 10 chars.
    """
    if not published or not published.strip():
        return None
    value = published.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value[:10], ""
    if len(value) <= 10:
        return moment.date().isoformat(), ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.date().isoformat(), moment.time().isoformat()


def representative(copies: Sequence[Mapping[str, Any]]) -> int:
    """Return the id of the copy that represents a story.

    ``copies`` are mappings with id, url, canonical_url, published, source_url and length
    (of the clean text). The rule: earliest publication day (UTC; copies are republished
    hours later, often with a wrong time zone), then the origin site (the copy whose URL
    another copy names as its ``source_url``), then the earlier exact time, then the longest
    text, then the smallest canonical URL (so the choice never depends on the order in which
    copies arrived), then the lowest id. Copies without a date come last.
    """
    if not copies:
        raise ValueError("a story needs at least one copy")
    origins = {canonicalize_url(c["source_url"]) for c in copies if c.get("source_url")}

    def key(copy: Mapping[str, Any]) -> tuple[bool, str, bool, str, int, str, int]:
        """Sort key: lower is a better representative."""
        when = _utc_time(copy.get("published"))
        is_origin = bool(origins) and (
            canonicalize_url(copy["url"]) in origins or copy.get("canonical_url") in origins
        )
        day, time = when if when else ("", "")
        length = -int(copy.get("length") or 0)
        canonical = copy.get("canonical_url") or copy["url"]
        return (when is None, day, not is_origin, time, length, canonical, copy["id"])

    return int(min(copies, key=key)["id"])


def prepare(article: Article) -> Article:
    """Fill the derived fields of ``article`` in place: canonical_url, site, counts, hash.

    Skips the work when :func:`precompute` already did it for this very text.
    """
    if article.precomputed is not None and article.precomputed.matches(article.text):
        return article
    article.canonical_url = canonicalize_url(article.url, hint=article.canonical_url or None)
    article.site = site_of(article.url)
    if not article.word_count:
        article.word_count = len(article.text.split())
    article.text_hash = text_hash(article.text)
    return article


@dataclass(frozen=True)
class Precomputed:
    """The dedup figures of one text, computed where the text was extracted (a worker process)
    so that the single writer does not compute them again. Valid only for the exact text
    (``text_digest``) and the MinHash/LSH parameters (``config``) they were made from: the
    writer recomputes when a site template removed lines from the text in between."""

    text_digest: bytes
    """SHA-1 of the UTF-8 text as it was (not normalised): a cheap identity check."""
    config: tuple[int, int, int]
    """(num_perm, shingle_words, bands) of the signature and keys."""
    signature: bytes
    """The MinHash signature as :func:`to_blob` writes it."""
    keys: tuple[int, ...]
    """Its LSH band keys (:func:`lsh_keys`)."""
    _checked: str | None = field(default=None, compare=False, repr=False)
    """The text object last found to match (a save checks the same text twice)."""

    def matches(self, text: str) -> bool:
        """Tell whether these figures were computed from ``text``."""
        if text is self._checked:
            return True
        if hashlib.sha1(text.encode("utf-8")).digest() != self.text_digest:
            return False
        object.__setattr__(self, "_checked", text)
        return True

    def for_text(self, text: str, config: DedupConfig) -> tuple[np.ndarray, list[int]] | None:
        """Return (signature, band keys) if valid for ``text`` under ``config``, else None."""
        if self.config != _config_key(config) or not self.matches(text):
            return None
        return from_blob(self.signature), list(self.keys)


def _config_key(config: DedupConfig) -> tuple[int, int, int]:
    return config.num_perm, config.shingle_words, config.bands


def lsh_keys(sig: MinHash | np.ndarray, config: DedupConfig) -> list[int]:
    """Return the band keys of a signature ([] for an empty text: it is never indexed)."""
    return [] if empty_signature(sig) else band_keys(sig, config)


def precompute(article: Article, config: DedupConfig) -> Article:
    """Fill the derived fields and attach the signature and band keys (:class:`Precomputed`)."""
    article.precomputed = None
    prepare(article)
    sig = signature(article.text, config)
    article.precomputed = Precomputed(
        hashlib.sha1(article.text.encode("utf-8")).digest(),
        _config_key(config),
        to_blob(sig),
        tuple(lsh_keys(sig, config)),
    )
    return article
