"""The extraction pool: same results as inline extraction, and it survives a dead worker."""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool

import pytest

from pipelines.chain import extract_step
from pipelines.errors import PageSkipped
from pipelines.extract import ExtractConfig
from pipelines.items import Article, Page
from pipelines.pool import ExtractionPool, PoolConfig

BODY = (
    "<html lang='en'><head><title>Harbour works resume</title>"
    "<meta property='og:type' content='article'></head><body><article><h1>Harbour works resume</h1>"
    + "".join(
        f"<p>Paragraph {i}: the harbour authority said dredging would resume on Monday "
        f"after a pause of {i} weeks, with crews working in two shifts.</p>"
        for i in range(8)
    )
    + "</article></body></html>"
).encode()


def _page(body: bytes, url: str = "http://news.example/news/2025/07/harbour.html") -> Page:
    return Page(
        url=url,
        final_url=url,
        status=200,
        headers={"content-type": "text/html; charset=utf-8"},
        body=body,
        fetched_at="2025-07-10T08:00:00Z",
    )


def test_worker_results_equal_inline_results() -> None:
    config = ExtractConfig()
    with ExtractionPool(PoolConfig(workers=1), config) as pool:
        pooled = pool.submit(_page(BODY)).result(timeout=120)
        short = pool.submit(_page(b"<html><body><p>Too short.</p></body></html>")).result(
            timeout=60
        )
    inline = extract_step(_page(BODY), config)
    assert isinstance(pooled, Article) and isinstance(inline, Article)
    assert (pooled.title, pooled.text) == (inline.title, inline.text)
    assert isinstance(short, PageSkipped)


def test_restart_after_a_worker_dies() -> None:
    with ExtractionPool(PoolConfig(workers=1), ExtractConfig()) as pool:
        assert pool.submit(_page(BODY)).result(timeout=120) is not None
        executor = pool._executor
        assert executor is not None
        for process in list(executor._processes.values()):  # kill the worker from outside
            process.kill()
        with pytest.raises(BrokenProcessPool):
            pool.submit(_page(BODY)).result(timeout=60)
        pool.restart()
        assert isinstance(pool.submit(_page(BODY)).result(timeout=120), Article)
        assert pool.restarts == 1


def test_pages_in_flight_when_a_worker_dies_cause_one_restart() -> None:
    with ExtractionPool(PoolConfig(workers=1), ExtractConfig()) as pool:
        assert pool.submit(_page(BODY)).result(timeout=120) is not None
        generation = pool.generation
        futures = [pool.submit(_page(BODY)) for _ in range(3)]
        assert pool._executor is not None
        for process in list(pool._executor._processes.values()):
            process.kill()
        for future in futures:
            with pytest.raises(BrokenProcessPool):
                future.result(timeout=60)
        assert [pool.restart(generation) for _ in futures] == [True, False, False]
        assert pool.restarts == 1 and pool.generation == generation + 1
        assert isinstance(pool.extract(_page(BODY)), Article)


def test_pages_handed_over_in_one_task_get_their_own_results() -> None:
    short = _page(b"<html><body><p>Too short.</p></body></html>", url="http://news.example/s")
    with ExtractionPool(PoolConfig(workers=1), ExtractConfig()) as pool:
        results = [
            f.result(timeout=120) for f in pool.submit_many([_page(BODY), short, _page(BODY)])
        ]
    assert isinstance(results[0], Article) and isinstance(results[2], Article)
    assert isinstance(results[1], PageSkipped)
    assert results[0].text == results[2].text == extract_step(_page(BODY), ExtractConfig()).text


def test_a_pool_known_to_be_broken_fails_the_future_not_the_submission() -> None:
    with ExtractionPool(PoolConfig(workers=1), ExtractConfig()) as pool:
        assert pool.submit(_page(BODY)).result(timeout=120) is not None
        assert pool._executor is not None
        for process in list(pool._executor._processes.values()):
            process.kill()
        with pytest.raises(BrokenProcessPool):
            pool.submit(_page(BODY)).result(timeout=60)  # the death is noticed by now
        later = [pool.submit(_page(BODY)), *pool.submit_many([_page(BODY), _page(BODY)])]
        for future in later:
            with pytest.raises(BrokenProcessPool):
                future.result(timeout=60)


def test_pages_queued_when_the_pool_restarts_fail_instead_of_hanging() -> None:
    """A restart shuts the old executor down and cancels its queued tasks: the futures of
    their pages must fail with BrokenProcessPool (so the caller retries), never wait forever."""
    with ExtractionPool(PoolConfig(workers=1), ExtractConfig()) as pool:
        futures = [f for _ in range(30) for f in pool.submit_many([_page(BODY), _page(BODY)])]
        assert pool.restart()
        outcomes = []
        for future in futures:
            try:
                outcomes.append(type(future.result(timeout=120)).__name__)
            except BrokenProcessPool:
                outcomes.append("broken")
        assert "broken" in outcomes and set(outcomes) <= {"Article", "broken"}
        assert isinstance(pool.submit(_page(BODY)).result(timeout=120), Article)
