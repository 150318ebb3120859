"""``newsarc demo``: serve the bundled sites on loopback, crawl them for real, show the result."""

from __future__ import annotations

from pathlib import Path

import click

from crawler.clitools import open_store
from crawler.demo.server import serve_demo_sites
from crawler.runner import NO_THROTTLE_SETTINGS, CrawlOptions, run_crawl

EXAMPLE_QUERY = "minister"


def run_demo(db: Path, warc_dir: Path, verbose: bool) -> None:
    """Crawl the demo sites into ``db`` and ``warc_dir`` and print a summary."""
    from crawler.cli import print_crawl_summary
    from pipelines import query

    with serve_demo_sites() as sites:
        click.echo(f"demo sites: news portal {sites.portal_url}  mirror blog {sites.mirror_url}")
        options = CrawlOptions(
            urls=(sites.portal_url, sites.mirror_url),
            db=db,
            warc_dir=warc_dir,
            allow_private=True,
            kind="demo",
            depth=3,
            overrides={**NO_THROTTLE_SETTINGS, "LOG_LEVEL": "INFO" if verbose else "WARNING"},
        )
        report = run_crawl(options)
    print_crawl_summary(report, db)
    with open_store(db) as store:
        hits = query.search(store, EXAMPLE_QUERY, limit=5)
    click.echo(f"\nexample: newsarc search {EXAMPLE_QUERY} --db {db}")
    for hit in hits:
        click.echo(
            f"  #{hit['id']} [{hit.get('site')}] {hit.get('title')} ({hit.get('copies', 1)} copies)"
        )
    click.echo(
        "\nnext:\n"
        f"  newsarc stories --db {db}\n"
        f"  newsarc show 1 --db {db}\n"
        f"  newsarc export --format jsonl --db {db} -o articles.jsonl\n"
        f"  newsarc replay {warc_dir}/*.warc.gz --db replayed.db\n"
        f"  newsarc index {warc_dir}/*.warc.gz -o {warc_dir}/index.cdxj\n"
        f"  datasette {db}"
    )
