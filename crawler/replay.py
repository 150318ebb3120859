"""Replay: archived responses from WARC/ARC files (ours or foreign) fed through the same chain.

The same Page gives the same Article whether it comes from the live crawl or from here, so
replaying a crawl's WARC files into an empty database reproduces that crawl's articles.
Extraction runs in worker processes (``pipelines.pool``); the results are finished (dedup,
store) in this process in record order, in batched transactions that also record how far
each file got (:mod:`crawler.replay_state`), so a re-run resumes and never stores twice.
Revisit records are resolved to the original payload when it was read earlier in the input.
"""

from __future__ import annotations

import fnmatch
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from archive.reader import ArchivedResponse, ReadProblem, iter_responses, read_record_at
from crawler.replay_state import FileProgress, ReplayState
from pipelines.chain import Chain
from pipelines.items import Page
from pipelines.pool import Extracted, ExtractionPool
from pipelines.scrapy_adapter import BatchConfig

logger = logging.getLogger(__name__)

__all__ = ["ReplayFilters", "ReplayReport", "Replayer", "page_from_archive"]

BATCH_RECORDS = BatchConfig.size
BATCH_SECONDS = BatchConfig.seconds
"""A replay commits by the crawl's default rule (``NEWSARC_STORE_BATCH_*``)."""
CHUNK_PAGES = 4
"""Pages handed to a worker in one task (see ``ExtractionPool.submit_many``)."""


@dataclass(frozen=True)
class ReplayFilters:
    """Which records to replay: URL glob, WARC-Date range (ISO 8601 prefixes), site."""

    url_glob: str | None = None
    since: str | None = None
    until: str | None = None
    site: str | None = None

    def reason(self, record: ArchivedResponse) -> str | None:
        """Why ``record`` is filtered out, or None to keep it."""
        if self.url_glob and not fnmatch.fnmatchcase(record.url, self.url_glob):
            return "filtered-url"
        if self.since and record.date[: len(self.since)] < self.since:
            return "filtered-date"
        if self.until and record.date[: len(self.until)] > self.until:
            return "filtered-date"
        if self.site:
            host = (urlsplit(record.url).hostname or "").removeprefix("www.")
            site = self.site.lower().removeprefix("www.")
            if host != site and not host.endswith("." + site):
                return "filtered-site"
        return None


@dataclass
class ReplayReport:
    """Figures of one replay run: records read, skipped (by reason), problems, input bytes."""

    files: int = 0
    records: int = 0
    bytes_read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[ReadProblem] = field(default_factory=list)
    interrupted: bool = False


def page_from_archive(record: ArchivedResponse, crawl_id: str | None) -> Page:
    """The Page of an archived response; headers joined as the crawler joins them."""
    headers: dict[str, str] = {}
    for name, value in record.headers:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return Page(
        url=record.url,
        final_url=record.url,
        status=record.status,
        headers=headers,
        body=record.body,
        fetched_at=record.date,
        warc_file=record.warc_file,
        warc_offset=record.offset,
        warc_length=record.length,
        crawl_id=crawl_id,
    )


def is_html(record: ArchivedResponse) -> bool:
    """HTML by Content-Type, or by its first bytes when there is no Content-Type."""
    types = [v.lower() for k, v in record.headers if k.lower() == "content-type"]
    if types:
        return any("html" in value for value in types)
    head = record.body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


@dataclass
class _Pending:
    """A record in flight, finished in record order."""

    key: str
    offset: int
    record: ArchivedResponse | None
    page: Page | None
    future: Future[Extracted] | None
    generation: int = 0
    """The pool generation it was submitted under (see ``ExtractionPool.restart``)."""


class _Originals:
    """Where the payloads read so far are, for resolving revisit records (WARC 1.1 6.7)."""

    def __init__(self) -> None:
        self._by_id: dict[str, tuple[Path, int]] = {}
        self._by_capture: dict[tuple[str, str], tuple[Path, int]] = {}
        self._by_digest: dict[str, tuple[Path, int]] = {}

    def add(self, path: Path, record: ArchivedResponse) -> None:
        place = (path, record.offset)
        if record.record_id:
            self._by_id.setdefault(record.record_id, place)
        self._by_capture.setdefault((record.url, record.date), place)
        if record.payload_digest:
            self._by_digest.setdefault(record.payload_digest, place)

    def resolve(self, revisit: ArchivedResponse) -> ArchivedResponse | None:
        """The revisit as a full response (its URL, date and place; the original's content)."""
        place = (
            self._by_id.get(revisit.refers_to or "")
            or self._by_capture.get((revisit.refers_to_uri or "", revisit.refers_to_date or ""))
            or self._by_digest.get(revisit.payload_digest or "")
        )
        original = read_record_at(*place) if place else None
        if original is None or original.record_type != "response":
            return None
        return ArchivedResponse(
            url=revisit.url,
            status=original.status if revisit.status == 304 else revisit.status,
            headers=original.headers,
            body=original.body,
            date=revisit.date,
            warc_file=original.warc_file,  # provenance: the record holding the bytes
            offset=original.offset,
            length=original.length,
            ip_address=revisit.ip_address,
            record_id=original.record_id,
            payload_digest=original.payload_digest,
        )


