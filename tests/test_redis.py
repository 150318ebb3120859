"""Distributed crawl on a real redis-server: two crawler processes, one store worker.

Skipped with a reason when ``redis-server`` (Debian package redis-server, installed by .ci/run)
is not on PATH.
"""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner
from scrapy import Request
from scrapy.utils.request import request_from_dict

from crawler import redis_serializer
from crawler.cli import main
from crawler.distributed_frontier import PUSH_SCRIPT, REQUEUE_SCRIPT, TAKE_SCRIPT
from crawler.spiders.news import NewsSpider
from pipelines.store import Store
from tests.conftest import FAST, REPO
from tests.sites_generated import GeneratedSite, serve_generated

REDIS_SERVER = shutil.which("redis-server")
needs_redis = pytest.mark.skipif(
    REDIS_SERVER is None,
    reason="redis-server is not installed (Debian package redis-server; .ci/run installs it)",
)
QUICK = [*FAST, "-s", "NEWSARC_POOL_WORKERS=0", "-s", "NEWSARC_REDIS_IDLE_SECONDS=2",
         "-s", "NEWSARC_REDIS_LEASE_SECONDS=2"]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    assert REDIS_SERVER is not None
    port = _free_port()
    work = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(work), "--logfile", ""],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:  # the server says when it is ready
        if "Ready to accept connections" in line:
            break
    threading.Thread(target=process.stdout.read, daemon=True).start()  # keep the pipe drained
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def _crawler(site: GeneratedSite, redis_url: str, prefix: str, work: Path, name: str,
             *extra: str) -> subprocess.Popen[str]:  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", site.url, "--allow-private",
         "--redis", redis_url, "--db", str(work / f"{name}.db"), "--warc-dir", str(work / name),
         "-s", f"NEWSARC_REDIS_PREFIX={prefix}", *QUICK, *extra],
        cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _store_worker(redis_url: str, prefix: str, db: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "store-worker", "--redis", redis_url,
         "--db", str(db), "-s", f"NEWSARC_REDIS_PREFIX={prefix}", *QUICK],
        cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _finish(process: subprocess.Popen[str]) -> tuple[str, str]:
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err[-3000:]
    return out, err


def _fetched(warc_dir: Path) -> list[str]:
    """Target URIs of the response records of every WARC file in ``warc_dir``."""
    from warcio.archiveiterator import ArchiveIterator

    urls = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response":
                    urls.append(record.rec_headers.get_header("WARC-Target-URI"))
    return urls


def _stored(db: Path) -> Counter[str]:
    with Store(db) as store:
        return Counter(row[0] for row in store.db.execute("SELECT url FROM articles"))


def test_serializer_is_json_and_round_trips() -> None:
    spider = NewsSpider(url="http://a.example/")
    request = Request("http://a.example/x", method="POST", body=b"\x00\xffbody",
                      headers={"X-A": "1"}, callback=spider.parse_page,
                      meta={"newsarc_kind": "page", "redirect_urls": ["http://a.example/y"],
                            "odd": object()})  # fmt: skip
    data = redis_serializer.dumps(request.to_dict(spider=spider))
    assert data.startswith("{") and "__bytes__" in data
    again = request_from_dict(redis_serializer.loads(data.encode()), spider=spider)
    assert (again.url, again.method, again.body) == (request.url, "POST", b"\x00\xffbody")
    assert again.headers[b"X-A"] == b"1"
    assert again.callback == spider.parse_page
    assert again.meta["redirect_urls"] == ["http://a.example/y"] and again.meta["odd"] is None


def test_pickled_queue_entry_is_refused() -> None:
    with pytest.raises(ValueError):
        redis_serializer.loads(gzip.compress(b"not json"))


