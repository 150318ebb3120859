"""Tests for archive.writer: records, linking, revisits, rotation, naming, durability."""

from __future__ import annotations

import gzip
import itertools
import re
import subprocess
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

import archive.writer as writer_module
from archive.writer import (
    HttpExchange,
    RecordLocation,
    WarcWriteError,
    WarcWriter,
    WarcWriterConfig,
)

FETCHED = datetime(2025, 11, 23, 5, 24, 0, 123456, tzinfo=UTC)


def exchange(
    url: str = "http://example.com/a", body: bytes = b"<html>hello</html>", **kw: object
) -> HttpExchange:
    values: dict[str, object] = {
        "url": url,
        "method": "GET",
        "request_headers": [("User-Agent", "newsarc-test")],
        "request_body": b"",
        "status": 200,
        "reason": "OK",
        "response_headers": [("Content-Type", "text/html"), ("Content-Length", str(len(body)))],
        "response_body": body,
        "fetched_at": FETCHED,
    }
    values.update(kw)
    return HttpExchange(**values)  # type: ignore[arg-type]


def config(tmp_path: Path, **kw: object) -> WarcWriterConfig:
    return WarcWriterConfig(directory=tmp_path, **kw)  # type: ignore[arg-type]


def fixed_config(tmp_path: Path) -> WarcWriterConfig:
    counter = itertools.count()
    return WarcWriterConfig(
        directory=tmp_path,
        clock=lambda: datetime(2025, 11, 23, 5, 24, 0, 123000, tzinfo=UTC),
        record_id=lambda: f"<urn:uuid:00000000-0000-0000-0000-{next(counter):012d}>",
        hostname="host",
        pid=1234,
        extra_info={"crawl-id": "c1"},
    )


def records(path: Path) -> list[tuple[str, dict[str, str], bytes]]:
    out = []
    with path.open("rb") as fh:
        for rec in ArchiveIterator(fh):
            headers = dict(rec.rec_headers.headers)
            out.append((rec.rec_type, headers, rec.content_stream().read()))
    return out


def read_at(directory: Path, location: RecordLocation) -> object:
    with (directory / location.warc_file).open("rb") as fh:
        fh.seek(location.offset)
        member = fh.read(location.length)
        fh.seek(location.offset)
        record = next(iter(ArchiveIterator(fh)))
        record.raw_body = record.content_stream().read()
    zobj = zlib.decompressobj(zlib.MAX_WBITS | 16)
    zobj.decompress(member)
    assert zobj.eof and not zobj.unused_data  # exactly one whole gzip member
    return record


def test_location_points_at_response_record(tmp_path: Path) -> None:
    with WarcWriter(config(tmp_path)) as writer:
        locations = [writer.write_exchange(exchange(f"http://example.com/{i}")) for i in range(3)]
    for i, location in enumerate(locations):
        record = read_at(tmp_path, location)
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Target-URI") == f"http://example.com/{i}"
        assert record.raw_body == b"<html>hello</html>"


