"""Schedules and scheduled runs in the store: the ``schedules`` table and the ``crawls`` rows.

A scheduled run is an ordinary ``crawls`` row (kind "crawl") whose ``schedule`` column names the
schedule; the daemon creates it before starting the crawl process (which finishes it with its
stats) and adds the exit status afterwards. A run that could not start because the previous
one was still going is a row with status "skipped".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from crawler.schedule import (
    AUTO,
    INITIAL_AUTO_SECONDS,
    ScheduleError,
    adapt_interval,
    check_cron,
    iso,
    next_due,
    zone,
)
from pipelines.store import Store, utc_now


@dataclass(frozen=True)
class CrawlArgs:
    """The crawl options a schedule runs with (what ``newsarc crawl`` would be given)."""

    urls: Sequence[str] = ()
    sites: str | None = None
    site_names: Sequence[str] = ()
    warc_dir: str = "warcs"
    max_pages: int = 0
    depth: int = 2
    allow_private: bool = False
    refresh: bool = False
    since: str | None = None
    overrides: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CrawlArgs:
        values = json.loads(text or "{}")
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})

    def argv(self, db: Path, crawl_id: str) -> list[str]:
        """Arguments of ``newsarc crawl`` for one run of this schedule into ``db``."""
        args = [*self.urls, "--db", str(db), "--warc-dir", self.warc_dir, "--crawl-id", crawl_id]
        if self.sites:
            args += ["--sites", self.sites]
        for name in self.site_names:
            args += ["--site", name]
        args += ["--max-pages", str(self.max_pages), "--depth", str(self.depth)]
        args += ["--allow-private"] * self.allow_private + ["--refresh"] * self.refresh
        if self.since:
            args += ["--since", self.since]
        for name, value in self.overrides.items():
            args += ["-s", f"{name}={value}"]
        return args


@dataclass(frozen=True)
class Schedule:
    """One row of ``schedules``."""

    name: str
    cron: str
    timezone: str
    args: CrawlArgs
    scrapyd: str | None
    paused: bool
    created_at: str
    next_run_at: str | None
    interval_seconds: int | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Schedule:
        return cls(
            row["name"], row["cron"], row["timezone"], CrawlArgs.from_json(row["args"]),
            row["scrapyd"], bool(row["paused"]), row["created_at"], row["next_run_at"],
            row["interval_seconds"],
        )  # fmt: skip


@dataclass(frozen=True)
class Run:
    """One scheduled run (a ``crawls`` row with a schedule)."""

    crawl_id: str
    schedule: str
    started_at: str
    finished_at: str | None
    status: str
    exit_status: int | None
    stats: dict[str, Any]
    scrapyd_job: str | None

    def count(self, key: str) -> int:
        return int(self.stats.get(key, 0) or 0)


class ScheduleStore:
    """Reads and writes schedules and runs through an open :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db

    def add(self, name: str, cron: str, tz: str, args: CrawlArgs, now: datetime,
            scrapyd: str | None = None) -> Schedule:  # fmt: skip
        """Create a schedule (ScheduleError if the name is taken or cron/zone are bad)."""
        if not name or not name.replace("-", "").replace("_", "").isalnum():
            raise ScheduleError(f"bad schedule name {name!r} (letters, digits, - and _)")
        zone(tz)
        check_cron(cron)
        if self.get(name) is not None:
            raise ScheduleError(f"schedule {name!r} exists (remove it first)")
        interval = INITIAL_AUTO_SECONDS if cron == AUTO else None
        self.db.execute(
            "INSERT INTO schedules (name, cron, timezone, args, scrapyd, created_at, next_run_at, "
            "interval_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                name,
                cron,
                tz,
                args.to_json(),
                scrapyd,
                iso(now),
                iso(next_due(cron, tz, INITIAL_AUTO_SECONDS, now)),
                interval,
            ],
        )
        return self.require(name)

    def get(self, name: str) -> Schedule | None:
        row = next(iter(self.db.query("SELECT * FROM schedules WHERE name = ?", [name])), None)
        return Schedule.from_row(row) if row else None

    def require(self, name: str) -> Schedule:
        schedule = self.get(name)
        if schedule is None:
            raise ScheduleError(f"no schedule named {name!r} (see `newsarc schedule list`)")
        return schedule

    def all(self) -> list[Schedule]:
        return [
            Schedule.from_row(r) for r in self.db.query("SELECT * FROM schedules ORDER BY name")
        ]

    def remove(self, name: str) -> None:
        self.require(name)
        self._write("DELETE FROM schedules WHERE name = ?", [name])

    def set_paused(self, name: str, paused: bool, now: datetime) -> None:
        """Pause, or resume with the next due time counted from ``now`` (no catch-up burst)."""
        schedule = self.require(name)
        due = iso(next_due(schedule.cron, schedule.timezone, schedule.interval_seconds, now))
        self._write(
            "UPDATE schedules SET paused = ?, next_run_at = ? WHERE name = ?",
            [int(paused), due, name],
        )

    def advance(self, schedule: Schedule, now: datetime) -> str:
        """Set the next due time to the first fire after ``now``; return it."""
        due = iso(next_due(schedule.cron, schedule.timezone, schedule.interval_seconds, now))
        self._write("UPDATE schedules SET next_run_at = ? WHERE name = ?", [due, schedule.name])
        return due

    # -- runs ------------------------------------------------------------------------

    def start_run(self, schedule: Schedule) -> str:
        """Create the ``crawls`` row of a run about to start and return its id."""
        crawl_id = self.store.start_crawl("crawl", {"schedule": schedule.name, **_plain(schedule)})
        self._write("UPDATE crawls SET schedule = ? WHERE id = ?", [schedule.name, crawl_id])
        return crawl_id

    def set_process(self, crawl_id: str, pid: int | None, job: str | None = None) -> None:
        self._write("UPDATE crawls SET pid = ?, scrapyd_job = ? WHERE id = ?", [pid, job, crawl_id])

    def adapt(self, crawl_id: str, bounds: tuple[int, int], now: datetime) -> int | None:
        """After a run of an ``auto`` schedule: learn its interval from the new articles the run
        brought, and set the next due time from it. Returns the new interval (None: not auto)."""
        row = next(iter(self.db.query(
            "SELECT s.name, s.interval_seconds, c.stats FROM crawls AS c "
            "JOIN schedules AS s ON s.name = c.schedule WHERE c.id = ? AND s.cron = ?",
            [crawl_id, AUTO],
        )), None)  # fmt: skip
        if row is None:
            return None
        new = int(json.loads(row["stats"] or "{}").get("newsarc/chain/new", 0) or 0)
        interval = adapt_interval(row["interval_seconds"] or INITIAL_AUTO_SECONDS, new, *bounds)
        due = iso(next_due(AUTO, "UTC", interval, now))
        self._write(
            "UPDATE schedules SET interval_seconds = ?, next_run_at = ? WHERE name = ?",
            [interval, due, row["name"]],
        )
        return interval

    def status_of(self, crawl_id: str) -> str | None:
        """The ``crawls`` status of a run (None if there is no such row)."""
        row = next(iter(self.db.query("SELECT status FROM crawls WHERE id = ?", [crawl_id])), None)
        return str(row["status"]) if row else None

    def pid_of(self, crawl_id: str) -> int | None:
        row = next(iter(self.db.query("SELECT pid FROM crawls WHERE id = ?", [crawl_id])), None)
        return int(row["pid"]) if row and row["pid"] is not None else None

    def record_skipped(self, schedule: Schedule, running: str) -> str:
        """A due run not started because run ``running`` of the same schedule still goes on."""
        crawl_id = self.start_run(schedule)
        self.store.finish_crawl(crawl_id, "skipped", {"skipped_because_running": running})
        return crawl_id

    def finish_run(self, crawl_id: str, exit_status: int, failure: str = "failed") -> None:
        """Record a run's exit status; a row the crawl left "running" becomes ``failure``."""
        status = "finished" if exit_status == 0 else failure
        self._write(
            "UPDATE crawls SET exit_status = ?, finished_at = coalesce(finished_at, ?), "
            "status = CASE WHEN status = 'running' THEN ? ELSE status END WHERE id = ?",
            [exit_status, utc_now(), status, crawl_id],
        )

    def running(self) -> list[Run]:
        """Runs recorded as started whose exit status is unknown (e.g. a daemon was killed)."""
        return self._runs("WHERE schedule IS NOT NULL AND exit_status IS NULL "
                          "AND status != 'skipped'", [], 1000)  # fmt: skip

    def runs(self, schedule: str | None = None, limit: int = 20) -> list[Run]:
        """The latest runs, newest first, of one schedule or of all."""
        if schedule is None:
            return self._runs("WHERE schedule IS NOT NULL", [], limit)
        return self._runs("WHERE schedule = ?", [schedule], limit)

    def last_run(self, schedule: str) -> Run | None:
        runs = self._runs("WHERE schedule = ? AND status != 'skipped'", [schedule], 1)
        return runs[0] if runs else None

    def new_articles(self, crawl_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """Articles first stored by this run (id, title, url)."""
        return list(self.db.query(
            "SELECT id, title, url FROM articles WHERE crawl_id = ? AND first_seen = last_seen "
            "ORDER BY id LIMIT ?", [crawl_id, limit],
        ))  # fmt: skip

    def _runs(self, where: str, params: list[Any], limit: int) -> list[Run]:
        rows = self.db.query(
            "SELECT id, schedule, started_at, finished_at, status, exit_status, stats, "
            f"scrapyd_job FROM crawls {where} ORDER BY started_at DESC, rowid DESC LIMIT ?",
            [*params, limit],
        )
        return [
            Run(r["id"], r["schedule"], r["started_at"], r["finished_at"], r["status"],
                r["exit_status"], json.loads(r["stats"] or "{}"), r["scrapyd_job"])
            for r in rows
        ]  # fmt: skip

    def _write(self, sql: str, params: list[Any]) -> None:
        self.db.execute(sql, params)  # sqlite-utils commits a write outside a transaction


def _plain(schedule: Schedule) -> dict[str, Any]:
    return {"cron": schedule.cron, "timezone": schedule.timezone, **asdict(schedule.args)}
