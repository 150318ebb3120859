"""The WARC files of a real crawl of the demo sites (the session's ``demo_crawl``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from tests.conftest import FAST, CrawlResult, run_newsarc


def _records(path: Path) -> list[tuple[str, dict[str, str], bytes]]:
    with path.open("rb") as fh:
        return [
            (r.rec_type, dict(r.rec_headers.headers), r.content_stream().read())
            for r in ArchiveIterator(fh)
        ]


def test_crawl_files_pass_warcio_check(demo_crawl: CrawlResult) -> None:
    for path in sorted(demo_crawl.warc_dir.glob("*.warc.gz")):
        result = subprocess.run(
            [sys.executable, "-c", "from warcio.cli import main; main()", "check", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_response_has_its_request(demo_crawl: CrawlResult) -> None:
    for path in sorted(demo_crawl.warc_dir.glob("*.warc.gz")):
        records = _records(path)
        requests = {h["WARC-Record-ID"]: h for t, h, _ in records if t == "request"}
        answers = [h for t, h, _ in records if t in ("response", "revisit")]
        assert answers
        for headers in answers:
            request = requests[headers["WARC-Concurrent-To"]]
            assert request["WARC-Target-URI"] == headers["WARC-Target-URI"]


def test_warcinfo_names_software_scrapy_robots_and_crawl(demo_crawl: CrawlResult) -> None:
    for path in sorted(demo_crawl.warc_dir.glob("*.warc.gz")):
        kind, _, body = _records(path)[0]
        assert kind == "warcinfo"
        text = body.decode("utf-8")
        for field in ("software: newsarc/", "scrapy-version: 2.", "robots: obey", "crawl-id: "):
            assert field in text, f"{field!r} missing from warcinfo of {path.name}"


def test_digest_index_written_next_to_warcs(demo_crawl: CrawlResult) -> None:
    lines = (demo_crawl.warc_dir / "newsarc-digests.tsv").read_text(encoding="utf-8").splitlines()
    assert lines and all(line.startswith("sha1:") and line.count("\t") == 4 for line in lines)


def test_second_crawl_of_unchanged_pages_writes_revisits(
    demo_crawl: CrawlResult, tmp_path: Path
) -> None:
    warcs = tmp_path / "warcs"
    shutil.copytree(demo_crawl.warc_dir, warcs)
    sites = demo_crawl.sites
    process = run_newsarc(
        "crawl", sites.portal_url, "--allow-private", "--depth", "1", "--refresh",
        "--db", str(tmp_path / "db.sqlite"), "--warc-dir", str(warcs), *FAST,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr[-3000:]
    new_files = set(warcs.glob("*.warc.gz")) - {
        warcs / p.name for p in demo_crawl.warc_dir.glob("*.warc.gz")
    }
    types = [t for path in new_files for t, _, _ in _records(path)]
    assert types.count("revisit") > 0
    assert not [p for p in warcs.iterdir() if p.name.endswith(".open")]


def test_request_record_is_the_request_sent(demo_crawl: CrawlResult) -> None:
    path = sorted(demo_crawl.warc_dir.glob("*.warc.gz"))[0]
    with path.open("rb") as fh:
        requests = [r for r in ArchiveIterator(fh) if r.rec_type == "request"]
        assert requests
        for record in requests:
            headers = record.http_headers
            assert headers.get_header("User-Agent", "").startswith("newsarc/")
            assert "gzip" in headers.get_header("Accept-Encoding", "")
            assert headers.get_header("Host")
