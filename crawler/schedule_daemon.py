"""The scheduler daemon: starts due crawls as separate processes and records every run.

``Scheduler.tick(now)`` is the whole decision (time is passed in, so tests need no sleeping):
reap finished runs, then for every due, unpaused schedule either start a run or — when the
previous run of that schedule still goes on — record a "skipped" run and move on to the next
due time (a late run is never queued). A crawl that crashes is recorded with its exit status
and the daemon goes on. ``serve`` loops over ticks until SIGTERM/SIGINT, then lets the running
crawls finish or stops them, per ``ScheduleConfig.on_stop``.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

from crawler.schedule import ScheduleConfig
from crawler.schedule_store import Schedule, ScheduleStore

logger = logging.getLogger(__name__)


class Handle(Protocol):
    """A started run: a local process or a job on a Scrapyd server."""

    pid: int | None
    job: str | None

    def poll(self) -> int | None:
        """The exit status once finished (0 success), None while it runs."""

    def terminate(self) -> None:
        """Ask the run to stop gracefully."""

    def kill(self) -> None:
        """Stop the run now."""


class Launcher(Protocol):
    def start(self, schedule: Schedule, crawl_id: str) -> Handle:
        """Start one run of ``schedule`` recorded as ``crawl_id`` (OSError if it cannot)."""


class LocalHandle:
    """A crawl running as ``python -m crawler.cli crawl …`` in its own session."""

    def __init__(self, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
        self.process = process
        self.log = log
        self.pid: int | None = process.pid
        self.job: str | None = None

    def poll(self) -> int | None:
        code = self.process.poll()
        if code is not None and not self.log.closed:
            self.log.close()
        return code

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # Scrapy stops gracefully on the first SIGTERM

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()


class LocalLauncher:
    """Starts crawls as child processes of this Python, logging to ``log_dir/CRAWL_ID.log``."""

    def __init__(self, db: Path, log_dir: Path, python: str = sys.executable) -> None:
        self.db = db
        self.log_dir = log_dir
        self.python = python

    def start(self, schedule: Schedule, crawl_id: str) -> Handle:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / f"{crawl_id}.log").open("ab")
        argv = [self.python, "-m", "crawler.cli", "crawl", *schedule.args.argv(self.db, crawl_id)]
        try:
            # A session of its own: the terminal's Ctrl-C reaches the daemon only, which then
            # decides (on_stop) whether the crawl finishes or is terminated.
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        except OSError:
            log.close()
            raise
        return LocalHandle(process, log)


@dataclass
class Active:
    schedule: str
    crawl_id: str
    handle: Handle


@dataclass(frozen=True)
class Event:
    """What a tick did, for the log and the tests: started, skipped, finished, failed."""

    kind: str
    schedule: str
    crawl_id: str
    exit_status: int | None = None


class Scheduler:
    """Decides and starts runs; one instance per daemon process."""

    def __init__(
        self,
        schedules: ScheduleStore,
        launcher_for: Callable[[Schedule], Launcher],
        auto_bounds: tuple[int, int] = (900, 86400),
    ) -> None:
        self.schedules = schedules
        self.launcher_for = launcher_for
        self.auto_bounds = auto_bounds
        self.active: dict[str, Active] = {}

    def tick(self, now: datetime) -> list[Event]:
        """Reap finished runs, then start (or skip) every schedule due at ``now``."""
        events = self.reap(now)
        stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for schedule in self.schedules.all():
            if schedule.paused or not schedule.next_run_at or schedule.next_run_at > stamp:
                continue
            self.schedules.advance(schedule, now)
            events.append(self._fire(schedule))
        return events

    def _fire(self, schedule: Schedule) -> Event:
        running = self.active.get(schedule.name)
        if running is not None:
            crawl_id = self.schedules.record_skipped(schedule, running.crawl_id)
            logger.warning(
                "Schedule %s: run skipped, run %s is still going", schedule.name, running.crawl_id
            )
            return Event("skipped", schedule.name, crawl_id)
        crawl_id = self.schedules.start_run(schedule)
        try:
            handle = self.launcher_for(schedule).start(schedule, crawl_id)
        except OSError as exc:
            logger.error("Schedule %s: run %s could not start: %s", schedule.name, crawl_id, exc,
                         exc_info=True)  # fmt: skip
            self.schedules.finish_run(crawl_id, -1)
            return Event("failed", schedule.name, crawl_id, -1)
        self.schedules.set_process(crawl_id, handle.pid, handle.job)
        self.active[schedule.name] = Active(schedule.name, crawl_id, handle)
        logger.info("Schedule %s: run %s started (%s)", schedule.name, crawl_id,
                    f"pid {handle.pid}" if handle.pid else f"Scrapyd job {handle.job}")  # fmt: skip
        return Event("started", schedule.name, crawl_id)

    def reap(self, now: datetime | None = None) -> list[Event]:
        """Record the runs that ended since the last call (and learn ``auto`` intervals)."""
        events = []
        for name, active in list(self.active.items()):
            try:
                code = active.handle.poll()
            except OSError as exc:
                logger.warning("Run %s: cannot get its state: %s", active.crawl_id, exc)
                continue
            if code is None:
                continue
            del self.active[name]
            self.schedules.finish_run(active.crawl_id, code)
            interval = self.schedules.adapt(
                active.crawl_id, self.auto_bounds, now or datetime.now(UTC)
            )
            if interval is not None:
                logger.info("Schedule %s: next run in %d s (learned)", name, interval)
            kind = "finished" if code == 0 else "failed"
            log = logger.info if code == 0 else logger.error
            log("Schedule %s: run %s %s (exit status %s)", name, active.crawl_id, kind, code)
            events.append(Event(kind, name, active.crawl_id, code))
        return events

    def wait(self, until: threading.Event | None = None, poll: float = 0.2,
             timeout: float | None = None) -> list[Event]:  # fmt: skip
        """Reap until no run is active, ``until`` is set, or ``timeout`` seconds passed."""
        events: list[Event] = []
        waited = 0.0
        while self.active and not (until is not None and until.is_set()):
            events += self.reap()
            if not self.active or (timeout is not None and waited >= timeout):
                break
            (until or threading.Event()).wait(poll)
            waited += poll
        return events + self.reap()

    def stop_all(self, timeout: float) -> list[Event]:
        """SIGTERM every running crawl, wait ``timeout`` seconds, then SIGKILL what is left."""
        for active in self.active.values():
            logger.info("Stopping run %s of schedule %s", active.crawl_id, active.schedule)
            active.handle.terminate()
        events = self.wait(timeout=timeout)
        for active in self.active.values():
            logger.warning("Run %s did not stop in %.0f s: killed", active.crawl_id, timeout)
            active.handle.kill()
        return events + self.wait(timeout=timeout)

    def mark_lost(self) -> int:
        """Runs left "running" by a daemon that died, whose process is gone, become "lost"."""
        lost = 0
        for run in self.schedules.running():
            pid = self.schedules.pid_of(run.crawl_id)
            if pid is None or not _alive(pid):
                self.schedules.finish_run(run.crawl_id, -1, failure="lost")
                lost += 1
        return lost


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StopSignals:
    """SIGTERM/SIGINT set ``stop``; a second one sets ``force`` (wait mode turns to terminate)."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.force = threading.Event()

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.stop.is_set():
            self.force.set()
        logger.info("Signal %s: stopping", signal.Signals(signum).name)
        self.stop.set()


