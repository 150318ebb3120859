"""Tests for archive.reader: round trip, body decoding, foreign files, damaged files."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.reader import ArchivedResponse, ReadProblem, iter_responses
from archive.writer import HttpExchange, RecordLocation, WarcWriter, WarcWriterConfig

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
CORPUS = SHARED / "corpus" / "warc"
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"development corpus {SHARED} is absent"
)
FETCHED = datetime(2025, 11, 23, 5, 24, 0, tzinfo=UTC)


def exchange(url: str, body: bytes = b"<html>hello</html>", **kw: object) -> HttpExchange:
    values: dict[str, object] = {
        "url": url,
        "method": "GET",
        "request_headers": [("Accept", "*/*")],
        "request_body": b"",
        "status": 200,
        "reason": "OK",
        "response_headers": [("Content-Type", "text/html; charset=utf-8")],
        "response_body": body,
        "fetched_at": FETCHED,
    }
    values.update(kw)
    return HttpExchange(**values)  # type: ignore[arg-type]


def read(path: Path) -> tuple[list[ArchivedResponse], list[ReadProblem]]:
    problems: list[ReadProblem] = []
    return list(iter_responses(path, problems.append)), problems


def write_warc(directory: Path, count: int = 4) -> tuple[Path, list[RecordLocation]]:
    with WarcWriter(WarcWriterConfig(directory)) as writer:
        locations = [
            writer.write_exchange(exchange(f"http://example.com/{i}", f"<p>page {i}</p>".encode()))
            for i in range(count)
        ]
    return directory / locations[0].warc_file, locations


def foreign_warc(path: Path, headers: list[tuple[str, str]], payload: bytes) -> Path:
    """A one-response WARC written directly with warcio, headers and payload as given."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=path.suffix == ".gz")
        record = writer.create_warc_record(
            "http://foreign.example/",
            "response",
            payload=BytesIO(payload),
            length=len(payload),
            http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1"),
        )
        writer.write_record(record)
    return path


def test_round_trip_of_our_files(tmp_path: Path) -> None:
    path, locations = write_warc(tmp_path)
    responses, problems = read(path)
    assert problems == []
    assert [r.url for r in responses] == [f"http://example.com/{i}" for i in range(4)]
    assert [(r.warc_file, r.offset, r.length) for r in responses] == [
        (loc.warc_file, loc.offset, loc.length) for loc in locations
    ]
    first = responses[0]
    assert first.status == 200
    assert first.body == b"<p>page 0</p>"
    assert first.date == "2025-11-23T05:24:00Z"
    assert ("Content-Length", "13") in first.headers


def test_ip_address_is_read(tmp_path: Path) -> None:
    with WarcWriter(WarcWriterConfig(tmp_path)) as writer:
        location = writer.write_exchange(exchange("http://e.com/", ip_address="192.0.2.1"))
    (response,) = read(tmp_path / location.warc_file)[0]
    assert response.ip_address == "192.0.2.1"


def test_gzip_body_is_decoded(tmp_path: Path) -> None:
    encoded = gzip.compress(b"<html>zipped</html>")
    with WarcWriter(WarcWriterConfig(tmp_path)) as writer:
        location = writer.write_exchange(
            exchange("http://e.com/", encoded, response_headers=[("Content-Encoding", "gzip")])
        )
    (response,), problems = read(tmp_path / location.warc_file)
    assert response.body == b"<html>zipped</html>"
    assert ("Content-Encoding", "gzip") in response.headers
    assert problems == []


def test_revisits_are_skipped(tmp_path: Path) -> None:
    with WarcWriter(WarcWriterConfig(tmp_path)) as writer:
        first = writer.write_exchange(exchange("http://e.com/"))
        writer.write_exchange(exchange("http://e.com/"))
    responses, problems = read(tmp_path / first.warc_file)
    assert [r.offset for r in responses] == [first.offset]
    assert problems == []


