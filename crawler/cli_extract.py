"""The extraction commands of ``newsarc``: extract (saved HTML files)."""

from __future__ import annotations

import json
from pathlib import Path

import click


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


def register(group: click.Group) -> None:
    """Add the extraction commands to the ``newsarc`` group."""
    group.add_command(extract)
