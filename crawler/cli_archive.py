"""The archive commands of ``newsarc``: replay, index, reextract and ``archive repair``."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from crawler.clitools import DB_OPTION, open_store

if TYPE_CHECKING:
    from crawler.replay import ReplayReport

STORED = ("new", "exact-duplicate", "near-duplicate", "updated")


@click.command()
@click.argument("warcs", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@DB_OPTION
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=os.cpu_count() or 1,
    show_default="all cores",
    help="Extraction worker processes (0: extract in this process).",
)
@click.option("--url-glob", help="Only URLs matching this glob (e.g. '*/2025/*').")
@click.option("--since", help="Only records with WARC-Date >= this (ISO 8601 prefix).")
@click.option("--until", help="Only records with WARC-Date <= this (ISO 8601 prefix).")
@click.option("--site", help="Only this host and its subdomains (www. ignored).")
@click.option(
    "--engine",
    type=click.Choice(["auto", "warcio"]),
    default="auto",
    show_default=True,
    help="auto: FastWARC where it reads correctly, warcio otherwise; warcio: warcio only.",
)
def replay(
    warcs: tuple[Path, ...],
    db: Path,
    workers: int,
    url_glob: str | None,
    since: str | None,
    until: str | None,
    site: str | None,
    engine: str,
) -> None:
    """Feed archived responses of WARC/ARC files (ours or foreign) through the chain.

    Idempotent and resumable: progress is kept per file in the database, so replaying a
    file again stores nothing twice and an interrupted replay continues where it stopped.
    """
    from crawler.replay import Replayer, ReplayFilters
    from pipelines.chain import Chain
    from pipelines.extract import ExtractConfig
    from pipelines.pool import ExtractionPool, PoolConfig

    missing = [str(p) for p in warcs if not p.is_file()]
    if missing:
        raise click.ClickException(f"no such file: {missing[0]}")
    filters = ReplayFilters(url_glob, since, until, site)
    started = time.monotonic()
    with open_store(db, create=True) as store:
        crawl_id = store.start_crawl("replay", {"files": [str(p) for p in warcs]})
        chain = Chain(store, ExtractConfig())
        with ExtractionPool(PoolConfig(workers=workers), ExtractConfig()) as pool:
            replayer = Replayer(chain, pool, filters, crawl_id, _progress(started, chain.counts))
            replayer.engine = engine
            report = replayer.run(list(warcs))
        status = "interrupted" if report.interrupted else "finished"
        stats = {"records": report.records, **dict(chain.counts), **dict(report.skipped)}
        store.finish_crawl(crawl_id, status, stats)
    click.echo("", err=True)
    _summary(report, chain.counts)


def _progress(started: float, counts: Counter[str]) -> Callable[[ReplayReport], None]:
    """The progress line on stderr: records, MB/s of input, articles/s stored."""

    def show(report: ReplayReport) -> None:
        elapsed = max(time.monotonic() - started, 1e-6)
        stored = sum(counts[key] for key in STORED)
        click.echo(
            f"\r{report.records} records, {report.bytes_read / elapsed / 1e6:.1f} MB/s, "
            f"{stored / elapsed:.1f} articles/s ",
            err=True,
            nl=False,
        )

    return show


def _summary(report: ReplayReport, counts: Counter[str]) -> None:
    """Warnings, the summary line, and the exit status (non-zero only if nothing was read)."""
    for problem in report.problems:
        click.echo(
            f"warning: {problem.warc_file} at offset {problem.offset}: {problem.message}", err=True
        )
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing"
    skipped = ", ".join(f"{k} {v}" for k, v in sorted(report.skipped.items())) or "none"
    click.echo(f"replayed {report.records} records from {report.files} file(s): {outcomes}")
    click.echo(f"skipped: {skipped}; damaged records: {len(report.problems)}")
    if report.interrupted:
        click.echo("interrupted: run the same command again to continue", err=True)
        raise SystemExit(130)
    nothing = report.records == 0 and not report.skipped["already-replayed-file"]
    if nothing and report.problems:
        raise click.ClickException("nothing could be read (see warnings)")


@click.command()
@click.argument(
    "warcs", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False)
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("index.cdxj"),
    show_default=True,
)
def index(warcs: tuple[Path, ...], output: Path) -> None:
    """Write a CDXJ index (for pywb) of WARC files."""
    from archive.cdxj import CdxjIndexError, write_index

    try:
        count = write_index(list(warcs), output)
    except CdxjIndexError as exc:
        for problem in exc.problems:
            click.echo(f"warning: {problem}", err=True)
        click.echo(f"wrote {exc.count} lines to {output}")
        raise click.ClickException(f"{len(exc.problems)} file(s) not indexed completely") from exc
    click.echo(f"wrote {count} lines to {output}")


@click.group()
def archive() -> None:
    """Maintenance of WARC files (see `newsarc archive repair --help`)."""


@archive.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, exists=True))
@click.option("--force", is_flag=True, help="Repair even files a live process may still write.")
def repair(paths: tuple[Path, ...], force: bool) -> None:
    """Cut the torn tail of `.open` WARC files left by a crash and give them their final name.

    PATHS are `.open` files or directories (default: ./warcs). Complete records are kept.
    """
    from archive.repair import repair_paths

    if not paths and not Path("warcs").is_dir():
        raise click.ClickException("no ./warcs directory here: give the WARC directory or files")
    results = repair_paths(list(paths) or [Path("warcs")], force=force)
    for result in results:
        name = result.final_path.name if result.final_path else result.path.name
        detail = result.message or f"{result.records} records kept, {result.cut_bytes} bytes cut"
        click.echo(f"{result.action:9} {name}: {detail}")
    failed = [r for r in results if r.action == "failed"]
    if not results:
        click.echo("no .open files found")
    if failed:
        raise click.ClickException(f"{len(failed)} file(s) could not be repaired")


def register(group: click.Group) -> None:
    """Add the archive commands to the ``newsarc`` group."""
    from crawler.provenance import reextract

    for command in (replay, index, archive, reextract):
        group.add_command(command)
