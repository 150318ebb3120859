"""The ``newsarc`` command line: crawl, demo, replay, extract, index (query commands in cli_query)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from crawler import cli_archive, cli_extract, cli_query, cli_schedule, distributed_cli
from crawler.clitools import DB_OPTION, fail_on, open_store
from crawler.incremental import parse_since
from crawler.runner import NO_THROTTLE_SETTINGS, CrawlOptions, CrawlReport, run_crawl
from crawler.safety import refusal_reason
from crawler.sites import SiteError, load_sites, spec_from_url
from pipelines.store import StoreError

WARC_OPTION = click.option(
    "--warc-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("warcs"),
    show_default=True,
    help="Directory for the WARC files.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsarc")
def main() -> None:
    """newsarc: crawl news and mirror sites to WARC, keep only the article text, group copies
    into stories, and store them in SQLite with full-text search."""


def _parse_overrides(pairs: Sequence[str]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="-s")
        overrides[name] = value
    return overrides


def _check_targets(
    urls: Sequence[str], sites: Path | None, names: Sequence[str], allow: bool
) -> None:
    """Reject bad URLs, unknown sites and private targets before Scrapy starts."""
    with fail_on(SiteError):
        specs = [spec_from_url(u) for u in urls]
        if sites is not None:
            specs += load_sites(sites, names)
        elif names:
            raise SiteError("--site needs --sites FILE")
    if not specs:
        raise click.UsageError("give one or more URLs, or --sites sites.toml")
    for spec in specs:
        for url in spec.start:
            reason = refusal_reason(url, allow)
            if reason is not None:
                raise click.ClickException(reason)


@main.command()
@click.argument("urls", nargs=-1)
@click.option(
    "--sites",
    type=click.Path(path_type=Path, dir_okay=False),
    help="sites.toml with [[site]] entries.",
)
@click.option("--site", "site_names", multiple=True, help="Only this site of --sites (repeatable).")
@DB_OPTION
@WARC_OPTION
@click.option(
    "--max-pages",
    type=click.IntRange(min=0),
    default=0,
    help="Stop after N responses (0: no limit).",
)
@click.option(
    "--depth",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Link hops followed from a page.",
)
@click.option(
    "--allow-private", is_flag=True, help="Allow loopback/private addresses (own servers, tests)."
)
@click.option("--refresh", is_flag=True, help="Fetch article URLs again even if already stored.")
@click.option("--since", metavar="DATE", help="Skip sitemap/feed entries dated before DATE (ISO).")
@click.option(
    "-s",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a Scrapy/newsarc setting.",
)
@click.option(
    "--no-throttle",
    is_flag=True,
    help="Politeness off (no AutoThrottle, no delay, high concurrency): own servers only.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every request (Scrapy INFO log).")
@click.option(
    "--backfill",
    is_flag=True,
    help="With --since: page back through feeds (WordPress, Blogger) to DATE.",
)
@click.option(
    "--redis", "redis_url", metavar="URL", help="Join the distributed crawl at this Redis URL."
)
@click.option("--crawl-id", hidden=True, help="Id of a crawls row made beforehand (scheduler).")
def crawl(
    urls: tuple[str, ...],
    sites: Path | None,
    site_names: tuple[str, ...],
    db: Path,
    warc_dir: Path,
    max_pages: int,
    depth: int,
    allow_private: bool,
    refresh: bool,
    since: str | None,
    overrides: tuple[str, ...],
    no_throttle: bool,
    verbose: bool,
    backfill: bool,
    redis_url: str | None,
    crawl_id: str | None,
) -> None:
    """Crawl URLS or the sites of a sites.toml: sitemaps, feeds, listings; store the articles."""
    _check_targets(urls, sites, site_names, allow_private)
    settings: dict[str, Any] = {"LOG_LEVEL": "INFO" if verbose else "WARNING"}
    if no_throttle:
        click.echo(
            "warning: --no-throttle crawls without delays at high concurrency; "
            "never use it on other people's sites",
            err=True,
        )
        settings.update(NO_THROTTLE_SETTINGS)
    settings.update(_parse_overrides(overrides))
    options = CrawlOptions(
        urls=urls,
        sites_file=sites,
        site_names=site_names,
        db=db,
        warc_dir=warc_dir,
        max_pages=max_pages,
        depth=depth,
        allow_private=allow_private,
        refresh=refresh,
        since=since,
        overrides=settings,
        backfill=backfill,
        redis=redis_url,
        crawl_id=crawl_id,
    )
    with fail_on(ValueError, StoreError, OSError):
        parse_since(since)
        if backfill and not since:
            raise ValueError("--backfill needs --since DATE")
        report = run_crawl(options)
    print_crawl_summary(report, db, redis=redis_url is not None)
    if report.stats.get("finish_reason") == "disk_full":  # see crawler/diskspace.py
        raise click.ClickException(
            "disk full: the crawl stopped early; free space, then run it again"
        )


def print_crawl_summary(report: CrawlReport, db: Path, redis: bool = False) -> None:
    """The end-of-run summary shared by crawl and demo (``redis``: a worker of a distributed
    crawl, whose pages the store worker stores, not this process)."""
    if redis:
        _print_redis_worker_summary(report)
        return
    stored = sum(
        report.count(f"newsarc/chain/{k}")
        for k in ("new", "exact-duplicate", "near-duplicate", "updated")
    )
    dups = report.count("newsarc/chain/exact-duplicate") + report.count(
        "newsarc/chain/near-duplicate"
    )
    with open_store(db) as store:
        totals = cli_query.stats_of(store)
    click.echo(f"crawl {report.crawl_id} finished in {report.seconds:.1f} s")
    click.echo(f"  pages fetched      {report.count('downloader/response_count')}")
    click.echo(f"  articles stored    {stored} (duplicates found: {dups})")
    click.echo(
        f"  skipped            {report.count('item_dropped_count')} non-article pages, "
        f"{report.count('newsarc/incremental/skipped')} already stored, "
        f"{report.count('robotstxt/forbidden')} forbidden by robots.txt, "
        f"{report.count('newsarc/safety/refused')} refused addresses"
    )
    click.echo(f"  WARC files         {report.count('newsarc/warc/files')}")
    click.echo(f"  database {db}: {totals['articles']} articles in {totals['stories']} stories")
    errors = report.count("log_count/ERROR")
    if errors:
        click.echo(f"  errors logged      {errors} (run with -v for details)", err=True)


def _print_redis_worker_summary(report: CrawlReport) -> None:
    click.echo(f"crawl {report.crawl_id} (Redis worker) finished in {report.seconds:.1f} s")
    click.echo(f"  pages fetched      {report.count('downloader/response_count')}")
    click.echo(f"  items queued to Redis {report.count('newsarc/redis/items_sent')} "
               "(stored by newsarc store-worker)")  # fmt: skip
    click.echo(
        f"  skipped            {report.count('robotstxt/forbidden')} forbidden by robots.txt, "
        f"{report.count('newsarc/safety/refused')} refused addresses"
    )
    click.echo(f"  WARC files         {report.count('newsarc/warc/files')}")
    errors = report.count("log_count/ERROR")
    if errors:
        click.echo(f"  errors logged      {errors} (run with -v for details)", err=True)


@main.command()
@DB_OPTION
@WARC_OPTION
@click.option("-v", "--verbose", is_flag=True, help="Show the crawl's log.")
def demo(db: Path, warc_dir: Path, verbose: bool) -> None:
    """Serve the bundled demo sites on 127.0.0.1, crawl them, and show what came out."""
    from crawler.demo.run import run_demo

    run_demo(db, warc_dir, verbose)


# Each command module adds its commands to the group: crawl and demo live here, the rest in
# cli_query (search, show, stories, stats, export), cli_archive (replay, index) and cli_extract.
for _module in (cli_query, cli_archive, cli_extract, cli_schedule, distributed_cli):
    _module.register(main)

if __name__ == "__main__":
    sys.exit(main())
