"""FastWARC (auto) and warcio give replay the same records, on healthy and damaged files."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.reader import ArchivedResponse, ReadProblem, iter_responses
from tests.conftest import SHARED

CORPUS = SHARED / "corpus" / "warc"
FILES = sorted(
    str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".md"
) if CORPUS.is_dir() else []  # fmt: skip


def read(path: Path, engine: str) -> tuple[list[ArchivedResponse], list[ReadProblem]]:
    problems: list[ReadProblem] = []
    records = list(iter_responses(path, problems.append, revisits=True, engine=engine))
    return records, problems


@pytest.mark.shared
@pytest.mark.parametrize("name", FILES)
def test_engines_agree_on_corpus_file(name: str) -> None:
    assert read(CORPUS / name, "auto") == read(CORPUS / name, "warcio")


def _damaged(tmp_path: Path, how: str) -> Path:
    data = bytearray((CORPUS / "pywb-sample-archive" / "iana.warc.gz").read_bytes())
    if how == "truncated":
        data = data[: len(data) * 2 // 3]
    elif how == "flipped":
        data[len(data) // 2] ^= 0xFF
    else:
        data[len(data) // 2 : len(data) // 2] = b"GARBAGE" * 40
    path = tmp_path / f"iana-{how}.warc.gz"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.shared
@pytest.mark.parametrize("how", ["truncated", "flipped", "garbage"])
def test_engines_agree_on_damaged_copy(tmp_path: Path, how: str) -> None:
    path = _damaged(tmp_path, how)
    fast, slow = read(path, "auto"), read(path, "warcio")
    assert fast == slow
    records, problems = fast
    assert problems and all(p.offset is not None for p in problems)
    intact, _ = read(CORPUS / "pywb-sample-archive" / "iana.warc.gz", "warcio")
    if how == "truncated":  # every record that ends before the cut
        size = path.stat().st_size
        assert len(records) == len([r for r in intact if r.offset + r.length <= size])
    else:  # every record but the one holding the damage
        assert len(intact) - 1 <= len(records) < len(intact)


def test_unknown_engine_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="engine"):
        list(iter_responses(tmp_path / "x.warc.gz", lambda p: None, engine="fast"))
