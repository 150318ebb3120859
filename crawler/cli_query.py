"""The query commands of ``newsarc``: search, show, stories, stats, export."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import click

from crawler.clitools import DB_OPTION, fail_on, open_store
from pipelines import query
from pipelines.query import Filters
from pipelines.store import Store

SEARCH_COLUMNS = ("id", "published", "site", "title", "copies", "story_id")
RECORD_FORMATS = ("json", "jsonl", "csv")


def stats_of(store: Store) -> dict[str, Any]:
    """The store's figures (used by crawl and demo summaries)."""
    return query.stats(store)


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Return ``rows`` as aligned text columns (cells cut at 60 characters)."""
    widths = {c: min(60, max([len(c)] + [len(str(r.get(c) or "")) for r in rows])) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns)]
    for row in rows:
        lines.append(
            "  ".join(str(row.get(c) or "")[: widths[c]].ljust(widths[c]) for c in columns)
        )
    return "\n".join(lines)


def _emit(rows: Iterable[dict[str, Any]], fmt: str, out: IO[str]) -> int:
    """Write records as json (one array), jsonl or csv (columns of the first row); return
    the count. Rows are written as they come (json too), so output streams."""
    count = 0
    writer: csv.DictWriter[str] | None = None
    for row in rows:
        if fmt == "jsonl":
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        elif fmt == "json":
            out.write(("[\n" if count == 0 else ",\n") + json.dumps(row, ensure_ascii=False))
        else:
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(row), extrasaction="ignore")
                writer.writeheader()
            writer.writerow({k: _cell(v) for k, v in row.items()})
        count += 1
    if fmt == "json":
        out.write("\n]\n" if count else "[]\n")
    return count


def _cell(value: Any) -> Any:
    """CSV cell: lists and dicts as JSON, the rest as is."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else value


def _highlight(snippet: str, color: bool) -> str:
    """Matched terms in bold yellow on a terminal, between [brackets] otherwise."""
    if not color:
        return query.mark(snippet)
    start, end = click.style("\x00", fg="yellow", bold=True).split("\x00")
    return query.mark(snippet, start, end)


def _count(n: int, noun: str) -> str:
    """``1 copy``, ``2 copies``, ``1 site``, ``3 sites``."""
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"