def test_raw_chunked_body_is_dechunked(tmp_path: Path) -> None:
    chunked = b"5\r\nhello\r\n6; ext=1\r\n world\r\n0\r\n\r\n"
    path = foreign_warc(tmp_path / "c.warc", [("Transfer-Encoding", "chunked")], chunked)
    (response,), problems = read(path)
    assert response.body == b"hello world"
    assert problems == []


def test_chunked_and_gzip_body(tmp_path: Path) -> None:
    encoded = gzip.compress(b"both")
    framed = b"%x\r\n" % len(encoded) + encoded + b"\r\n0\r\n\r\n"
    headers = [("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip")]
    (response,), _ = read(foreign_warc(tmp_path / "cg.warc.gz", headers, framed))
    assert response.body == b"both"


def test_header_claims_chunked_but_body_is_not(tmp_path: Path) -> None:
    path = foreign_warc(tmp_path / "nc.warc", [("Transfer-Encoding", "chunked")], b"plain body")
    (response,), problems = read(path)
    assert response.body == b"plain body"
    assert problems == []


def test_renamed_crawler_encoding_is_not_decoded(tmp_path: Path) -> None:
    headers = [("X-Crawler-Content-Encoding", "gzip"), ("Content-Length", "7")]
    (response,), problems = read(foreign_warc(tmp_path / "cc.warc.gz", headers, b"decoded"))
    assert response.body == b"decoded"
    assert problems == []


def test_undecodable_body_is_kept_and_reported(tmp_path: Path) -> None:
    path = foreign_warc(tmp_path / "bad.warc", [("Content-Encoding", "gzip")], b"not gzip")
    (response,), problems = read(path)
    assert response.body == b"not gzip"
    assert len(problems) == 1
    assert problems[0].offset == 0
    assert "gzip" in problems[0].message


def test_deflate_raw_and_zlib(tmp_path: Path) -> None:
    import zlib

    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw_body = raw.compress(b"raw") + raw.flush()
    for name, body in (("z.warc", zlib.compress(b"raw")), ("r.warc", raw_body)):
        path = foreign_warc(tmp_path / name, [("Content-Encoding", "deflate")], body)
        assert read(path)[0][0].body == b"raw"


def test_angle_brackets_stripped(tmp_path: Path) -> None:
    path = tmp_path / "wget.warc"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=False)
        record = writer.create_warc_record(
            "<http://wget.example/>",
            "response",
            payload=BytesIO(b"x"),
            length=1,
            http_headers=StatusAndHeaders("200 OK", [], protocol="HTTP/1.1"),
        )
        writer.write_record(record)
    assert read(path)[0][0].url == "http://wget.example/"


# ---- damaged files: each states its exact outcome --------------------------------------


