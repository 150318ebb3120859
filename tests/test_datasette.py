"""``datasette news.db`` with the shipped metadata: JSON search API, canned queries, and the
search page as headless Chromium renders it.

A real datasette server runs on 127.0.0.1 (a free port) against a database the store wrote.
Skipped with a reason when datasette (``pip install -e '.[test]'``) or chromium (Debian
package ``chromium``) is absent.
"""

from __future__ import annotations

import json
import shutil
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import pytest

from pipelines.items import Article
from pipelines.store import Store
from tests.test_dedup_corpus import DIFFERENT, NEAR_COPIES, ORIGINAL

METADATA = Path(__file__).resolve().parent.parent / "crawler" / "datasette-metadata.json"
KL = "https://news.example.org/2025/07/lavrov-rubio-kl"
MIRROR = "https://mirror.blogspot.com/2025/07/lavrov-rubio.html"

needs_datasette = pytest.mark.skipif(
    find_spec("datasette") is None, reason="datasette is not installed (pip install -e '.[test]')"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], seconds: float) -> None:
    """Connect until the server accepts (bounded), failing early if it exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"datasette exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"datasette did not listen on port {port} within {seconds} s")


@pytest.fixture(scope="module")
def news_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("datasette") / "news.db"
    with Store(path) as store:
        for url, title, text, published in (
            (KL, "Lavrov-Rubio meeting in KL being finalised", ORIGINAL, "2025-07-10"),
            (MIRROR, "Lavrov Rubio Meeting In Kl", NEAR_COPIES["cache notice appended"],
             "2025-07-10"),
            ("https://wire.example.com/call", "Lavrov and Rubio discuss prisoner swap",
             DIFFERENT["same people, other event"], "2025-08-02"),
        ):  # fmt: skip
            store.save_article(Article(url=url, canonical_url="", site="", title=title,
                                       text=text, published=published, language="en"))  # fmt: skip
    return path


@pytest.fixture(scope="module")
def datasette_url(news_db: Path) -> Iterator[str]:
    if find_spec("datasette") is None:
        pytest.skip("datasette is not installed (pip install -e '.[test]')")
    port = _free_port()
    command = [sys.executable, "-m", "datasette", "serve", str(news_db), "-m", str(METADATA),
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_until_listening(port, process, 30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def test_metadata_names_the_tables_and_canned_queries() -> None:
    metadata = json.loads(METADATA.read_text(encoding="utf-8"))
    news = metadata["databases"]["news"]
    assert news["tables"]["articles"]["facets"] == ["site", "language", {"date": "published"}]
    assert {"stories_with_most_copies", "articles_per_site_per_day"} <= set(news["queries"])


@needs_datasette
def test_json_api_returns_a_search_result(datasette_url: str) -> None:
    rows = _get_json(f"{datasette_url}/news/articles.json?_search=Subang&_shape=array")
    assert isinstance(rows, list)
    assert sorted(row["url"] for row in rows) == sorted([KL, MIRROR])


@needs_datasette
@pytest.mark.parametrize(("query", "expected"), [
    ("stories_with_most_copies.json?_shape=array", {"story": 1, "copies": 2, "sites": 2}),
    ("articles_per_site_per_day.json?_shape=array", {"site": "wire.example.com",
                                                     "day": "2025-08-02", "articles": 1}),
    ("search_stories.json?q=Yekaterinburg&_shape=array", {"copies": 1,
                                                         "url": "https://wire.example.com/call"}),
])  # fmt: skip
def test_canned_queries(datasette_url: str, query: str, expected: dict[str, object]) -> None:
    rows = _get_json(f"{datasette_url}/news/{query}")
    assert isinstance(rows, list) and rows
    assert expected.items() <= rows[0].items()


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("chromium is not installed (Debian package chromium, see .ci/apt-packages.txt)")


def _browse(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [
        _chromium(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", f"--user-data-dir={profile}", "--window-size=1280,1400", *extra, url,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)


def _png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (ValueError if it is not a PNG)."""
    header = path.read_bytes()[:24]
    if header[:8] != b"\x89PNG\r\n\x1a\n" or header[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG")
    width, height = struct.unpack(">II", header[16:24])
    return width, height


@needs_datasette
def test_chromium_renders_the_search_page(datasette_url: str, tmp_path: Path) -> None:
    page = f"{datasette_url}/news/articles?_search=Yekaterinburg"
    dom = _browse(page, tmp_path / "profile-dom", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert '1 row where search matches "Yekaterinburg"' in dom.stdout
    assert "Lavrov and Rubio discuss prisoner swap" in dom.stdout
    shot = tmp_path / "search.png"
    result = _browse(page, tmp_path / "profile-shot", f"--screenshot={shot}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert _png_size(shot) == (1280, 1400)
    assert shot.stat().st_size > 20_000  # a blank page is a few kB