def test_files_pass_warcio_check(tmp_path: Path) -> None:
    with WarcWriter(config(tmp_path, max_size=2000)) as writer:
        for i in range(6):
            writer.write_exchange(exchange(f"http://example.com/{i % 3}", ip_address="10.0.0.1"))
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) > 1
    for path in files:
        result = subprocess.run(
            [sys.executable, "-c", "from warcio.cli import main; main()", "check", "-v", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "digest pass" in result.stdout


def test_one_gzip_member_per_record(tmp_path: Path) -> None:
    with WarcWriter(config(tmp_path)) as writer:
        writer.write_exchange(exchange())
        writer.write_exchange(exchange("http://example.com/b"))
    (path,) = tmp_path.glob("*.warc.gz")
    data, members = path.read_bytes(), 0
    while data:
        zobj = zlib.decompressobj(zlib.MAX_WBITS | 16)
        zobj.decompress(data)
        data, members = zobj.unused_data, members + 1
    assert members == len(records(path)) == 5


def test_warcinfo_first_with_extra_info(tmp_path: Path) -> None:
    with WarcWriter(
        WarcWriterConfig(tmp_path, operator="ops@example.org", extra_info={"crawl-id": "c1"})
    ) as w:
        w.write_exchange(exchange())
    (path,) = tmp_path.glob("*.warc.gz")
    rec_type, headers, body = records(path)[0]
    assert rec_type == "warcinfo"
    assert headers["WARC-Filename"] == path.name
    assert b"crawl-id: c1\r\n" in body and b"operator: ops@example.org\r\n" in body
    assert b"software: newsarc\r\n" in body


def test_warc_version_is_1_1(tmp_path: Path) -> None:
    with WarcWriter(config(tmp_path)) as writer:
        writer.write_exchange(exchange())
    (path,) = tmp_path.glob("*.warc.gz")
    text = gzip.decompress(path.read_bytes())
    assert text.count(b"WARC/1.1\r\n") == 3
    assert b"WARC/1.0" not in text


def test_request_and_response_are_linked(tmp_path: Path) -> None:
    with WarcWriter(config(tmp_path)) as writer:
        writer.write_exchange(exchange(ip_address="192.0.2.7"))
    (path,) = tmp_path.glob("*.warc.gz")
    _, (_, request, _req_body), (_, response, _) = records(path)
    assert request["WARC-Type"] == "request" and response["WARC-Type"] == "response"
    assert request["WARC-Concurrent-To"] == response["WARC-Record-ID"]
    assert response["WARC-Concurrent-To"] == request["WARC-Record-ID"]
    assert response["WARC-IP-Address"] == "192.0.2.7"
    assert response["WARC-Payload-Digest"].startswith("sha1:")
    assert response["WARC-Block-Digest"].startswith("sha1:")
    assert response["WARC-Date"] == request["WARC-Date"] == "2025-11-23T05:24:00.123456Z"


def test_request_record_has_host_and_request_line(tmp_path: Path) -> None:
    with WarcWriter(config(tmp_path)) as writer:
        writer.write_exchange(exchange("http://user@example.com:8080/p/q?x=1#frag"))
    (path,) = tmp_path.glob("*.warc.gz")
    text = gzip.decompress(path.read_bytes())
    assert b"GET /p/q?x=1 HTTP/1.1\r\nHost: example.com:8080\r\n" in text


def test_transfer_encoding_removed_and_content_length_set(tmp_path: Path) -> None:
    headers = [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")]
    with WarcWriter(config(tmp_path)) as writer:
        location = writer.write_exchange(exchange(response_headers=headers))
    http = read_at(tmp_path, location).http_headers
    assert http.get_header("Transfer-Encoding") is None
    assert http.get_header("Content-Length") == "18"
    assert http.get_header("X-Archive-Orig-Content-Length") is None


def test_differing_content_length_kept_as_original(tmp_path: Path) -> None:
    headers = [("Content-Length", "99999")]
    with WarcWriter(config(tmp_path)) as writer:
        location = writer.write_exchange(exchange(response_headers=headers, truncated="length"))
    record = read_at(tmp_path, location)
    assert record.http_headers.get_header("Content-Length") == "18"
    assert record.http_headers.get_header("X-Archive-Orig-Content-Length") == "99999"
    assert record.rec_headers.get_header("WARC-Truncated") == "length"


def test_gzip_body_stored_encoded(tmp_path: Path) -> None:
    encoded = gzip.compress(b"<html>zipped</html>")
    headers = [("Content-Encoding", "gzip"), ("Content-Length", str(len(encoded)))]
    with WarcWriter(config(tmp_path)) as writer:
        location = writer.write_exchange(exchange(body=encoded, response_headers=headers))
    with (tmp_path / location.warc_file).open("rb") as fh:
        fh.seek(location.offset)
        record = next(iter(ArchiveIterator(fh)))
        assert record.raw_stream.read() == encoded


def test_same_url_same_payload_becomes_revisit(tmp_path: Path) -> None:
    with WarcWriter(config(tmp_path)) as writer:
        first = writer.write_exchange(exchange())
        later = exchange(fetched_at=datetime(2025, 11, 24, tzinfo=UTC))
        second = writer.write_exchange(later)
    original = read_at(tmp_path, first)
    revisit = read_at(tmp_path, second)
    assert revisit.rec_type == "revisit"
    headers = revisit.rec_headers
    assert headers.get_header("WARC-Profile") == (
        "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    )
    assert headers.get_header("WARC-Refers-To-Target-URI") == "http://example.com/a"
    assert headers.get_header("WARC-Refers-To-Date") == original.rec_headers.get_header("WARC-Date")
    assert headers.get_header("WARC-Refers-To") == original.rec_headers.get_header("WARC-Record-ID")
    assert headers.get_header("WARC-Payload-Digest") == original.rec_headers.get_header(
        "WARC-Payload-Digest"
    )
    assert revisit.raw_body == b""


def test_other_url_same_payload_is_written_in_full(tmp_path: Path) -> None:
    with WarcWriter(config(tmp_path)) as writer:
        writer.write_exchange(exchange("http://example.com/a"))
        location = writer.write_exchange(exchange("http://mirror.example.net/a"))
    record = read_at(tmp_path, location)
    assert record.rec_type == "response"
    assert record.raw_body == b"<html>hello</html>"


@pytest.mark.parametrize(
    ("first_body", "second_body"),
    [(b"<html>one</html>", b"<html>changed</html>"), (b"", b"")],
    ids=["changed", "empty"],
)
def test_changed_or_empty_payload_is_not_a_revisit(
    tmp_path: Path, first_body: bytes, second_body: bytes
) -> None:
    with WarcWriter(config(tmp_path)) as writer:
        writer.write_exchange(exchange(body=first_body))
        location = writer.write_exchange(exchange(body=second_body))
    assert read_at(tmp_path, location).rec_type == "response"


def test_rotation_at_max_size(tmp_path: Path) -> None:
    body = bytes(range(256)) * 40  # incompressible enough
    with WarcWriter(config(tmp_path, max_size=4000, gzip_level=0)) as writer:
        locations = [
            writer.write_exchange(exchange(f"http://e.com/{i}", body=body)) for i in range(5)
        ]
        names = writer.close()
    assert len(names) == 5
    assert [loc.warc_file for loc in locations] == names
    assert [n.split("-")[2] for n in names] == ["00000", "00001", "00002", "00003", "00004"]
    for name in names:
        assert records(tmp_path / name)[0][0] == "warcinfo"


def test_request_and_response_never_split_by_rotation(tmp_path: Path) -> None:
    with WarcWriter(config(tmp_path, max_size=1)) as writer:
        for i in range(3):
            writer.write_exchange(exchange(f"http://e.com/{i}"))
    for path in tmp_path.glob("*.warc.gz"):
        assert [r[0] for r in records(path)] == ["warcinfo", "request", "response"]


def test_open_suffix_until_closed(tmp_path: Path) -> None:
    writer = WarcWriter(config(tmp_path))
    location = writer.write_exchange(exchange())
    assert [p.name for p in tmp_path.iterdir()] == [location.warc_file + ".open"]
    assert writer.files == [location.warc_file]
    assert writer.close() == [location.warc_file]
    assert [p.name for p in tmp_path.iterdir()] == [location.warc_file]


def test_record_readable_before_close(tmp_path: Path) -> None:
    writer = WarcWriter(config(tmp_path))
    location = writer.write_exchange(exchange())
    with (tmp_path / (location.warc_file + ".open")).open("rb") as fh:
        fh.seek(location.offset)
        assert next(iter(ArchiveIterator(fh))).rec_type == "response"
    writer.close()


def test_no_file_without_exchanges(tmp_path: Path) -> None:
    assert WarcWriter(config(tmp_path)).close() == []
    assert list(tmp_path.iterdir()) == []


def test_file_name_pattern(tmp_path: Path) -> None:
    with WarcWriter(config(tmp_path, prefix="crawl")) as writer:
        name = writer.write_exchange(exchange()).warc_file
    assert re.fullmatch(r"crawl-\d{17}-00000-[A-Za-z0-9._]+-\d+\.warc\.gz", name)


def test_fixed_clock_and_ids_give_identical_bytes(tmp_path: Path) -> None:
    outputs = []
    for run in ("one", "two"):
        with WarcWriter(fixed_config(tmp_path / run)) as writer:
            location = writer.write_exchange(exchange())
        assert location.warc_file == "newsarc-20251123052400123-00000-host-1234.warc.gz"
        outputs.append((tmp_path / run / location.warc_file).read_bytes())
    assert outputs[0] == outputs[1]
    assert b"<urn:uuid:00000000-0000-0000-0000-000000000001>" in gzip.decompress(outputs[0])


def test_existing_name_is_not_overwritten(tmp_path: Path) -> None:
    taken = tmp_path / "newsarc-20251123052400123-00000-host-1234.warc.gz"
    taken.write_bytes(b"keep")
    with WarcWriter(fixed_config(tmp_path)) as writer:
        name = writer.write_exchange(exchange()).warc_file
    assert name == "newsarc-20251123052400123-00001-host-1234.warc.gz"
    assert taken.read_bytes() == b"keep"


@pytest.mark.parametrize(
    "bad", [{"max_size": 0}, {"gzip_level": 10}, {"prefix": "a/b"}, {"prefix": ""}]
)
def test_config_rejects_bad_values(tmp_path: Path, bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="WarcWriterConfig"):
        config(tmp_path, **bad)


def test_write_error_is_named_and_next_write_starts_new_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = WarcWriter(config(tmp_path))
    first = writer.write_exchange(exchange())

    def disk_full(self: object, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(writer_module._GzipMemberSink, "write", disk_full)
        with pytest.raises(WarcWriteError, match="No space left"):
            writer.write_exchange(exchange("http://example.com/b"))
    second = writer.write_exchange(exchange("http://example.com/c"))
    assert second.warc_file != first.warc_file
    assert writer.close() == [first.warc_file, second.warc_file]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(writer.files)


def test_revisit_across_writers_via_digest_index(tmp_path: Path) -> None:
    index = tmp_path / "digests.tsv"
    with WarcWriter(config(tmp_path / "one", digest_index=index)) as writer:
        first = writer.write_exchange(exchange())
    with WarcWriter(config(tmp_path / "two", digest_index=index)) as writer:
        second = writer.write_exchange(exchange(fetched_at=datetime(2025, 11, 24, tzinfo=UTC)))
        assert writer.last_record_type == "revisit"
    original = read_at(tmp_path / "one", first)
    revisit = read_at(tmp_path / "two", second)
    assert revisit.rec_type == "revisit"
    assert revisit.rec_headers.get_header("WARC-Refers-To") == original.rec_headers.get_header(
        "WARC-Record-ID"
    )


def test_torn_digest_index_line_is_ignored(tmp_path: Path) -> None:
    index = tmp_path / "digests.tsv"
    index.write_text("sha1:AAAA\thttp://example.com/a\t2025", encoding="utf-8")
    with WarcWriter(config(tmp_path / "w", digest_index=index)) as writer:
        writer.write_exchange(exchange())
        assert writer.last_record_type == "response"


def test_304_is_a_server_not_modified_revisit(tmp_path: Path) -> None:
    not_modified = exchange(
        body=b"",
        status=304,
        reason="Not Modified",
        response_headers=[("ETag", '"v1"')],
        request_headers=[("If-None-Match", '"v1"')],
        fetched_at=datetime(2025, 11, 24, tzinfo=UTC),
    )
    with WarcWriter(config(tmp_path)) as writer:
        first = writer.write_exchange(exchange())
        second = writer.write_exchange(not_modified)
    original, revisit = read_at(tmp_path, first), read_at(tmp_path, second)
    headers = revisit.rec_headers
    assert revisit.rec_type == "revisit"
    assert headers.get_header("WARC-Profile") == (
        "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
    )
    assert headers.get_header("WARC-Refers-To") == original.rec_headers.get_header("WARC-Record-ID")
    assert revisit.http_headers.get_statuscode() == "304"


def test_repeated_headers_protocol_and_query_kept(tmp_path: Path) -> None:
    headers = [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Content-Type", "text/html")]
    with WarcWriter(config(tmp_path)) as writer:
        location = writer.write_exchange(
            exchange(
                "http://example.com/p?x=1&y=2", response_headers=headers, http_version="HTTP/1.0"
            )
        )
    record = read_at(tmp_path, location)
    assert record.http_headers.protocol == "HTTP/1.0"
    assert [v for k, v in record.http_headers.headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    (path,) = tmp_path.glob("*.warc.gz")
    assert b"GET /p?x=1&y=2 HTTP/1.0\r\n" in gzip.decompress(path.read_bytes())