@pytest.mark.parametrize(
    ("keep", "intact"),
    [(lambda n: 30, 3), (lambda n: n // 2, 3), (lambda n: n - 5, 4)],
    ids=["in-header", "in-body", "in-gzip-trailer"],
)
def test_truncated_gzip_file(tmp_path: Path, keep: Callable[[int], int], intact: int) -> None:
    path, locations = write_warc(tmp_path)
    last = locations[-1]
    path.write_bytes(path.read_bytes()[: last.offset + keep(last.length)])
    responses, problems = read(path)
    assert [r.offset for r in responses] == [loc.offset for loc in locations[:intact]]
    assert len(problems) == 1
    assert problems[0].offset == last.offset
    assert problems[0].warc_file == path.name


def test_truncated_uncompressed_final_record(tmp_path: Path) -> None:
    path, _ = write_warc(tmp_path, count=2)
    plain = tmp_path / "plain.warc"
    text = gzip.decompress(path.read_bytes())
    plain.write_bytes(text[:-12])
    responses, problems = read(plain)
    assert len(responses) == 1
    assert len(problems) == 1
    assert "truncated" in problems[0].message
    assert problems[0].offset == text.rindex(b"WARC/1.1\r\nWARC-Record-ID")


def test_flipped_byte_skips_one_record_only(tmp_path: Path) -> None:
    path, locations = write_warc(tmp_path)
    data = bytearray(path.read_bytes())
    data[locations[1].offset + 20] ^= 0xFF
    path.write_bytes(bytes(data))
    responses, problems = read(path)
    assert [r.url for r in responses] == [
        "http://example.com/0",
        "http://example.com/2",
        "http://example.com/3",
    ]
    assert len(problems) == 1
    assert problems[0].offset == locations[1].offset
    assert "resumed at offset" in problems[0].message


def test_garbage_before_first_record(tmp_path: Path) -> None:
    path, _ = write_warc(tmp_path)
    path.write_bytes(b"garbage\n" * 10 + path.read_bytes())
    responses, problems = read(path)
    assert len(responses) == 4
    assert [(p.offset, p.message) for p in problems] == [
        (0, "no WARC or ARC record header; resumed at offset 80")
    ]
    assert responses[0].offset > 80


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.warc.gz"
    path.write_bytes(b"")
    assert read(path) == ([], [ReadProblem("empty.warc.gz", 0, "empty file (0 bytes)")])


def test_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("These are not the records you are looking for.\n" * 50)
    responses, problems = read(path)
    assert responses == []
    assert [(p.offset, p.message) for p in problems] == [
        (0, "no WARC or ARC record header; no readable record after it")
    ]


def test_missing_file(tmp_path: Path) -> None:
    responses, problems = read(tmp_path / "nope.warc.gz")
    assert responses == []
    assert problems[0].offset is None
    assert "cannot open" in problems[0].message


def test_whole_file_one_gzip_member(tmp_path: Path) -> None:
    path, _ = write_warc(tmp_path)
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())))
    responses, problems = read(path)
    assert responses == []
    assert len(problems) == 1
    assert problems[0].offset == 0
    assert "one gzip member" in problems[0].message


def test_lying_content_length_too_long(tmp_path: Path) -> None:
    path, _ = write_warc(tmp_path)
    text = gzip.decompress(path.read_bytes())
    second = text.index(
        b"WARC-Target-URI: http://example.com/1", text.index(b"WARC-Type: response")
    )
    start = text.rindex(b"WARC/1.1", 0, second)
    head_end = text.index(b"\r\n\r\n", start)
    length_at = text.index(b"Content-Length: ", start, head_end) + len(b"Content-Length: ")
    length_end = text.index(b"\r\n", length_at)
    lie = str(int(text[length_at:length_end]) + 300).encode()
    plain = tmp_path / "lie.warc"
    plain.write_bytes(text[:length_at] + lie + text[length_end:])
    responses, problems = read(plain)
    assert "http://example.com/0" in [r.url for r in responses]
    assert "http://example.com/3" in [r.url for r in responses]
    assert problems
    assert all(p.offset is not None and p.offset >= start for p in problems)


def test_on_problem_exceptions_propagate(tmp_path: Path) -> None:
    path = tmp_path / "empty.warc"
    path.write_bytes(b"")

    def stop(problem: ReadProblem) -> None:
        raise RuntimeError(problem.message)

    with pytest.raises(RuntimeError, match="empty file"):
        list(iter_responses(path, stop))


# ---- foreign files from other tools ----------------------------------------------------