class Replayer:
    """Runs files through extraction (pool) and the chain (here); see the module docstring."""

    def __init__(
        self,
        chain: Chain,
        pool: ExtractionPool,
        filters: ReplayFilters,
        crawl_id: str | None,
        progress: Callable[[ReplayReport], None] | None = None,
    ) -> None:
        self.chain = chain
        self.pool = pool
        self.filters = filters
        self.crawl_id = crawl_id
        self.state = ReplayState(chain.store, crawl_id)
        self.progress = progress
        self.report = ReplayReport()
        self._originals = _Originals()
        self._queue: deque[_Pending] = deque()
        self._unsent: list[_Pending] = []
        workers = max(1, pool.config.workers)
        self._in_flight = max(pool.config.pending_limit, 3 * CHUNK_PAGES * workers)
        """Records read ahead: enough for every worker to have a chunk queued behind the one
        it works on."""
        self._last_tick = time.monotonic()
        self._batch: ExitStack | None = None
        self._batch_started = 0.0
        self._batch_records = 0
        self._done: dict[str, tuple[int, int]] = {}
        self._base_bytes = 0
        self.engine = "auto"

    def run(self, paths: Sequence[Path]) -> ReplayReport:
        """Replay ``paths`` in order; KeyboardInterrupt stops cleanly (re-run to continue)."""
        try:
            for path in paths:
                self._replay_file(path)
        except KeyboardInterrupt:
            self._rollback()
            self.report.interrupted = True
        return self.report

    def _replay_file(self, path: Path) -> None:
        self.report.files += 1
        try:
            progress = self.state.progress(path)
        except OSError as exc:
            self.report.problems.append(ReadProblem(path.name, None, f"cannot open file: {exc}"))
            return
        if progress.finished:
            self.report.skipped["already-replayed-file"] += 1
            self._base_bytes += path.stat().st_size
            return
        for record in iter_responses(
            path, self.report.problems.append, revisits=True, engine=self.engine
        ):
            self._take(path, progress, record)
        self._drain(0)
        self._commit()
        self.state.finish(progress.key)
        self._base_bytes += path.stat().st_size
        self.report.bytes_read = self._base_bytes

    def _take(self, path: Path, progress: FileProgress, record: ArchivedResponse) -> None:
        self.report.records += 1
        self.report.bytes_read = self._base_bytes + record.offset + record.length
        if record.record_type == "response":
            self._originals.add(path, record)
        if record.offset < progress.next_offset:
            self.report.skipped["done-before"] += 1
            return
        page, used = self._page(record)
        item = _Pending(progress.key, record.offset, used, page, None)
        self._queue.append(item)
        if page is not None:
            self._unsent.append(item)
            if len(self._unsent) >= CHUNK_PAGES:
                self._send()
        self._drain(self._in_flight)

    def _send(self) -> None:
        """Hand the pages read so far to the pool, in one task."""
        if not self._unsent:
            return
        generation = self.pool.generation
        futures = self.pool.submit_many([item.page for item in self._unsent if item.page])
        for item, future in zip(self._unsent, futures, strict=True):
            item.future, item.generation = future, generation
        self._unsent = []

    def _page(self, record: ArchivedResponse) -> tuple[Page | None, ArchivedResponse]:
        """The Page to extract and the record it comes from (a revisit's original), or None
        and the reason counted in ``report.skipped``."""
        reason = self.filters.reason(record)
        if reason is None and record.record_type == "revisit":
            resolved = self._originals.resolve(record)
            if resolved is None:
                reason = "revisit-unresolved"
            else:
                record = resolved
        if reason is None and record.status != 200:
            reason = "not-200"
        if reason is None and not is_html(record):
            reason = "not-html"
        if reason is not None:
            self.report.skipped[reason] += 1
            return None, record
        return page_from_archive(record, self.crawl_id), record

    def _drain(self, keep: int) -> None:
        """Finish records in record order until ``keep`` remain in flight.

        Finished records go into one open transaction with their files' progress, committed
        every BATCH_RECORDS records or BATCH_SECONDS (and at the end of each file).
        """
        while len(self._queue) > keep:
            item = self._queue.popleft()
            if item.page is not None and item.future is None:
                self._send()
            if self._batch is None:
                self._batch = ExitStack()
                self._batch.enter_context(self.chain.store.transaction())
                self._batch_started = time.monotonic()
            self._finish(item)
            offset, count = self._done.get(item.key, (0, 0))
            self._done[item.key] = (max(offset, item.offset + 1), count + 1)
            self._batch_records += 1
            full = self._batch_records >= BATCH_RECORDS
            if full or time.monotonic() - self._batch_started >= BATCH_SECONDS:
                self._commit()
        self._tick()

    def _commit(self) -> None:
        """Record the progress of the open batch and commit it."""
        if self._batch is None:
            return
        for key, (next_offset, count) in self._done.items():
            self.state.advance(key, next_offset, count)
        batch, self._batch = self._batch, None
        self._done, self._batch_records = {}, 0
        batch.close()

    def _rollback(self) -> None:
        """Interrupted: the open batch (pages and progress) is rolled back, to be redone."""
        batch, self._batch = self._batch, None
        self._done, self._batch_records = {}, 0
        if batch is not None:
            batch.__exit__(KeyboardInterrupt, KeyboardInterrupt(), None)

    def _finish(self, item: _Pending) -> None:
        if item.page is None or item.future is None:
            return
        try:
            extracted = item.future.result()
        except BrokenProcessPool:  # a worker died: this page and the others in flight retry
            self.pool.restart(item.generation)
            extracted = self.pool.extract(item.page)
        outcome = self.chain.finish(item.page, extracted)
        record = item.record
        if outcome.article_id is not None and record is not None and item.page.warc_file:
            location = (item.page.warc_file, item.page.warc_offset or 0)
            ids = (record.record_id, record.payload_digest)
            self.state.link_record(outcome.article_id, location, ids)

    def _tick(self) -> None:
        now = time.monotonic()
        if self.progress is not None and now - self._last_tick >= 1.0:
            self._last_tick = now
            self.progress(self.report)
