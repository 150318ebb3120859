"""Shared fixtures: the demo sites on loopback, one real crawl of them, the shared corpus."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawler.demo.server import DemoSites, serve_demo_sites

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``shared`` need ../shared/ (the development corpus): skip them without it."""
    if SHARED.is_dir():
        return
    skip = pytest.mark.skip(
        reason=f"development corpus {SHARED} is absent (it ships beside the repo, not in it)"
    )
    for item in items:
        if "shared" in item.keywords:
            item.add_marker(skip)


def run_newsarc(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a fresh process (Twisted's reactor runs once per process)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=cwd or REPO,
        env=env,
        check=False,
    )


@dataclass(frozen=True)
class CrawlResult:
    sites: DemoSites
    db: Path
    warc_dir: Path
    process: subprocess.CompletedProcess[str]


@pytest.fixture(scope="session")
def demo_sites() -> Iterator[DemoSites]:
    with serve_demo_sites() as sites:
        yield sites


@pytest.fixture(scope="session")
def demo_crawl(demo_sites: DemoSites, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    """One real crawl of the demo sites, shared by the end-to-end tests."""
    base = tmp_path_factory.mktemp("crawl")
    db, warcs = base / "news.db", base / "warcs"
    process = run_newsarc(
        "crawl",
        demo_sites.portal_url,
        demo_sites.mirror_url,
        "--allow-private",
        "--depth",
        "3",
        "--db",
        str(db),
        "--warc-dir",
        str(warcs),
        *FAST,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    return CrawlResult(demo_sites, db, warcs, process)
