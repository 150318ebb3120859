"""Provenance both ways: from an article row to its archived HTTP response, and back again.

``raw_response`` returns the bytes of the archived HTTP message an article was extracted
from (``newsarc show ID --raw`` prints them); ``reextract`` runs extraction again from that
record — no network — and updates only the rows whose output changed, with the
``extractor_version`` that produced them.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from archive.rawrecord import RawRecordError, http_message_at
from archive.reader import read_record_at
from crawler.clitools import DB_OPTION, open_store
from crawler.replay import page_from_archive
from pipelines.chain import extract_step
from pipelines.extract import ExtractConfig
from pipelines.items import Article
from pipelines.store import Store

logger = logging.getLogger(__name__)

__all__ = ["ProvenanceError", "raw_response", "reextract", "reextract_article"]

_COMPARED = (
    "title", "text", "author", "published", "language", "site_name", "description",
    "source_url",
)  # fmt: skip


class ProvenanceError(Exception):
    """An article's archived record cannot be found or read (the message says which)."""


def _article_row(store: Store, article_id: int) -> dict[str, Any]:
    row = next(iter(store.db.query("SELECT * FROM articles WHERE id = ?", [article_id])), None)
    if row is None:
        raise ProvenanceError(f"no article with id {article_id}")
    return dict(row)


def _warc_path(row: dict[str, Any], warc_dirs: Sequence[Path]) -> Path:
    name = row.get("warc_file")
    if not name:
        raise ProvenanceError(f"article {row['id']} has no WARC record (stored without archive)")
    for directory in warc_dirs:
        for candidate in (directory / name, directory / f"{name}.open"):
            if candidate.is_file():
                return candidate
    dirs = ", ".join(str(d) for d in warc_dirs)
    raise ProvenanceError(f"article {row['id']}: {name} not found in {dirs} (pass --warc-dir)")


def raw_response(store: Store, article_id: int, warc_dirs: Sequence[Path]) -> bytes:
    """The archived HTTP response of an article: status line, headers and body as sent.

    A ``revisit`` record holds only the headers of the answer (its body is the earlier
    capture named in ``WARC-Refers-To``); it is returned as it is.
    """
    row = _article_row(store, article_id)
    path = _warc_path(row, warc_dirs)
    try:
        return http_message_at(path, int(row["warc_offset"] or 0))
    except RawRecordError as exc:
        raise ProvenanceError(f"article {article_id}: {exc}") from exc


@dataclass(frozen=True)
class Reextracted:
    """What reextract did with one article: outcome is updated, unchanged or skipped."""

    article_id: int
    outcome: str
    detail: str = ""


def _changed(row: dict[str, Any], article: Article) -> list[str]:
    changed = [
        name for name in _COMPARED if (row.get(name) or None) != (getattr(article, name) or None)
    ]
    if json.loads(row.get("tags") or "[]") != list(article.tags):
        changed.append("tags")
    return changed


def reextract_article(
    store: Store, article_id: int, warc_dirs: Sequence[Path], config: ExtractConfig
) -> Reextracted:
    """Extract one article again from its archived record; update the row if the output changed."""
    row = _article_row(store, article_id)
    path = _warc_path(row, warc_dirs)
    problems: list[str] = []
    record = read_record_at(
        path, int(row["warc_offset"] or 0), lambda p: problems.append(p.message)
    )
    if record is None or record.record_type != "response":
        reason = "; ".join(problems) or "record is a revisit (no body)"
        return Reextracted(article_id, "skipped", reason)
    page = page_from_archive(record, row.get("crawl_id"))
    result = extract_step(page, config)
    if not isinstance(result, Article):
        return Reextracted(article_id, "skipped", f"extraction gives no article now: {result}")
    result.url, result.fetched_at = row["url"], row.get("fetched_at") or result.fetched_at
    changed = _changed(row, result)
    if not changed:
        return Reextracted(article_id, "unchanged")
    with store.transaction():
        store.save_article(result)  # a changed text: new hash, signature, story refreshed
        fields = [*_COMPARED, "extractor_version"]
        values = [getattr(result, name) for name in fields] + [json.dumps(result.tags)]
        assignments = ", ".join(f"{name} = ?" for name in [*fields, "tags"])
        store.db.execute(f"UPDATE articles SET {assignments} WHERE id = ?", [*values, article_id])
    return Reextracted(article_id, "updated", ", ".join(changed))


def _article_ids(store: Store, article_id: int | None) -> Iterator[int]:
    if article_id is not None:
        yield article_id
        return
    rows = store.db.execute("SELECT id FROM articles WHERE warc_file IS NOT NULL ORDER BY id")
    yield from (int(row[0]) for row in rows.fetchall())


@click.command()
@click.argument("article_id", required=False, type=int)
@click.option("--all", "all_articles", is_flag=True, help="Every article with a WARC record.")
@click.option("--changed-only", is_flag=True, help="Print only the articles that changed.")
@click.option(
    "--warc-dir",
    "warc_dirs",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the WARC files are (repeatable; default: ./warcs).",
)
@DB_OPTION
def reextract(
    article_id: int | None,
    all_articles: bool,
    changed_only: bool,
    warc_dirs: tuple[Path, ...],
    db: Path,
) -> None:
    """Extract articles again from their archived WARC records (no network).

    Only rows whose output changed are updated, with the extractor_version that produced them.
    """
    if (article_id is None) == (not all_articles):
        raise click.UsageError("give one article ID or --all")
    dirs = list(warc_dirs) or [Path("warcs")]
    counts: Counter[str] = Counter()
    config = ExtractConfig()
    with open_store(db) as store:
        for current in list(_article_ids(store, article_id)):
            try:
                result = reextract_article(store, current, dirs, config)
            except ProvenanceError as exc:
                result = Reextracted(current, "skipped", str(exc))
            counts[result.outcome] += 1
            if result.outcome == "updated" or not changed_only:
                click.echo(f"{result.article_id}\t{result.outcome}\t{result.detail}")
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    click.echo(f"reextracted {sum(counts.values())} article(s): {summary}", err=True)
    if article_id is not None and counts["skipped"]:
        raise click.ClickException("the article could not be re-extracted (see above)")
