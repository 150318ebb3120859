"""The extraction commands of ``newsarc``: extract (saved HTML files), reclean (stored articles)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from crawler.clitools import DB_OPTION, open_store


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--url", help="URL the pages were saved from (helps metadata).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "jsonl"]),
    default="text",
    show_default=True,
)
def extract(paths: tuple[Path, ...], url: str | None, fmt: str) -> None:
    """Extract clean article text from saved HTML files (.html or .html.gz, any charset)."""
    from crawler.extract_files import extract_file

    failures = 0
    for path in paths:
        row = extract_file(path, url)
        failures += "error" in row
        if fmt == "jsonl":
            click.echo(json.dumps(row, ensure_ascii=False))
        elif fmt == "json":
            click.echo(json.dumps(row, ensure_ascii=False, indent=2))
        elif "error" in row:
            click.echo(f"error: {path}: {row['error']}", err=True)
        else:
            click.echo(f"# {row['title']}\n\n{row['text']}\n")
    if failures:
        raise click.ClickException(f"{failures} of {len(paths)} file(s) could not be extracted")


@click.command()
@click.option("--site", help="Only articles of this site (host name without www.).")
@click.option("--list", "show", is_flag=True, help="Only list the known template paragraphs.")
@DB_OPTION
def reclean(site: str | None, show: bool, db: Path) -> None:
    """Remove learned site template paragraphs from stored articles (hash, stories, FTS follow)."""
    from crawler import settings
    from pipelines.templates import TemplateConfig, reclean_store, site_template_rows

    config = TemplateConfig.from_settings(vars(settings))
    site = site.removeprefix("www.").lower() if site else None
    with open_store(db) as store:
        rows = site_template_rows(store.db, site, config)
        if show:
            for row in rows:
                click.echo(f"{row['site']}\t{row['stories']}\t{row['paragraph']}")
            return
        result = reclean_store(store, site, config)
    click.echo(
        f"{len(rows)} template paragraph(s) known; {result.examined} article(s) examined, "
        f"{result.recleaned} re-cleaned, {result.paragraphs} paragraph(s) removed"
    )


def register(group: click.Group) -> None:
    """Add the extraction commands to the ``newsarc`` group."""
    group.add_command(extract)
    group.add_command(reclean)
