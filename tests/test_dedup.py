"""Text normalisation, hashes, MinHash band keys, config and the representative rule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from datasketch import MinHash

from pipelines.dedup import (
    DedupConfig,
    band_keys,
    band_of,
    empty_signature,
    estimated_jaccard,
    from_blob,
    normalize_text,
    representative,
    shingle_hashes,
    shingles,
    signature,
    text_hash,
    to_blob,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello,   World!", "hello world"),
        ("Don\u2019t  stop\n\nnow.", "don t stop now"),
        ("STRASSE Straße", "strasse strasse"),
        ("ﬁne ① text", "fine 1 text"),
        ("  — «quoted» — ", "quoted"),
        ("", ""),
    ],
)
def test_normalize_text(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


def test_text_hash_ignores_case_spacing_and_punctuation() -> None:
    same = "lavrov met rubio they talked"
    assert text_hash("Lavrov met Rubio.\n\nThey talked.") == text_hash(same)
    assert text_hash("Lavrov met Rubio.") != text_hash("Lavrov met Wang.")
    assert len(text_hash("x")) == 40


def test_band_keys_one_per_band_and_distinct_bands() -> None:
    config = DedupConfig()
    keys = band_keys(signature("one two three four five six seven", config), config)
    assert len(keys) == config.bands
    assert sorted(band_of(key) for key in keys) == list(range(config.bands))
    assert all(-(2**63) <= key < 2**63 for key in keys)  # fits an SQLite INTEGER


def test_band_keys_are_stable_across_processes() -> None:
    code = (
        "from pipelines.dedup import DedupConfig, band_keys, signature;"
        "c = DedupConfig(); print(','.join(map(str, band_keys(signature('a b c d e f g h', c), c))))"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True, text=True, check=True,
            env=os.environ | {"PYTHONHASHSEED": seed}, cwd=ROOT,
        ).stdout.strip()
        for seed in ("1", "2")
    ]  # fmt: skip
    config = DedupConfig()
    expected = ",".join(map(str, band_keys(signature("a b c d e f g h", config), config)))
    assert runs[0] == runs[1] == expected


def test_signature_blob_round_trip() -> None:
    config = DedupConfig()
    sig = signature("the quick brown fox jumps over the lazy dog", config)
    assert estimated_jaccard(sig, from_blob(to_blob(sig))) == 1.0
    assert band_keys(from_blob(to_blob(sig)), config) == band_keys(sig, config)


@pytest.mark.parametrize("text", ["one", "one two three four five six", "Déjà vu — ça va?"])
def test_signature_equals_datasketch_update_batch(text: str) -> None:
    config = DedupConfig()
    reference = MinHash(num_perm=config.num_perm, seed=1, hashfunc=int)
    reference.update_batch(shingle_hashes(text, config.shingle_words).tolist())
    assert list(signature(text, config).hashvalues) == list(reference.hashvalues)


def test_shingle_hashes_match_the_shingles() -> None:
    text = "A b c d e f; a b c d e f. G h!"
    assert len(shingle_hashes(text, 5)) == len(shingles(text, 5)) == 8
    assert len(shingle_hashes("one two", 5)) == 1 and len(shingle_hashes(" . ", 5)) == 0


def test_empty_text_has_empty_signature() -> None:
    config = DedupConfig()
    assert empty_signature(signature("", config))
    assert not empty_signature(signature("one", config))


def test_from_settings_reads_newsarc_dedup_settings() -> None:
    config = DedupConfig.from_settings(
        {"NEWSARC_DEDUP_NUM_PERM": "64", "NEWSARC_DEDUP_BANDS": 16, "NEWSARC_DEDUP_THRESHOLD": 0.7}
    )
    assert config == DedupConfig(num_perm=64, bands=16, threshold=0.7)
    assert config.rows == 4
    assert DedupConfig.from_settings({}) == DedupConfig()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"NEWSARC_DEDUP_NUM_PERM": "many"}, "NEWSARC_DEDUP_NUM_PERM='many'"),
        ({"NEWSARC_DEDUP_THRESHOLD": "1.5"}, "NEWSARC_DEDUP_THRESHOLD='1.5'"),
        ({"NEWSARC_DEDUP_BANDS": 30}, "NEWSARC_DEDUP_BANDS=30"),
        ({"NEWSARC_DEDUP_SHINGLE_WORDS": 0}, "NEWSARC_DEDUP_SHINGLE_WORDS=0"),
    ],
)
def test_from_settings_rejects_invalid_values(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        DedupConfig.from_settings(settings)


def copy(
    id_: int, url: str, published: str | None, length: int, source: str | None = None
) -> dict[str, object]:
    """Build one row as the store hands it to ``representative``."""
    return {"id": id_, "url": url, "canonical_url": url, "published": published,
            "source_url": source, "length": length}  # fmt: skip


@pytest.mark.parametrize(
    ("copies", "expected"),
    [
        # earliest publication day wins, even over a longer text
        ([copy(1, "https://a.org/x", "2025-07-11", 900),
          copy(2, "https://b.org/x", "2025-07-10", 100)], 2),
        # same day: the origin named by a mirror's source_url wins over a longer mirror
        ([copy(1, "https://mirror.net/x", "2025-07-10T09:00:00+08:00", 900,
               "https://a.org/x?utm_source=y"),
          copy(2, "https://a.org/x", "2025-07-10T08:00:00Z", 800)], 2),
        # same day, no origin known: the longest text wins
        ([copy(1, "https://a.org/x", "2025-07-10", 500),
          copy(2, "https://b.org/x", "2025-07-10", 700)], 2),
        # copies without a date come last
        ([copy(1, "https://a.org/x", None, 900), copy(2, "https://b.org/x", "2025-07-12", 100)], 2),
        # full tie: the smallest canonical URL, whatever the ids (arrival order)
        ([copy(3, "https://a.org/x", None, 10), copy(2, "https://b.org/x", None, 10)], 3),
        ([copy(2, "https://a.org/x", None, 10), copy(3, "https://b.org/x", None, 10)], 2),
    ],
)  # fmt: skip
def test_representative_rule(copies: list[dict[str, object]], expected: int) -> None:
    assert representative(copies) == expected
