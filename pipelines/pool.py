"""Extraction off the reactor: a pool of worker processes running ``chain.extract_step``.

Trafilatura costs tens of milliseconds of CPU per page; run in the crawl's own thread it would
stall every download while it parses. Workers receive the ``Page`` dataclass (URL, headers and
body bytes — no Scrapy objects) and send back an ``Article``, a ``PageSkipped`` or None.
With ``workers == 0`` extraction runs inline (for debugging and for tiny jobs).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Mapping
from concurrent.futures import Future, InvalidStateError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from pipelines.chain import extract_step
from pipelines.errors import ExtractionCrashed, PageSkipped
from pipelines.extract import ExtractConfig
from pipelines.items import Article, Page

logger = logging.getLogger(__name__)

Extracted = Article | PageSkipped | None

_worker_config: ExtractConfig | None = None


def _int_setting(settings: Mapping[str, Any], name: str, default: int, minimum: int) -> int:
    raw = settings.get(name, default)
    try:
        value = int(raw if raw not in (None, "") else default)
    except (TypeError, ValueError):
        raise ValueError(f"invalid {name}={raw!r}: expected an integer") from None
    if value < minimum:
        raise ValueError(f"invalid {name}={raw!r}: must be >= {minimum}")
    return value


@dataclass(frozen=True)
class PoolConfig:
    """``NEWSARC_POOL_WORKERS`` (0: inline; -1, the default: one per core but one, at least one —
    the crawl process needs a core of its own: measured on 2 cores, 2 workers gave 34 pages/s
    and 1 worker 47) and ``NEWSARC_POOL_MAX_PENDING`` (pages in flight before the crawl slows)."""

    workers: int = os.cpu_count() or 1
    max_pending: int = 0

    @property
    def pending_limit(self) -> int:
        return self.max_pending or max(4, 4 * self.workers)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> PoolConfig:
        cores = os.cpu_count() or 1
        workers = _int_setting(settings, "NEWSARC_POOL_WORKERS", -1, -1)
        return cls(
            workers=max(1, cores - 1) if workers < 0 else workers,
            max_pending=_int_setting(settings, "NEWSARC_POOL_MAX_PENDING", 0, 0),
        )


def _init_worker(config: ExtractConfig) -> None:
    global _worker_config  # per-process state of a worker process, set once when it starts
    _worker_config = config


def _run_many(pages: list[Page]) -> list[Extracted]:
    assert _worker_config is not None  # set by _init_worker
    return [extract_step(page, _worker_config) for page in pages]


def _settle(future: Future[Extracted], result: Extracted, error: BaseException | None) -> None:
    """Resolve ``future`` unless a broken pool's broadcast has already failed it."""
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
    except InvalidStateError:
        pass


class ExtractionPool:
    """Runs ``extract_step`` in worker processes; ``submit`` returns a Future."""

    def __init__(self, config: PoolConfig, extract_config: ExtractConfig) -> None:
        self.config = config
        self.extract_config = extract_config
        self._executor: ProcessPoolExecutor | None = None
        self.restarts = 0
        self._lock = threading.Lock()
        self._waiting: set[Future[Extracted]] = set()
        self._broken: BaseException | None = None
        self.generation = 0
        """Bumped at each restart: a caller whose future failed passes the generation it
        submitted under to :meth:`restart`, so that several pages in flight when one worker
        died cause one restart, not one each (which would kill the retries of the others)."""
        if config.workers > 0:
            self._executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.config.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self.extract_config,),
        )

    def restart(self, generation: int | None = None) -> bool:
        """Replace a broken pool (a worker died: out of memory, a crash in a C library).

        ``generation``: the :attr:`generation` the failed page was submitted under; when the
        pool was already replaced since then, nothing is done. Returns whether it restarted.
        """
        if generation is not None and generation != self.generation:
            return False
        self._broadcast(BrokenProcessPool("the pool was restarted"), self.generation)
        with self._lock:
            self.generation += 1
            self._broken = None
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._start()
            self.restarts += 1
            logger.warning("extraction worker died; pool restarted (%d so far)", self.restarts)
        return True

    def extract(self, page: Page) -> Extracted:
        """Extract ``page`` and wait for it; a dead worker restarts the pool and the page is
        tried once more, then it is given up as :class:`ExtractionCrashed`."""
        generation = self.generation
        try:
            return self.submit(page).result()
        except BrokenProcessPool as exc:
            self.restart(generation)
            return ExtractionCrashed(page.final_url, str(exc) or "worker process died")

    def submit(self, page: Page) -> Future[Extracted]:
        """Extract ``page`` in a worker (or inline when the pool has no workers). A dead worker
        shows as BrokenProcessPool from the future's ``result()``, never from here."""
        if self._executor is None:
            future: Future[Extracted] = Future()
            future.set_result(extract_step(page, self.extract_config))
            return future
        return self._dispatch([page])[0]

    def submit_many(self, pages: list[Page]) -> list[Future[Extracted]]:
        """Extract ``pages`` in one worker task; one Future per page. Handing pages over one
        by one costs the submitting process ~260 us of CPU each (measured with 80 KB pages),
        four at a time ~60 us: what a replay, whose main process is its bottleneck, saves."""
        if self._executor is None:
            return [self.submit(page) for page in pages]
        return self._dispatch(pages) if pages else []

    def _dispatch(self, pages: list[Page]) -> list[Future[Extracted]]:
        """Submit ``pages`` as one task; the returned futures are the pool's own.

        They are registered as waiting before the task is submitted: when a worker dies, the
        first failed task fails every waiting future of that executor (:meth:`_broadcast`), so
        none is left hanging — CPython 3.11's executor can miss a task submitted while it
        notices the death, and cancels the queued ones when a restart shuts it down.
        """
        assert self._executor is not None
        futures: list[Future[Extracted]] = [Future() for _ in pages]
        generation = self.generation
        with self._lock:
            error = self._broken
            if error is None:
                self._waiting.update(futures)
        if error is None:
            try:
                task = self._executor.submit(_run_many, pages)
            except BrokenProcessPool as exc:  # a death already noticed: fail like the others
                self._broadcast(exc, generation)
                error = exc
        if error is not None:
            for future in futures:
                _settle(future, None, error)
            return futures
        task.add_done_callback(lambda done: self._deliver(done, futures, generation))
        return futures

    def _deliver(
        self, task: Future[list[Extracted]], futures: list[Future[Extracted]], generation: int
    ) -> None:
        """Hand a task's results (or its error) to the futures of its pages."""
        error: BaseException | None
        if task.cancelled():  # queued when a restart shut the old executor down
            error = BrokenProcessPool("the pool was restarted before this page ran")
        else:
            error = task.exception()
        if isinstance(error, BrokenProcessPool):
            self._broadcast(error, generation)
        with self._lock:
            self._waiting.difference_update(futures)
        results: list[Extracted] = [None] * len(futures) if error else task.result()
        for future, result in zip(futures, results, strict=True):
            _settle(future, result, error)

    def _broadcast(self, error: BaseException, generation: int) -> None:
        """The executor of ``generation`` is broken: fail every future still waiting on it."""
        with self._lock:
            if generation != self.generation or self._broken is not None:
                return
            self._broken = error
            waiting, self._waiting = self._waiting, set()
        for future in waiting:
            _settle(future, None, error)

    def close(self) -> None:
        """Wait for the pages in flight and stop the workers."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=False)
            self._executor = None

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