def serve(scheduler: Scheduler, config: ScheduleConfig, once: bool,
          clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> int:  # fmt: skip
    """Run the daemon (``once``: start what is due now, wait for it, exit); return the exit status."""
    signals = StopSignals()
    signals.install()
    lost = scheduler.mark_lost()
    if lost:
        logger.warning("%d run(s) of an earlier daemon were lost", lost)
    events = scheduler.tick(clock())
    while not once and not signals.stop.is_set():
        signals.stop.wait(config.poll_seconds)
        if not signals.stop.is_set():
            events += scheduler.tick(clock())
    if once and not signals.stop.is_set():
        events += scheduler.wait(until=signals.stop)
    events += _shutdown(scheduler, config, signals)
    failed = [e for e in events if e.kind == "failed"]
    return 1 if once and failed else 0


def _shutdown(scheduler: Scheduler, config: ScheduleConfig, signals: StopSignals) -> list[Event]:
    if not scheduler.active:
        return []
    if config.on_stop == "wait":
        logger.info("Waiting for %d running crawl(s) (signal again to stop them)",
                    len(scheduler.active))  # fmt: skip
        events = scheduler.wait(until=signals.force)
        if not scheduler.active:
            return events
        return events + scheduler.stop_all(config.stop_timeout)
    return scheduler.stop_all(config.stop_timeout)
