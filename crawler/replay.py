"""Replay: archived responses from WARC/ARC files (ours or foreign) fed through the same chain.

The same Page gives the same Article whether it comes from the live crawl or from here, so
replaying a crawl's WARC files into an empty database reproduces that crawl's articles.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from archive.reader import ArchivedResponse, ReadProblem, iter_responses
from pipelines.chain import Chain
from pipelines.items import Page

logger = logging.getLogger(__name__)


@dataclass
class ReplayReport:
    """Figures of one replay run."""

    files: int = 0
    records: int = 0
    skipped_status: int = 0
    problems: list[ReadProblem] = field(default_factory=list)


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


def replay_files(
    paths: Sequence[Path],
    chain: Chain,
    crawl_id: str | None,
    progress: Callable[[Path, int], None] | None = None,
) -> ReplayReport:
    """Feed every 200 response of ``paths`` to ``chain``; damaged records are reported, not fatal."""
    report = ReplayReport()
    for path in paths:
        report.files += 1
        for record in iter_responses(path, report.problems.append):
            report.records += 1
            if record.status != 200:
                report.skipped_status += 1
                continue
            chain.process(page_from_archive(record, crawl_id))
        if progress is not None:
            progress(path, report.records)
    return report