# file -> (responses yielded, problems reported); measured with warcio 1.8.1
FOREIGN = {
    "aeb-dev-wget.warc.gz": (92, 0),
    "jwarc/cc.warc.gz": (1, 0),
    "jwarc/gzip_extra_sl.warc.gz": (0, 0),
    "pywb-sample-archive/dupes.warc.gz": (3, 0),
    "pywb-sample-archive/example-extra.warc": (2, 0),
    "pywb-sample-archive/example-url-agnostic-orig.warc.gz": (1, 0),
    "pywb-sample-archive/example-url-agnostic-revisit.warc.gz": (0, 0),
    "pywb-sample-archive/example-wget-1-14.warc.gz": (1, 0),
    "pywb-sample-archive/example-wpull.warc.gz": (1, 0),
    "pywb-sample-archive/example2.warc.gz": (1, 0),
    "pywb-sample-archive/httpbin-resource.warc.gz": (0, 0),
    "pywb-sample-archive/iana.warc.gz": (48, 0),
    "pywb-sample-archive/missing-status-text.warc": (1, 0),
    "resiliparse/block-sized-records.warc": (0, 0),
    "resiliparse/block-sized-records.warc.gz": (0, 0),
    "resiliparse/warcfile.warc.gz": (16, 0),
    "warc-specifications/20130729-heritrix-original.warc.gz": (1, 0),
    "warc-specifications/20130729-heritrix-revisit-with-http-headers.warc.gz": (0, 0),
    "warc-specifications/20141124-heritrix-server-not-modified.warc.gz": (0, 0),
    "warcio-testdata/bad.arc": (0, 3),
    "warcio-testdata/example-bad-non-chunked.warc.gz": (0, 1),
    "warcio-testdata/example-bad.warc.gz.bad": (0, 1),
    "warcio-testdata/example-digest.warc": (0, 0),
    "warcio-testdata/example-iana.org-chunked.warc": (1, 0),
    "warcio-testdata/example-resource.warc.gz": (0, 0),
    "warcio-testdata/example-space-in-target-uri.warc.gz": (0, 0),
    "warcio-testdata/example-trunc.warc": (1, 2),
    "warcio-testdata/example-wget-bad-target-uri.warc.gz": (1, 0),
    "warcio-testdata/example-wrong-chunks.warc.gz": (0, 2),
    "warcio-testdata/example.arc": (1, 0),
    "warcio-testdata/example.arc.gz": (1, 0),
    "warcio-testdata/example.warc": (1, 0),
    "warcio-testdata/example.warc.gz": (1, 0),
    "warcio-testdata/post-test.warc.gz": (3, 0),
    "webarchive-commons/IAH-urls-wget.warc.gz": (16, 0),
    "webarchive-commons/link-extraction-test.warc": (5, 3),
    "webarchive-commons/mutliple-headers.warc": (1, 0),
}


@pytest.mark.shared
@needs_shared
@pytest.mark.parametrize(("name", "expected"), sorted(FOREIGN.items()))
def test_foreign_file(name: str, expected: tuple[int, int]) -> None:
    path = CORPUS / name
    responses, problems = read(path)
    assert (len(responses), len(problems)) == expected, problems
    assert all(p.warc_file == path.name and p.offset is not None for p in problems)
    assert all(r.url and not r.url.startswith("<") for r in responses)


@pytest.mark.shared
@needs_shared
def test_common_crawl_body_not_decoded_twice() -> None:
    (response,), problems = read(CORPUS / "jwarc" / "cc.warc.gz")
    assert problems == []
    assert b"<html" in response.body.lower()


@pytest.mark.shared
@needs_shared
@pytest.mark.parametrize(
    "name", ["warcio-testdata/example-iana.org-chunked.warc", "pywb-sample-archive/iana.warc.gz"]
)
def test_foreign_chunked_bodies_are_dechunked(name: str) -> None:
    responses, _ = read(CORPUS / name)
    html = [r for r in responses if r.body.lstrip().lower().startswith(b"<!doctype")]
    assert html
    assert all(not r.body.rstrip().endswith(b"\r\n0") for r in html)


@pytest.mark.shared
@needs_shared
def test_wget_angle_brackets_stripped() -> None:
    (response,), _ = read(CORPUS / "warcio-testdata" / "example-wget-bad-target-uri.warc.gz")
    assert response.url == "http://example.com/"


@pytest.mark.shared
@needs_shared
def test_example2_gzip_body_decoded() -> None:
    (response,), problems = read(CORPUS / "pywb-sample-archive" / "example2.warc.gz")
    assert problems == []
    assert b"Example Domain" in response.body


@pytest.mark.shared
@needs_shared
def test_all_corpus_files_read_without_raising() -> None:
    total = 0
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file()):
        responses, problems = read(path)
        assert all(problem.warc_file == path.name for problem in problems), path
        total += len(responses)
    assert total > 0
