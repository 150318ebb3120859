"""Scrapyd: a real server on 127.0.0.1 with a password, the egg built by scrapyd-client, a
scheduled run dispatched to it by the scheduler, and the articles in the store.

Skipped with a reason when scrapyd or scrapyd-client is not installed (the ``test`` extra).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.demo.server import DemoSites
from crawler.schedule_daemon import Scheduler
from crawler.schedule_scrapyd import ScrapydClient, ScrapydError, ScrapydLauncher
from crawler.schedule_store import CrawlArgs, ScheduleStore
from pipelines.store import Store
from tests.conftest import REPO

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("scrapyd") is None or shutil.which("scrapyd-deploy") is None,
    reason="scrapyd and scrapyd-client are not installed (pip install -e '.[test]')",
)
USER, PASSWORD = "newsarc", "s3cret-for-tests"
PROJECT_FILES = ("crawler", "pipelines", "archive", "scrapy.cfg", "setup.py", "pyproject.toml",
                 "README.md")  # fmt: skip
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _build_egg(work: Path) -> Path:
    """The project egg, built by ``scrapyd-deploy --build-egg`` in a copy of the checkout."""
    project = work / "project"
    project.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=ignore)
        else:
            shutil.copy(source, project / name)
    egg = work / "newsarc.egg"
    subprocess.run([shutil.which("scrapyd-deploy") or "scrapyd-deploy", "--build-egg", str(egg)],
                   cwd=project, check=True, capture_output=True, timeout=120)  # fmt: skip
    return egg


def _upload(base: str, egg: Path) -> None:
    boundary = "newsarc-egg-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="project"\r\n\r\nnewsarc\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="version"\r\n\r\n1\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="egg"; filename="newsarc.egg"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n",
    ]
    body = "".join(parts).encode() + egg.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"{base}/addversion.json", data=body)
    request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    client = ScrapydClient(base.replace("http://", f"http://{USER}:{PASSWORD}@"))
    request.add_header("Authorization", f"Basic {client.auth}")
    with urllib.request.urlopen(request, timeout=60) as response:
        assert b'"ok"' in response.read()


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Scrapyd on 127.0.0.1 with username and password and newsarc deployed; yields its URL."""
    work = tmp_path_factory.mktemp("scrapyd")
    egg = _build_egg(work)
    port = _free_port()
    (work / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\nusername = {USER}\n"
        f"password = {PASSWORD}\npoll_interval = 0.2\neggs_dir = {work / 'eggs'}\n"
        f"logs_dir = {work / 'logs'}\ndbs_dir = {work / 'dbs'}\n",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "scrapyd", "--nodaemon", "--pidfile=", "--logfile=-"],
        cwd=work, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:  # Scrapyd says when it listens
        if "Site starting on" in line:
            break
    threading.Thread(target=process.stdout.read, daemon=True).start()  # keep the pipe drained
    base = f"http://127.0.0.1:{port}"
    _upload(base, egg)
    yield base
    process.terminate()
    process.wait(timeout=20)


def test_scrapyd_refuses_calls_without_password(scrapyd: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{scrapyd}/daemonstatus.json", timeout=10)
    assert error.value.code == 401
    with pytest.raises(ScrapydError, match=r"schedule\.json"):
        ScrapydClient(scrapyd).schedule("x", {}, {})


def test_schedule_dispatched_to_scrapyd(
    scrapyd: str, demo_sites: DemoSites, tmp_path: Path
) -> None:
    db = tmp_path / "news.db"
    url = scrapyd.replace("http://", f"http://{USER}:{PASSWORD}@")
    args = CrawlArgs(
        urls=[demo_sites.portal_url], warc_dir=str(tmp_path / "warcs"), depth=3,
        allow_private=True,
        overrides={"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0",
                   "NEWSARC_POOL_WORKERS": "0"},
    )  # fmt: skip
    with Store(db) as store:
        schedules = ScheduleStore(store)
        schedules.add("remote", "*/10 * * * *", "UTC", args, T0, scrapyd=url)
        scheduler = Scheduler(schedules, lambda s: ScrapydLauncher(url, db, schedules.status_of))
        started = scheduler.tick(T0 + timedelta(minutes=10))
        assert [e.kind for e in started] == ["started"]
        finished = scheduler.wait(timeout=120)
        run = schedules.runs("remote")[0]
        articles = store.db.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert [e.kind for e in finished] == ["finished"]
    assert run.scrapyd_job == run.crawl_id
    assert (run.status, run.exit_status) == ("finished", 0)
    assert run.count("newsarc/chain/new") > 3
    assert articles == run.count("newsarc/chain/new") + run.count(
        "newsarc/chain/exact-duplicate") + run.count("newsarc/chain/near-duplicate")  # fmt: skip
    assert list((tmp_path / "warcs").glob("*.warc.gz"))
