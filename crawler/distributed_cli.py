"""``newsarc store-worker``: the single writer of a distributed crawl (see crawler.distributed)."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Any

import click

from crawler.cli_schedule import SETTING_OPTION, _pairs
from crawler.clitools import DB_OPTION, fail_on
from crawler.schedule import project_settings
from pipelines.extract import ExtractConfig
from pipelines.store import StoreError


@click.command("store-worker")
@click.option("--redis", "redis_url", required=True, metavar="URL",
              help="Redis of the distributed crawl, e.g. redis://127.0.0.1:6379/0.")  # fmt: skip
@DB_OPTION
@SETTING_OPTION
def store_worker(redis_url: str, db: Path, overrides: tuple[str, ...]) -> None:
    """Store the pages crawlers of `crawl --redis URL` send, until they are all done."""
    from crawler.distributed import RedisConfig, RedisUnavailable
    from crawler.distributed_worker import run_store_worker

    settings = project_settings({**_pairs(overrides), "NEWSARC_REDIS_URL": redis_url})
    with fail_on(ValueError):
        config = RedisConfig.from_settings(settings)
        extract = ExtractConfig.from_settings(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()

    def _stop(signum: int, frame: Any) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    with fail_on(RedisUnavailable, StoreError):
        report = run_store_worker(config, db, extract, stop)
    stored = sum(report.counts[k] for k in ("new", "exact-duplicate", "near-duplicate", "updated"))
    click.echo(f"store worker {report.crawl_id}: {report.pages} pages in {report.seconds:.1f} s, "
               f"{stored} articles stored ({report.counts['new']} new)")  # fmt: skip


def register(main: click.Group) -> None:
    """Add ``store-worker`` to the command group."""
    main.add_command(store_worker)