@pytest.mark.parametrize("command", ["crawl", "store-worker"])
def test_unreachable_redis_is_one_clear_line(command: str, tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{_free_port()}/0"
    args = ["http://127.0.0.1:9/", "--allow-private"] if command == "crawl" else []
    result = CliRunner().invoke(
        main, [command, *args, "--redis", url, "--db", str(tmp_path / "n.db")]
    )
    assert result.exit_code == 1
    assert f"cannot reach Redis at {url}" in result.output
    assert isinstance(result.exception, SystemExit)


@needs_redis
def test_push_take_and_requeue_scripts(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    push, take = client.register_script(PUSH_SCRIPT), client.register_script(TAKE_SCRIPT)
    keys = ["s:seen", "s:queue", "s:leases:w1"]
    assert push(keys=keys, args=["fp-a", -5, '{"priority":5,"url":"a"}', ""]) == 1
    assert push(keys=keys, args=["fp-a", 0, '{"url":"a again"}', ""]) == 0  # seen before
    assert take(keys=["s:queue", "s:leases:w1"], args=["lease-1"]) == b'{"priority":5,"url":"a"}'
    assert take(keys=["s:queue", "s:leases:w1"], args=["lease-2"]) is None
    # a retry (not filtered) replaces lease-1: queued and lease-1 ended in one step
    assert push(keys=keys, args=["", -5, '{"priority":5,"url":"a"}', "lease-1"]) == 1
    assert client.hlen("s:leases:w1") == 0 and client.zcard("s:queue") == 1


@needs_redis
@pytest.mark.parametrize("alive", [True, False])
def test_requeue_script_takes_back_only_a_silent_workers_leases(redis_url: str,
                                                                alive: bool) -> None:  # fmt: skip
    client = redis.Redis.from_url(redis_url)
    prefix = f"rq-{alive}"
    client.hset(f"{prefix}:leases:w2", mapping={"l1": '{"priority":3}', "l2": "not json"})
    if alive:
        client.set(f"{prefix}:workers:w2", "1", ex=30)
    requeue = client.register_script(REQUEUE_SCRIPT)
    keys = [f"{prefix}:leases:w2", f"{prefix}:queue", f"{prefix}:workers:w2"]
    assert requeue(keys=keys) == (0 if alive else 2)
    queued = client.zrange(f"{prefix}:queue", 0, -1, withscores=True)
    assert queued == ([] if alive else [(b'{"priority":3}', -3.0), (b"not json", 0.0)])
    assert client.exists(f"{prefix}:leases:w2") == int(alive)


@needs_redis
def test_two_workers_share_the_frontier(redis_url: str, tmp_path: Path) -> None:
    gate = threading.Event()
    # slow enough, and few requests in flight per worker, so that both take part: an idle worker
    # looks at the queue again at Scrapy's engine heartbeat (5 s)
    few = ["-s", "CONCURRENT_REQUESTS=2"]
    with serve_generated(articles=100, delay=0.1, gate=gate) as site:
        started = time.monotonic()
        workers = [_crawler(site, redis_url, "share", tmp_path, f"w{i}", *few) for i in (1, 2)]
        store = _store_worker(redis_url, "share", tmp_path / "news.db")
        _wait_for_heartbeats(redis_url, "share", 2, workers)
        gate.set()
        for process in [*workers, store]:
            _finish(process)
        seconds = time.monotonic() - started
    stored = _stored(tmp_path / "news.db")
    assert set(stored) == site.article_urls()
    assert set(stored.values()) == {1}
    per_worker = [_fetched(tmp_path / f"w{i}") for i in (1, 2)]
    # robots.txt is fetched by each worker's RobotsTxtMiddleware, outside the shared queue
    fetched = Counter(u for urls in per_worker for u in urls if not u.endswith("/robots.txt"))
    assert [u for u, n in fetched.items() if n > 1] == []
    articles = site.article_urls()
    shares = [len(articles & set(urls)) for urls in per_worker]
    assert sum(shares) == len(articles)
    assert min(shares) >= len(articles) // 10, shares
    print(f"2 workers: {len(fetched)} pages in {seconds:.1f} s, shares {shares}")


@needs_redis
@pytest.mark.parametrize("other", ["idle", "crawling"])
def test_killed_worker_leaves_the_frontier_to_the_other(
    other: str, redis_url: str, tmp_path: Path
) -> None:
    # "idle": the site holds its answers, so the victim is killed holding the start requests
    # while the other has nothing to do; "crawling": killed mid-crawl while both crawl (a slow
    # site and two requests at a time keep the victim busy for seconds)
    gate = threading.Event()
    if other == "crawling":
        gate.set()
    prefix = f"kill-{other}"
    slow = ["-s", "CONCURRENT_REQUESTS=2"]
    with serve_generated(articles=200, delay=0.1, gate=gate) as site:
        victim = _crawler(site, redis_url, prefix, tmp_path, "victim", *slow)
        store = _store_worker(redis_url, prefix, tmp_path / "news.db")
        _wait_for_leases(redis_url, prefix, victim)
        survivor = _crawler(site, redis_url, prefix, tmp_path, "survivor", *slow)
        _wait_for_heartbeats(redis_url, prefix, 2, [victim, survivor])
        _wait_for_leases(redis_url, prefix, victim)  # killed holding requests
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        gate.set()
        out, err = _finish(survivor)
        _finish(store)
    stored = _stored(tmp_path / "news.db")
    assert set(stored) == site.article_urls()
    assert set(stored.values()) == {1}
    assert "leased request(s) re-queued" in err
    assert "items queued to Redis" in out and "articles stored" not in out
    client = redis.Redis.from_url(redis_url)
    # the frontier is finished: nothing queued, nothing leased (the victim's leases re-queued)
    assert client.zcard(f"{prefix}:requests") == 0
    assert list(client.scan_iter(match=f"{prefix}:leases:*")) == []


def _wait_for_leases(url: str, prefix: str, worker: subprocess.Popen[str]) -> None:
    """Until ``worker`` holds leased requests (it is crawling)."""
    client = redis.Redis.from_url(url)
    key = f"{prefix}:leases:{socket.gethostname()}-{worker.pid}"
    deadline = time.monotonic() + 120
    while client.hlen(key) == 0:
        assert worker.poll() is None, "the crawler exited before it took a request"
        assert time.monotonic() < deadline, "the crawler took no request within 120 s"
        time.sleep(0.05)  # polling a condition in Redis, not guessing readiness


def _wait_for_heartbeats(url: str, prefix: str, count: int,
                         workers: list[subprocess.Popen[str]]) -> None:  # fmt: skip
    """Until ``count`` crawlers have opened their scheduler (their heartbeat keys in Redis)."""
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 120
    while len(list(client.scan_iter(match=f"{prefix}:workers:*"))) < count:
        assert all(w.poll() is None for w in workers), "a crawler exited before it started"
        assert time.monotonic() < deadline, "crawlers did not start within 120 s"
        time.sleep(0.1)  # polling a condition in Redis, not guessing readiness
