"""Tests for archive.cdxj: pywb-compatible CDXJ lines, sorting, damaged inputs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive.cdxj import CdxjIndexError, index_warc, write_index
from archive.writer import HttpExchange, WarcWriter, WarcWriterConfig

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"development corpus {SHARED} is absent"
)


def exchange(url: str, body: bytes = b"<html>x</html>") -> HttpExchange:
    return HttpExchange(
        url=url,
        method="GET",
        request_headers=[],
        request_body=b"",
        status=200,
        reason="OK",
        response_headers=[("Content-Type", "text/html; charset=utf-8")],
        response_body=body,
        fetched_at=datetime(2025, 11, 23, 5, 24, 0, tzinfo=UTC),
    )


def split(line: str) -> tuple[str, str, dict[str, str]]:
    key, timestamp, data = line.split(" ", 2)
    return key, timestamp, json.loads(data)


def test_index_line_fields(tmp_path: Path) -> None:
    with WarcWriter(WarcWriterConfig(tmp_path)) as writer:
        location = writer.write_exchange(exchange("http://www.Example.com/b?z=1&a=2"))
    (line,) = index_warc(tmp_path / location.warc_file)
    key, timestamp, data = split(line)
    assert key == "com,example)/b?a=2&z=1"
    assert timestamp == "20251123052400"
    assert data["url"] == "http://www.Example.com/b?z=1&a=2"
    assert data["mime"] == "text/html"
    assert data["status"] == "200"
    assert data["digest"].startswith("sha1:")
    assert (data["offset"], data["length"]) == (str(location.offset), str(location.length))
    assert data["filename"] == location.warc_file


def test_revisit_indexed_as_warc_revisit(tmp_path: Path) -> None:
    with WarcWriter(WarcWriterConfig(tmp_path)) as writer:
        writer.write_exchange(exchange("http://e.com/"))
        revisit = writer.write_exchange(exchange("http://e.com/"))
    lines = [split(line) for line in index_warc(tmp_path / revisit.warc_file)]
    assert [d["mime"] for _, _, d in lines] == ["text/html", "warc/revisit"]
    assert lines[1][2]["offset"] == str(revisit.offset)


def test_write_index_sorted_and_counted(tmp_path: Path) -> None:
    paths = []
    for n, urls in enumerate((["http://b.com/", "http://a.com/z"], ["http://a.com/a"])):
        with WarcWriter(WarcWriterConfig(tmp_path / str(n))) as writer:
            for url in urls:
                writer.write_exchange(exchange(url, url.encode()))
        paths.extend(tmp_path / str(n) / name for name in writer.files)
    out = tmp_path / "index" / "all.cdxj"
    assert write_index(paths, out) == 3
    lines = out.read_text().splitlines()
    assert lines == sorted(lines)
    assert [split(line)[0] for line in lines] == ["com,a)/a", "com,a)/z", "com,b)/"]


def test_damaged_file_reported_after_others_indexed(tmp_path: Path) -> None:
    with WarcWriter(WarcWriterConfig(tmp_path)) as writer:
        writer.write_exchange(exchange("http://e.com/"))
    good = tmp_path / writer.files[0]
    bad = tmp_path / "bad.warc"
    bad.write_text("not an archive\n")
    out = tmp_path / "out.cdxj"
    with pytest.raises(CdxjIndexError, match=r"bad\.warc") as info:
        write_index([bad, good], out)
    assert info.value.count == 1
    assert len(out.read_text().splitlines()) == 1


def test_truncated_file_yields_lines_before_damage(tmp_path: Path) -> None:
    with WarcWriter(WarcWriterConfig(tmp_path)) as writer:
        writer.write_exchange(exchange("http://e.com/1", b"one"))
        last = writer.write_exchange(exchange("http://e.com/2", b"two"))
    path = tmp_path / last.warc_file
    path.write_bytes(path.read_bytes()[: last.offset] + b"<html>not a record</html>\r\n" * 3)
    got: list[str] = []
    with pytest.raises(CdxjIndexError):
        got.extend(index_warc(path))
    assert [split(line)[2]["url"] for line in got] == ["http://e.com/1"]


@pytest.mark.shared
@needs_shared
def test_index_of_wget_corpus_file(tmp_path: Path) -> None:
    source = SHARED / "corpus" / "warc" / "aeb-dev-wget.warc.gz"
    count = write_index([source], tmp_path / "aeb.cdxj")
    lines = (tmp_path / "aeb.cdxj").read_text().splitlines()
    assert count == len(lines) >= 92
    assert lines == sorted(lines)
    assert all(split(line)[2]["filename"] == source.name for line in lines)


@pytest.mark.shared
@needs_shared
def test_post_requests_get_post_append_key() -> None:
    lines = list(index_warc(SHARED / "corpus" / "warc" / "warcio-testdata" / "post-test.warc.gz"))
    assert all("__wb_method=post" in split(line)[0] for line in lines)
