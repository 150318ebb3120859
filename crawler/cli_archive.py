"""The archive commands of ``newsarc``: replay (WARC/ARC through the chain) and index (CDXJ)."""

from __future__ import annotations

from pathlib import Path

import click

from crawler.clitools import DB_OPTION, open_store


@click.command()
@click.argument("warcs", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@DB_OPTION
def replay(warcs: tuple[Path, ...], db: Path) -> None:
    """Feed archived responses of WARC/ARC files (ours or foreign) through the chain."""
    from crawler.replay import replay_files
    from pipelines.chain import Chain
    from pipelines.extract import ExtractConfig

    missing = [str(p) for p in warcs if not p.is_file()]
    if missing:
        raise click.ClickException(f"no such file: {missing[0]}")
    with open_store(db, create=True) as store:
        crawl_id = store.start_crawl("replay", {"files": [str(p) for p in warcs]})
        chain = Chain(store, ExtractConfig())
        report = replay_files(
            warcs, chain, crawl_id, lambda p, n: click.echo(f"  {p}: {n} records so far", err=True)
        )
        store.finish_crawl(crawl_id, "finished", {"records": report.records, **dict(chain.counts)})
    for problem in report.problems:
        click.echo(
            f"warning: {problem.warc_file} at offset {problem.offset}: {problem.message}", err=True
        )
    counts = ", ".join(f"{k} {v}" for k, v in sorted(chain.counts.items()))
    click.echo(
        f"replayed {report.records} responses from {report.files} file(s): {counts or 'nothing'}"
    )
    if report.problems:
        raise click.ClickException(
            f"{len(report.problems)} damaged record(s) skipped (see warnings)"
        )


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
    from archive.cdxj import write_index

    count = write_index(list(warcs), output)
    click.echo(f"wrote {count} lines to {output}")


def register(group: click.Group) -> None:
    """Add the archive commands to the ``newsarc`` group."""
    for command in (replay, index):
        group.add_command(command)
