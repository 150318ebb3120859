"""pywb replays a crawled article from our WARC file and our CDXJ index (``newsarc index``).

pywb is not installed with newsarc: it pins old versions of redis and cryptography and ships
brotlipy, which shadows the ``brotli`` module newsarc uses. Install it in a virtualenv of
its own and point ``NEWSARC_TEST_PYWB_BIN`` at that virtualenv's ``bin`` directory (or have
``wayback`` and ``wb-manager`` on PATH, or pywb importable); otherwise this test is skipped.
"""

from __future__ import annotations

import os
import queue
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.reader import read_record_at
from tests.conftest import CrawlResult, run_newsarc


def _pywb_commands() -> tuple[list[str], list[str]] | None:
    """The wb-manager and wayback command lines, or None if pywb is not available."""
    bin_dir = os.environ.get("NEWSARC_TEST_PYWB_BIN")
    if bin_dir and (Path(bin_dir) / "wayback").is_file():
        return [str(Path(bin_dir) / "wb-manager")], [str(Path(bin_dir) / "wayback")]
    if shutil.which("wayback") and shutil.which("wb-manager"):
        return [str(shutil.which("wb-manager"))], [str(shutil.which("wayback"))]
    try:
        import pywb  # noqa: F401
    except ImportError:
        return None
    return (
        [sys.executable, "-c", "from pywb.manager.manager import main; main()"],
        [sys.executable, "-c", "from pywb.apps.cli import wayback; wayback()"],
    )


COMMANDS = _pywb_commands()
pytestmark = pytest.mark.skipif(
    COMMANDS is None,
    reason="pywb is not installed (pip install pywb in its own virtualenv and set "
    "NEWSARC_TEST_PYWB_BIN=/path/to/venv/bin; see this module's docstring)",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_line(process: subprocess.Popen[str], marker: str, timeout: float) -> None:
    """Wait until the process logs ``marker`` (pywb logs 'Starting Gevent Server on PORT')."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"wayback did not start: {''.join(seen)[-2000:]}") from None
        seen.append(line)
        if marker in line:
            return


@pytest.fixture
def wayback(demo_crawl: CrawlResult, tmp_path: Path) -> Iterator[str]:
    """A pywb collection 'news' of the crawl's WARC files and our CDXJ index, served locally."""
    assert COMMANDS is not None
    manager, server = COMMANDS
    subprocess.run([*manager, "init", "news"], cwd=tmp_path, check=True, capture_output=True)
    collection = tmp_path / "collections" / "news"
    warcs = sorted(demo_crawl.warc_dir.glob("*.warc.gz"))
    for path in warcs:
        shutil.copy(path, collection / "archive" / path.name)
    made = run_newsarc(
        "index", *[str(p) for p in warcs], "-o", str(collection / "indexes" / "index.cdxj")
    )
    assert made.returncode == 0, made.stderr
    port = _free_port()
    process = subprocess.Popen(
        [*server, "-p", str(port), "-b", "127.0.0.1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_line(process, f"Starting Gevent Server on {port}", timeout=60)
        yield f"http://127.0.0.1:{port}/news"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_pywb_serves_the_archived_article_body(demo_crawl: CrawlResult, wayback: str) -> None:
    with sqlite3.connect(demo_crawl.db) as conn:
        url, warc_file, offset = conn.execute(
            "SELECT url, warc_file, warc_offset FROM articles ORDER BY id LIMIT 1"
        ).fetchone()
    archived = read_record_at(demo_crawl.warc_dir / warc_file, offset)
    assert archived is not None
    stamp = "".join(ch for ch in archived.date if ch.isdigit())[:14]
    with urllib.request.urlopen(f"{wayback}/{stamp}id_/{url}", timeout=30) as answer:
        served = answer.read()
        encoding = answer.headers.get("Content-Encoding")
    if encoding:
        from archive.httpbody import decode_content

        served = decode_content(served, encoding)
    assert served == archived.body
