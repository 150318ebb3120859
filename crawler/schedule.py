"""Cron expressions and time zones for scheduled crawls (croniter), and the scheduler's settings.

A schedule fires at the times its cron expression names in its own time zone (daylight-saving
changes included, as croniter computes them); due times are kept in UTC in the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadCronError, croniter
from scrapy.settings import BaseSettings, Settings

STOP_MODES = ("wait", "terminate")
AUTO = "auto"
"""``--cron auto``: the interval is learned from what each run brings (see ``adapt_interval``)."""
INITIAL_AUTO_SECONDS = 3600


class ScheduleError(ValueError):
    """A schedule cannot be created or run as asked (bad cron, zone, name or setting)."""


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (ScheduleError when unknown)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(
            f"unknown time zone {name!r} (use an IANA name like Europe/Paris)"
        ) from exc


def check_cron(expression: str) -> str:
    """Return ``expression`` if croniter accepts it (five fields) or it is "auto", else raise."""
    if expression == AUTO:
        return expression
    if len(expression.split()) != 5 or not croniter.is_valid(expression):
        raise ScheduleError(
            f"bad cron expression {expression!r} (five fields, e.g. '*/30 * * * *')"
        )
    return expression


def next_fire(expression: str, tz_name: str, after: datetime) -> datetime:
    """The first time strictly after ``after`` that ``expression`` names in ``tz_name``, in UTC."""
    local = after.astimezone(zone(tz_name))
    try:
        fire: datetime = croniter(check_cron(expression), local).get_next(datetime)
    except CroniterBadCronError as exc:
        raise ScheduleError(f"bad cron expression {expression!r}: {exc}") from exc
    return fire.astimezone(UTC)


def next_due(expression: str, tz_name: str, interval: int | None, after: datetime) -> datetime:
    """The next due time: the cron's next fire, or ``after`` + the learned interval (auto)."""
    if expression == AUTO:
        return after.astimezone(UTC) + timedelta(seconds=interval or INITIAL_AUTO_SECONDS)
    return next_fire(expression, tz_name, after)


def adapt_interval(current: int, new_articles: int, shortest: int, longest: int) -> int:
    """Halve the interval after a run that brought new articles, else stretch it by half
    (additive-increase/multiplicative-decrease as web archivers' adaptive revisit policies do),
    within [shortest, longest] seconds."""
    wanted = current / 2 if new_articles > 0 else current * 1.5
    return int(min(max(wanted, shortest), longest))


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with a ``Z``, seconds precision (the store's time format)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """Parse the store's time format back to an aware UTC datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class ScheduleConfig:
    """Settings of ``newsarc schedule run``.

    ``NEWSARC_SCHEDULE_POLL_SECONDS`` (how often due schedules are checked),
    ``NEWSARC_SCHEDULE_ON_STOP`` ("wait": running crawls finish; "terminate": they get SIGTERM,
    Scrapy's graceful shutdown), ``NEWSARC_SCHEDULE_STOP_TIMEOUT`` (seconds a terminated crawl
    gets before SIGKILL), ``NEWSARC_SCHEDULE_LOG_DIR`` (one log file per run),
    ``NEWSARC_SCHEDULE_AUTO_MIN_SECONDS`` / ``NEWSARC_SCHEDULE_AUTO_MAX_SECONDS`` (bounds of
    learned intervals).
    """

    poll_seconds: float = 30.0
    on_stop: str = "wait"
    stop_timeout: float = 60.0
    log_dir: str = "logs"
    auto_min: int = 900
    auto_max: int = 86400

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ScheduleConfig:
        poll = settings.getfloat("NEWSARC_SCHEDULE_POLL_SECONDS")
        on_stop = settings.get("NEWSARC_SCHEDULE_ON_STOP")
        timeout = settings.getfloat("NEWSARC_SCHEDULE_STOP_TIMEOUT")
        if poll <= 0:
            raise ScheduleError(f"NEWSARC_SCHEDULE_POLL_SECONDS must be positive, got {poll!r}")
        if on_stop not in STOP_MODES:
            raise ScheduleError(
                f"NEWSARC_SCHEDULE_ON_STOP must be one of {', '.join(STOP_MODES)}, got {on_stop!r}"
            )
        if timeout < 0:
            raise ScheduleError(f"NEWSARC_SCHEDULE_STOP_TIMEOUT must be >= 0, got {timeout!r}")
        shortest = settings.getint("NEWSARC_SCHEDULE_AUTO_MIN_SECONDS")
        longest = settings.getint("NEWSARC_SCHEDULE_AUTO_MAX_SECONDS")
        if not 0 < shortest <= longest:
            raise ScheduleError(
                "NEWSARC_SCHEDULE_AUTO_MIN_SECONDS must be positive and at most "
                f"NEWSARC_SCHEDULE_AUTO_MAX_SECONDS, got {shortest!r} and {longest!r}"
            )
        log_dir = settings.get("NEWSARC_SCHEDULE_LOG_DIR")
        return cls(poll, on_stop, timeout, log_dir, shortest, longest)


def project_settings(overrides: dict[str, str]) -> Settings:
    """The project's settings (crawler/settings.py) with ``-s NAME=VALUE`` overrides on top."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(overrides, priority="cmdline")
    return settings
