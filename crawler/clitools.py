"""Small helpers of the command line: one-line errors and opening the store for reading."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from pipelines.store import Store, StoreError

DB_OPTION = click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("news.db"),
    show_default=True,
    help="SQLite database file.",
)


@contextmanager
def fail_on(*errors: type[Exception]) -> Iterator[None]:
    """Turn the given domain errors into a one-line ``click.ClickException``."""
    try:
        yield
    except errors as exc:
        raise click.ClickException(str(exc)) from exc


@contextmanager
def open_store(db: Path, create: bool = False) -> Iterator[Store]:
    """Open the store; a missing or unreadable database is a one-line error, not a traceback."""
    if not create and not db.exists():
        raise click.ClickException(
            f"no database at {db} (run `newsarc crawl` or `newsarc demo` first, or pass --db)"
        )
    try:
        store = Store(db, create=create)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield store
    finally:
        store.close()