def _filters(site: str | None, since: str | None, until: str | None, lang: str | None,
             story: int | None) -> Filters:  # fmt: skip
    return Filters(site=site, since=since, until=until, lang=lang, story=story)


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The --site --since --until --lang --story options shared by search and export."""
    for option in reversed([
        click.option("--site", help="Only articles of this site (host name)."),
        click.option("--since", help="Published on or after this date (YYYY-MM-DD)."),
        click.option("--until", help="Published on or before this date (YYYY-MM-DD)."),
        click.option("--lang", help="Only articles in this language (ISO 639-1, e.g. en)."),
        click.option("--story", type=int, help="Only copies of this story id."),
    ]):  # fmt: skip
        command = option(command)
    return command


@click.command()
@click.argument("text")
@filter_options
@click.option("--copies", is_flag=True, help="Every matching copy, not one line per story.")
@click.option("--literal", is_flag=True, help="Search the words as typed (no FTS5 syntax).")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", *RECORD_FORMATS]), default="table",
              show_default=True)  # fmt: skip
@DB_OPTION
def search(text: str, copies: bool, literal: bool, limit: int, fmt: str, db: Path,
           **filters: Any) -> None:  # fmt: skip
    """Full-text search: words, "phrases", AND/OR/NOT, prefix* (SQLite FTS5 syntax).

    One line per story (its representative when it matches, with the number of copies);
    --copies lists every matching copy.
    """
    words = query.quote_terms(text) if literal else text
    with open_store(db) as store, fail_on(query.QueryError):
        rows = query.search(store, words, _filters(**filters), limit=limit, copies=copies)
    if fmt != "table":
        _emit(({**row, "snippet": query.mark(row["snippet"])} for row in rows), fmt, sys.stdout)
    elif not rows:
        click.echo(f"no articles match {text!r}")
    else:
        color = sys.stdout.isatty()
        header, *lines = _table(rows, SEARCH_COLUMNS).splitlines()
        click.echo(header)
        for row, line in zip(rows, lines, strict=True):
            click.echo(line)
            click.echo(f"    {_highlight(row['snippet'], color)}  <{row['url']}>", color=color)


@click.command()
@click.argument("article")
@click.option("--history", is_flag=True, help="Earlier texts of the article and a word diff.")
@click.option("--no-text", is_flag=True, help="Metadata only, without the article text.")
@DB_OPTION
def show(article: str, history: bool, no_text: bool, db: Path) -> None:
    """Show one article (by id or URL): metadata, story, copies, WARC location, text."""
    with open_store(db) as store:
        row = query.get_article(store, article)
        versions = query.history(store, row["id"]) if row and history else []
    if row is None:
        raise click.ClickException(f"no article {article!r} in {db} (try `newsarc search`)")
    for key in ("id", "url", "canonical_url", "site", "title", "author", "published",
                "language", "source_url", "word_count", "first_seen", "last_seen"):  # fmt: skip
        click.echo(f"{key:18} {row.get(key) if row.get(key) is not None else ''}")
    story = row["story"] or {}
    rep = " (this copy is the representative)" if row["is_representative"] else ""
    click.echo(f"{'story':18} #{row['story_id']} key {story.get('story_key', '')}: "
               f"{_count(story.get('copies', 1), 'copy')} on {_count(story.get('sites', 1), 'site')}{rep}")  # fmt: skip
    for copy in row["copies"]:
        mark = "representative" if copy["is_representative"] else "copy"
        click.echo(f"{mark:18} #{copy['id']} {copy['published'] or '':10} {copy['url']}")
    if row.get("warc_file"):
        click.echo(f"{'warc':18} {row['warc_file']} offset {row['warc_offset']} "
                   f"length {row.get('warc_length')}")  # fmt: skip
    click.echo(f"{'versions':18} {row['versions'] + 1} (see --history)")
    if history:
        _print_history(versions)
    if not no_text:
        click.echo("")
        click.echo(row.get("text", ""))


def _print_history(versions: Sequence[dict[str, Any]]) -> None:
    """Print each version (fetch time, WARC record) and the word diff from the one before."""
    for number, version in enumerate(versions, 1):
        label = "current" if version["current"] else "earlier"
        click.echo(f"\nversion {number} ({label}) fetched {version['fetched_at']} "
                   f"{version['warc_file'] or ''} {version['warc_offset'] or ''}".rstrip())  # fmt: skip
        if number == 1:
            continue
        previous = versions[number - 2]
        if previous["title"] != version["title"]:
            click.echo(f"  title: [-{previous['title']}-] {{+{version['title']}+}}")
        for change in query.word_diff(previous["text"], version["text"]) or ["(same words)"]:
            click.echo(f"  {change}")


@click.command()
@click.option("--since", help="Stories first published (or first seen) on or after this date.")
@click.option("--min-copies", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", *RECORD_FORMATS]), default="table",
              show_default=True)  # fmt: skip
@DB_OPTION
def stories(since: str | None, min_copies: int, limit: int, fmt: str, db: Path) -> None:
    """List stories, largest first, with their copies, sites and first-seen dates."""
    with open_store(db) as store, fail_on(query.QueryError):
        rows = query.list_stories(store, limit=limit, min_copies=min_copies, since=since)
    if fmt != "table":
        _emit(rows, fmt, sys.stdout)
        return
    for row in rows:
        click.echo(
            f"story {row['id']}: {row['title']} ({_count(row['copies'], 'copy')} on "
            f"{_count(row['sites'], 'site')}; published {row['first_published'] or '?'}, "
            f"first seen {row['first_seen']})"
        )
        for member in row["members"]:
            mark = "*" if member["is_representative"] else "-"
            click.echo(f"  {mark} {member['published'] or '':25} {member['site']:28} "
                       f"{member['url']}")  # fmt: skip
    if not rows:
        click.echo("no stories match")


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
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl",
              show_default=True)  # fmt: skip
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Output file (default: stdout; parquet needs a file).")  # fmt: skip
@click.option("--query", "text", help="Only articles matching this search (FTS5 syntax).")
@filter_options
@DB_OPTION
def export(fmt: str, output: Path | None, text: str | None, db: Path, **filters: Any) -> None:
    """Export articles (every copy), streaming: the whole store, or a --query and filters."""
    if fmt == "parquet" and output is None:
        raise click.UsageError("--format parquet needs -o FILE")
    with open_store(db) as store, fail_on(query.QueryError):
        rows = query.export_rows(store, text, _filters(**filters))
        if fmt == "parquet" and output is not None:
            count = _write_parquet(rows, output)
        elif output:
            with output.open("w", encoding="utf-8", newline="") as out:
                count = _emit(rows, fmt, out)
        else:
            count = _emit(rows, fmt, sys.stdout)
    if output:
        click.echo(f"exported {count} articles to {output}", err=True)


_INT_FIELDS = frozenset(
    {"id", "story_id", "is_representative", "warc_offset", "warc_length", "word_count"}
)
PARQUET_BATCH = 10_000
"""Rows per Parquet row group (memory use stays bounded: export streams)."""


def _write_parquet(rows: Iterable[dict[str, Any]], path: Path) -> int:
    """Write rows to a Parquet file in row groups of :data:`PARQUET_BATCH`; return the count."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise click.ClickException(
            "parquet export needs pyarrow: pip install 'newsarc[parquet]'"
        ) from None
    schema = pa.schema(
        [(name, pa.int64() if name in _INT_FIELDS else pa.string()) for name in query.EXPORT_FIELDS]
    )
    count, batch = 0, []
    with pq.ParquetWriter(str(path), schema) as writer:
        for row in rows:
            batch.append(row)
            if len(batch) == PARQUET_BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count, batch = count + len(batch), []
        writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    return count + len(batch)


def register(group: click.Group) -> None:
    """Add the query commands to the ``newsarc`` group."""
    for command in (search, show, stories, stats, export):
        group.add_command(command)
