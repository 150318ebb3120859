"""The query commands of ``newsarc``: search, show, stories, stats, export."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click

from crawler.clitools import DB_OPTION, fail_on, open_store
from pipelines import query
from pipelines.store import Store

SEARCH_COLUMNS = ("id", "published", "site", "title", "copies", "story_id")


def stats_of(store: Store) -> dict[str, Any]:
    """The store's figures (used by crawl and demo summaries)."""
    return query.stats(store)


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    widths = {c: min(60, max([len(c)] + [len(str(r.get(c) or "")) for r in rows])) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns)]
    for row in rows:
        lines.append(
            "  ".join(str(row.get(c) or "")[: widths[c]].ljust(widths[c]) for c in columns)
        )
    return "\n".join(lines)


def _csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


@click.command()
@click.argument("text")
@click.option("--site", help="Only articles of this site (host name).")
@click.option("--since", help="Published on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Published on or before this date (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@DB_OPTION
def search(
    text: str,
    site: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    fmt: str,
    db: Path,
) -> None:
    """Full-text search (SQLite FTS5 syntax); one row per story, best copy first."""
    with open_store(db) as store, fail_on(query.QueryError):
        rows = query.search(store, text, site=site, since=since, until=until, limit=limit)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        click.echo(_csv(rows, (*SEARCH_COLUMNS, "url", "snippet")), nl=False)
    elif not rows:
        click.echo(f"no articles match {text!r}")
    else:
        click.echo(_table(rows, SEARCH_COLUMNS))


@click.command()
@click.argument("article")
@DB_OPTION
def show(article: str, db: Path) -> None:
    """Show one article (by id or URL) with its metadata and the other copies of its story."""
    with open_store(db) as store:
        row = query.get_article(store, article)
    if row is None:
        raise click.ClickException(f"no article {article!r} in {db} (try `newsarc search`)")
    for key in (
        "id",
        "url",
        "canonical_url",
        "site",
        "title",
        "author",
        "published",
        "language",
        "source_url",
        "story_id",
        "is_representative",
        "warc_file",
        "warc_offset",
    ):
        click.echo(f"{key:18} {row.get(key) if row.get(key) is not None else ''}")
    for copy in row.get("copies", []):
        click.echo(f"{'copy':18} #{copy['id']} {copy['url']}")
    click.echo("")
    click.echo(row.get("text", ""))


@click.command()
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@DB_OPTION
def stories(limit: int, fmt: str, db: Path) -> None:
    """List stories, largest first, with their copies."""
    with open_store(db) as store:
        rows = query.list_stories(store, limit=limit)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(
            f"story {row['id']}: {row['title']} ({row['copies']} copies on {row['sites']} sites)"
        )
        for url in row.get("urls", []):
            click.echo(f"    {url}")


@click.command()
@DB_OPTION
def stats(db: Path) -> None:
    """Figures of the store: articles, stories, pages by outcome, sites, FTS consistency."""
    with open_store(db) as store:
        figures = query.stats(store)
    for key, value in figures.items():
        if isinstance(value, dict):
            click.echo(f"{key}:")
            for sub, n in value.items():
                click.echo(f"  {sub:30} {n}")
        else:
            click.echo(f"{key:32} {value}")


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Output file (default: stdout).",
)
@DB_OPTION
def export(fmt: str, output: Path | None, db: Path) -> None:
    """Export every stored article, one row each."""
    with open_store(db) as store:
        out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        try:
            count = _write_export(query.export_rows(store), fmt, out)
        finally:
            if output:
                out.close()
    if output:
        click.echo(f"exported {count} articles to {output}", err=True)


def _write_export(rows: Iterable[dict[str, Any]], fmt: str, out: Any) -> int:
    count = 0
    writer: csv.DictWriter[str] | None = None
    for row in rows:
        if fmt == "jsonl":
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
        count += 1
    return count


def register(group: click.Group) -> None:
    """Add the query commands to the ``newsarc`` group."""
    for command in (search, show, stories, stats, export):
        group.add_command(command)
