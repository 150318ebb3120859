"""Commands of scheduled crawls: ``newsarc schedule add|list|remove|pause|resume|run`` and ``runs``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import click

from crawler.clitools import DB_OPTION, fail_on, open_store
from crawler.safety import refusal_reason
from crawler.schedule import ScheduleConfig, ScheduleError, project_settings
from crawler.schedule_daemon import Launcher, LocalLauncher, Scheduler, serve
from crawler.schedule_health import source_health
from crawler.schedule_scrapyd import ScrapydLauncher
from crawler.schedule_store import CrawlArgs, Run, Schedule, ScheduleStore
from crawler.sites import SiteError, load_sites, spec_from_url

SETTING_OPTION = click.option(
    "-s", "overrides", multiple=True, metavar="NAME=VALUE", help="Override a setting."
)


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {value!r}", param_hint="-s")
        pairs[name] = rest
    return pairs


def _check(args: CrawlArgs) -> None:
    """Reject what the crawl would reject, now rather than at 3 a.m."""
    with fail_on(SiteError):
        specs = [spec_from_url(u) for u in args.urls]
        if args.sites:
            specs += load_sites(Path(args.sites), list(args.site_names))
        elif args.site_names:
            raise SiteError("--site needs --sites FILE")
    if not specs:
        raise click.UsageError("give one or more URLs, or --sites sites.toml")
    for url in (u for spec in specs for u in spec.start):
        reason = refusal_reason(url, args.allow_private)
        if reason is not None:
            raise click.ClickException(reason)


@click.group()
def schedule() -> None:
    """Crawls that run on a cron schedule (kept in the database)."""


@schedule.command("add")
@click.argument("name")
@click.argument("urls", nargs=-1)
@click.option(
    "--cron",
    required=True,
    help='Cron expression, e.g. "*/30 * * * *", or "auto" (interval learned from each run).',
)
@click.option("--tz", default="UTC", show_default=True, help="Time zone of the cron times.")
@click.option("--sites", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--site", "site_names", multiple=True, help="Only this site of --sites.")
@DB_OPTION
@click.option("--warc-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("warcs"))
@click.option("--max-pages", type=click.IntRange(min=0), default=0)
@click.option("--depth", type=click.IntRange(min=0), default=2)
@click.option("--allow-private", is_flag=True, help="Allow loopback/private addresses.")
@click.option("--refresh", is_flag=True, help="Fetch stored article URLs again.")
@click.option("--since", help="Only entries of sitemaps/feeds dated from this day (YYYY-MM-DD).")
@click.option("--scrapyd", metavar="URL", help="Run on this Scrapyd server, not locally.")
@SETTING_OPTION
def add(name: str, urls: tuple[str, ...], cron: str, tz: str, sites: Path | None,
        site_names: tuple[str, ...], db: Path, warc_dir: Path, max_pages: int, depth: int,
        allow_private: bool, refresh: bool, since: str | None, scrapyd: str | None,
        overrides: tuple[str, ...]) -> None:  # fmt: skip
    """Add schedule NAME crawling URLS or --sites on --cron (crawl options as for `crawl`)."""
    args = CrawlArgs(
        urls=urls, sites=str(sites.resolve()) if sites else None, site_names=site_names,
        warc_dir=str(warc_dir.resolve()), max_pages=max_pages, depth=depth,
        allow_private=allow_private, refresh=refresh, since=since, overrides=_pairs(overrides),
    )  # fmt: skip
    _check(args)
    with open_store(db, create=True) as store, fail_on(ScheduleError):
        added = ScheduleStore(store).add(name, cron, tz, args, datetime.now(UTC), scrapyd)
    click.echo(
        f"schedule {added.name}: {added.cron} ({added.timezone}), next run {added.next_run_at}"
    )


@schedule.command("list")
@DB_OPTION
def list_schedules(db: Path) -> None:
    """Schedules with their next run, last run and last outcome."""
    with open_store(db) as store:
        schedules = ScheduleStore(store)
        rows = [(s, schedules.last_run(s.name)) for s in schedules.all()]
    if not rows:
        click.echo("no schedules (add one with `newsarc schedule add`)")
        return
    click.echo(f"{'name':<16} {'cron':<16} {'zone':<16} {'next run':<21} {'last run':<21} outcome")
    for item, last in rows:
        click.echo(_schedule_line(item, last))


def _schedule_line(item: Schedule, last: Run | None) -> str:
    nxt = "paused" if item.paused else (item.next_run_at or "-")
    outcome = "-" if last is None else f"{last.status} ({last.count('newsarc/chain/new')} new)"
    started = last.started_at if last else "-"
    where = f"  → {item.scrapyd}" if item.scrapyd else ""
    cron = item.cron
    if item.interval_seconds:
        cron = f"auto ({_duration(item.interval_seconds)})"
    return (
        f"{item.name:<16} {cron:<16} {item.timezone:<16} {nxt:<21} {started:<21} {outcome}{where}"
    )


def _duration(seconds: int) -> str:
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


@schedule.command("remove")
@click.argument("name")
@DB_OPTION
def remove(name: str, db: Path) -> None:
    """Remove schedule NAME (its past runs stay in `newsarc runs`)."""
    with open_store(db) as store, fail_on(ScheduleError):
        ScheduleStore(store).remove(name)
    click.echo(f"schedule {name} removed")


@schedule.command("pause")
@click.argument("name")
@DB_OPTION
def pause(name: str, db: Path) -> None:
    """Pause schedule NAME: the daemon starts no run of it until `resume`."""
    with open_store(db) as store, fail_on(ScheduleError):
        ScheduleStore(store).set_paused(name, True, datetime.now(UTC))
    click.echo(f"schedule {name} paused")


@schedule.command("resume")
@click.argument("name")
@DB_OPTION
def resume(name: str, db: Path) -> None:
    """Resume schedule NAME from its next due time (missed runs are not made up)."""
    with open_store(db) as store, fail_on(ScheduleError):
        ScheduleStore(store).set_paused(name, False, datetime.now(UTC))
        due = ScheduleStore(store).require(name).next_run_at
    click.echo(f"schedule {name} resumed, next run {due}")


@schedule.command("run")
@click.option("--once", is_flag=True, help="Start what is due now, wait for it, exit (cron).")
@DB_OPTION
@SETTING_OPTION
def run(once: bool, db: Path, overrides: tuple[str, ...]) -> None:
    """Run the scheduler in the foreground: start due crawls, record runs, stop on SIGTERM."""
    with fail_on(ScheduleError):
        config = ScheduleConfig.from_settings(project_settings(_pairs(overrides)))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    launcher = LocalLauncher(db.resolve(), Path(config.log_dir).resolve())
    with open_store(db, create=True) as store:
        schedules = ScheduleStore(store)
        scheduler = Scheduler(
            schedules,
            lambda s: _launcher(s, launcher, schedules),
            (config.auto_min, config.auto_max),
        )
        status = serve(scheduler, config, once)
    raise SystemExit(status)


def _launcher(item: Schedule, local: LocalLauncher, schedules: ScheduleStore) -> Launcher:
    """A local process, or a Scrapyd job for schedules added with ``--scrapyd URL``."""
    if item.scrapyd:
        return ScrapydLauncher(item.scrapyd, local.db, schedules.status_of)
    return local


@click.command()
@click.option("--schedule", "name", help="Only the runs of this schedule.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--articles", is_flag=True, help="List the new articles of each run.")
@DB_OPTION
def runs(name: str | None, limit: int, articles: bool, db: Path) -> None:
    """History of scheduled runs: status, exit status, pages, new articles, errors."""
    with open_store(db) as store:
        schedules = ScheduleStore(store)
        history = schedules.runs(name, limit)
        news = {r.crawl_id: schedules.new_articles(r.crawl_id) for r in history} if articles else {}
    if not history:
        click.echo("no scheduled runs yet")
        return
    click.echo(f"{'run':<26} {'schedule':<14} {'started':<21} {'status':<10} exit "
               "pages  new  upd  dup  304  err warcs")  # fmt: skip
    for r in history:
        click.echo(_run_line(r))
        for article in news.get(r.crawl_id, []):
            click.echo(f"    + [{article['id']}] {article['title']}  {article['url']}")


def _run_line(r: Run) -> str:
    dups = r.count("newsarc/chain/exact-duplicate") + r.count("newsarc/chain/near-duplicate")
    figures = [r.count("downloader/response_count"), r.count("newsarc/chain/new"),
               r.count("newsarc/chain/updated"), dups, r.count("newsarc/incremental/not_modified"),
               r.count("log_count/ERROR"), r.count("newsarc/warc/files")]  # fmt: skip
    code = "-" if r.exit_status is None else str(r.exit_status)
    cells = " ".join(f"{n:>4}" for n in figures)
    return f"{r.crawl_id:<26} {r.schedule:<14} {r.started_at:<21} {r.status:<10} {code:>4} {cells}"


@click.command()
@click.option("--runs", "last", type=click.IntRange(min=1), default=10, show_default=True,
              help="How many of the latest crawl runs to look at.")  # fmt: skip
@DB_OPTION
def sources(last: int, db: Path) -> None:
    """Health per source: last good run, new articles per run, dates found, errors, warnings."""
    with open_store(db) as store:
        report = source_health(store, last)
    if not report:
        click.echo("no crawl runs yet")
        return
    click.echo(f"{'site':<28} {'last ok':<21} {'dated':>6} {'articles':>9} {'errors':>7}  "
               "new per run (latest first)")  # fmt: skip
    for h in report:
        runs_text = " ".join("-" if n < 0 else str(n) for n in h.new_per_run)
        click.echo(f"{h.site:<28} {h.last_ok or '-':<21} {h.dated_share:>6.0%} "
                   f"{h.article_share:>9.0%} {h.error_rate:>7.0%}  {runs_text}")  # fmt: skip
        if h.warning:
            click.echo(f"  warning: {h.site}: {h.warning}", err=True)


def register(main: click.Group) -> None:
    """Add ``schedule``, ``runs`` and ``sources`` to the command group."""
    main.add_command(schedule)
    main.add_command(runs)
    main.add_command(sources)
