"""Scheduling: cron with time zones, due runs with an injected clock, skipped and failed runs.

The scheduler decides from the ``now`` it is given, so due times are tested without sleeping;
the runs themselves are real crawl processes of the demo sites where that matters.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.demo.server import DemoSites
from crawler.schedule import ScheduleConfig, ScheduleError, next_fire, project_settings
from crawler.schedule_daemon import LocalLauncher, Scheduler
from crawler.schedule_health import source_health
from crawler.schedule_store import CrawlArgs, Schedule, ScheduleStore
from pipelines.items import Page
from pipelines.store import Store

REPO = Path(__file__).resolve().parent.parent
FAST = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "NEWSARC_POOL_WORKERS": "0"}
T0 = datetime(2026, 1, 5, 8, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cron", "tz", "after", "expected"),
    [
        ("*/30 * * * *", "UTC", "2026-01-05T08:10:00", "2026-01-05T08:30:00"),
        ("0 6 * * *", "Europe/Paris", "2026-01-05T08:00:00", "2026-01-06T05:00:00"),
        ("0 6 * * *", "Europe/Paris", "2026-07-05T08:00:00", "2026-07-06T04:00:00"),
        # 02:30 does not exist on 29 March 2026 in Berlin (clocks jump 02:00 → 03:00)
        ("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00", "2026-03-29T01:00:00"),
        ("0 9 * * 1-5", "America/New_York", "2026-01-09T15:00:00", "2026-01-12T14:00:00"),
    ],
)
def test_next_fire_in_time_zone(cron: str, tz: str, after: str, expected: str) -> None:
    start = datetime.fromisoformat(after).replace(tzinfo=UTC)
    assert next_fire(cron, tz, start) == datetime.fromisoformat(expected).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("cron", "tz", "message"),
    [("61 * * * *", "UTC", "bad cron"), ("* * *", "UTC", "bad cron"),
     ("0 * * * *", "Mars/Olympus", "unknown time zone")],
)  # fmt: skip
def test_bad_schedule_is_refused(cron: str, tz: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        next_fire(cron, tz, T0)


@pytest.mark.parametrize(
    ("name", "value"),
    [("NEWSARC_SCHEDULE_ON_STOP", "later"), ("NEWSARC_SCHEDULE_POLL_SECONDS", "0")],
)
def test_bad_scheduler_setting_names_itself(name: str, value: str) -> None:
    with pytest.raises(ScheduleError, match=name):
        ScheduleConfig.from_settings(project_settings({name: value}))


class FakeHandle:
    def __init__(self) -> None:
        self.pid: int | None = 4242
        self.job: str | None = None
        self.code: int | None = None
        self.terminated = False

    def poll(self) -> int | None:
        return self.code

    def terminate(self) -> None:
        self.terminated = True
        self.code = -15

    def kill(self) -> None:
        self.code = -9


class FakeLauncher:
    def __init__(self) -> None:
        self.started: list[tuple[str, FakeHandle]] = []

    def start(self, schedule: Schedule, crawl_id: str) -> FakeHandle:
        handle = FakeHandle()
        self.started.append((schedule.name, handle))
        return handle


@pytest.fixture(autouse=True)
def this_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Crawl processes started by the scheduler import this checkout's code."""
    monkeypatch.setenv("PYTHONPATH", str(REPO))


@pytest.fixture
def schedules(tmp_path: Path) -> Iterator[ScheduleStore]:
    with Store(tmp_path / "news.db") as store:
        yield ScheduleStore(store)


def _kinds(events: list) -> list[tuple[str, str]]:
    return [(e.kind, e.schedule) for e in events]


def test_run_starts_only_when_due(schedules: ScheduleStore) -> None:
    schedules.add("half", "*/30 * * * *", "UTC", CrawlArgs(urls=["http://a.example/"]), T0)
    launcher = FakeLauncher()
    scheduler = Scheduler(schedules, lambda s: launcher)
    assert scheduler.tick(T0 + timedelta(minutes=29)) == []
    assert _kinds(scheduler.tick(T0 + timedelta(minutes=30))) == [("started", "half")]
    assert schedules.require("half").next_run_at == "2026-01-05T09:00:00Z"


def test_late_run_is_skipped_not_queued(schedules: ScheduleStore) -> None:
    schedules.add("half", "*/30 * * * *", "UTC", CrawlArgs(urls=["http://a.example/"]), T0)
    launcher = FakeLauncher()
    scheduler = Scheduler(schedules, lambda s: launcher)
    scheduler.tick(T0 + timedelta(minutes=30))
    # the first run still goes on three due times later: one skipped run, not three queued
    events = scheduler.tick(T0 + timedelta(hours=2))
    assert _kinds(events) == [("skipped", "half")]
    assert len(launcher.started) == 1
    launcher.started[0][1].code = 0
    assert _kinds(scheduler.tick(T0 + timedelta(hours=2, minutes=1))) == [("finished", "half")]
    statuses = [(r.status, r.exit_status) for r in schedules.runs("half")]
    assert statuses == [("skipped", None), ("finished", 0)]


def test_crashed_run_is_recorded_and_others_go_on(schedules: ScheduleStore) -> None:
    for name in ("a", "b"):
        schedules.add(name, "0 * * * *", "UTC", CrawlArgs(urls=["http://a.example/"]), T0)
    launcher = FakeLauncher()
    scheduler = Scheduler(schedules, lambda s: launcher)
    scheduler.tick(T0 + timedelta(hours=1))
    launcher.started[0][1].code = 1
    events = scheduler.tick(T0 + timedelta(hours=2))
    assert _kinds(events) == [("failed", "a"), ("started", "a"), ("skipped", "b")]
    crashed = schedules.runs("a")[-1]
    assert (crashed.status, crashed.exit_status) == ("failed", 1)


def test_paused_schedule_does_not_run_and_resumes_without_catch_up(
    schedules: ScheduleStore,
) -> None:
    schedules.add("h", "0 * * * *", "UTC", CrawlArgs(urls=["http://a.example/"]), T0)
    schedules.set_paused("h", True, T0)
    launcher = FakeLauncher()
    scheduler = Scheduler(schedules, lambda s: launcher)
    assert scheduler.tick(T0 + timedelta(hours=5)) == []
    schedules.set_paused("h", False, T0 + timedelta(hours=5, minutes=10))
    assert scheduler.tick(T0 + timedelta(hours=5, minutes=20)) == []
    assert _kinds(scheduler.tick(T0 + timedelta(hours=6))) == [("started", "h")]


def test_stop_all_terminates_running_crawls(schedules: ScheduleStore) -> None:
    schedules.add("h", "0 * * * *", "UTC", CrawlArgs(urls=["http://a.example/"]), T0)
    launcher = FakeLauncher()
    scheduler = Scheduler(schedules, lambda s: launcher)
    scheduler.tick(T0 + timedelta(hours=1))
    events = scheduler.stop_all(timeout=1)
    assert launcher.started[0][1].terminated
    assert _kinds(events) == [("failed", "h")]
    assert schedules.runs("h")[0].exit_status == -15


# --- real crawl processes -------------------------------------------------------------------


def _demo_args(sites: DemoSites, tmp_path: Path) -> CrawlArgs:
    return CrawlArgs(
        urls=[sites.portal_url, sites.mirror_url], warc_dir=str(tmp_path / "warcs"),
        depth=3, allow_private=True, overrides=FAST,
    )  # fmt: skip


def test_scheduled_crawls_are_recorded_and_incremental(
    demo_sites: DemoSites, tmp_path: Path
) -> None:
    db = tmp_path / "news.db"
    with Store(db) as store:
        schedules = ScheduleStore(store)
        schedules.add("demo", "*/5 * * * *", "Europe/Paris", _demo_args(demo_sites, tmp_path), T0)
        scheduler = Scheduler(schedules, lambda s: LocalLauncher(db, tmp_path / "logs"))
        for minute in (5, 10):
            assert _kinds(scheduler.tick(T0 + timedelta(minutes=minute))) == [("started", "demo")]
            assert _kinds(scheduler.wait(timeout=120)) == [("finished", "demo")]
        second, first = schedules.runs("demo")
        assert schedules.new_articles(first.crawl_id)
    assert (first.status, first.exit_status) == ("finished", 0)
    assert first.count("newsarc/chain/new") > 5
    assert first.count("newsarc/warc/files") >= 1
    assert second.count("newsarc/chain/new") == 0
    assert second.count("newsarc/incremental/skipped") > 0
    assert second.count("newsarc/incremental/not_modified") > 0
    assert second.count("downloader/response_count") < first.count("downloader/response_count")
    result = CliRunner().invoke(main, ["runs", "--db", str(db), "--articles"])
    assert result.exit_code == 0, result.output
    assert first.crawl_id in result.output and "finished" in result.output
    assert "    + [" in result.output


def test_crawl_process_that_fails_is_recorded(tmp_path: Path) -> None:
    sites = tmp_path / "sites.toml"
    sites.write_text('[[site]]\nname = "x"\nstart = ["http://127.0.0.1:9/"]\n', encoding="utf-8")
    db = tmp_path / "news.db"
    with Store(db) as store:
        schedules = ScheduleStore(store)
        schedules.add("gone", "0 * * * *", "UTC", CrawlArgs(sites=str(sites)), T0)
        sites.unlink()  # the crawl process fails at start: its sites file is gone
        scheduler = Scheduler(schedules, lambda s: LocalLauncher(db, tmp_path / "logs"))
        scheduler.tick(T0 + timedelta(hours=1))
        events = scheduler.wait(timeout=60)
        run = schedules.runs("gone")[0]
    assert _kinds(events) == [("failed", "gone")]
    assert (run.status, run.exit_status) == ("failed", 1)
    assert "sites.toml" in (tmp_path / "logs" / f"{run.crawl_id}.log").read_text()


def test_daemon_stops_running_crawl_on_sigterm(demo_sites: DemoSites, tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    slow = dict(FAST, DOWNLOAD_DELAY="2")  # a crawl that lasts long enough to be stopped
    args = CrawlArgs(urls=[demo_sites.portal_url], allow_private=True, overrides=slow,
                     warc_dir=str(tmp_path / "warcs"))  # fmt: skip
    with Store(db) as store:
        ScheduleStore(store).add("slow", "* * * * *", "UTC", args, T0)  # due at once
    daemon = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "schedule", "run", "--db", str(db),
         "-s", "NEWSARC_SCHEDULE_ON_STOP=terminate", "-s", "NEWSARC_SCHEDULE_POLL_SECONDS=0.2",
         "-s", f"NEWSARC_SCHEDULE_LOG_DIR={tmp_path / 'logs'}"],
        stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert daemon.stderr is not None
    for line in daemon.stderr:
        if "started (pid" in line:
            break
    daemon.send_signal(signal.SIGTERM)
    _, err = daemon.communicate(timeout=90)
    assert daemon.returncode == 0, err
    with Store(db) as store:
        run = ScheduleStore(store).runs("slow")[0]
    assert run.exit_status is not None and run.finished_at is not None
    assert run.status != "running"


def test_schedule_commands(tmp_path: Path) -> None:
    db = str(tmp_path / "news.db")
    runner = CliRunner()

    def ok(*args: str) -> str:
        result = runner.invoke(main, [*args, "--db", db])
        assert result.exit_code == 0, result.output
        return result.output

    assert "next run" in ok("schedule", "add", "morning", "https://news.example/",
                            "--cron", "0 6 * * *", "--tz", "Europe/Paris")  # fmt: skip
    assert "morning" in ok("schedule", "list")
    ok("schedule", "pause", "morning")
    assert "paused" in ok("schedule", "list")
    assert "next run" in ok("schedule", "resume", "morning")
    ok("schedule", "remove", "morning")
    assert "no schedules" in ok("schedule", "list")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["add", "x", "https://n.example/", "--cron", "bad"], "bad cron expression"),
        (["add", "x", "https://n.example/", "--cron", "* * * * *", "--tz", "Nowhere/X"],
         "unknown time zone"),
        (["add", "x", "--cron", "* * * * *"], "give one or more URLs"),
        (["add", "x", "http://127.0.0.1/", "--cron", "* * * * *"], "--allow-private"),
        (["remove", "nope"], "no schedule named 'nope'"),
        (["run", "-s", "NEWSARC_SCHEDULE_ON_STOP=never"], "NEWSARC_SCHEDULE_ON_STOP"),
    ],
)  # fmt: skip
def test_schedule_errors_are_one_line(tmp_path: Path, args: list[str], fragment: str) -> None:
    db = tmp_path / "news.db"
    CliRunner().invoke(main, ["schedule", "list", "--db", str(db)])
    Store(db).close()
    result = CliRunner().invoke(main, ["schedule", *args, "--db", str(db)])
    assert result.exit_code != 0
    assert fragment in result.output
    assert "Traceback" not in result.output


def test_once_runs_what_is_due_and_exits(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    with Store(db) as store:
        ScheduleStore(store).add("later", "0 0 1 1 *", "UTC", CrawlArgs(urls=["http://a.example/"]),
                                 datetime.now(UTC))  # fmt: skip
    process = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "schedule", "run", "--once", "--db", str(db)],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    with Store(db) as store:
        assert ScheduleStore(store).runs() == []


def _page(url: str, crawl_id: str, status: int = 200) -> Page:
    return Page(url=url, final_url=url, status=status, headers={}, body=b"",
                fetched_at="2026-01-05T08:00:00Z", crawl_id=crawl_id)  # fmt: skip


def test_source_health_warns_when_a_source_suddenly_yields_nothing(tmp_path: Path) -> None:
    with Store(tmp_path / "news.db") as store:
        outcomes = [["new", "new"], ["new"], ["not_article", "followed"]]
        for n, run in enumerate(outcomes):
            crawl_id = store.start_crawl("crawl", {})
            for i, outcome in enumerate(run):
                store.record_page(_page(f"http://a.example/{n}-{i}", crawl_id), outcome)
        store.record_page(_page("http://b.example/", crawl_id, status=503), "http-error")
        health = {h.site: h for h in source_health(store)}
    a, b = health["a.example"], health["b.example"]
    assert a.new_per_run == [0, 1, 2]
    assert a.warning is not None and "no new article" in a.warning
    assert a.error_rate == 0 and a.article_share == 0.75
    assert b.error_rate == 1.0 and b.warning is not None and "every fetch failed" in b.warning
    result = CliRunner().invoke(main, ["sources", "--db", str(tmp_path / "news.db")])
    assert result.exit_code == 0, result.output
    assert "a.example" in result.output and "warning: a.example" in result.output


def test_auto_interval_is_learned_from_new_articles(schedules: ScheduleStore) -> None:
    schedules.add("wire", "auto", "UTC", CrawlArgs(urls=["http://a.example/"]), T0)
    assert schedules.require("wire").next_run_at == "2026-01-05T09:00:00Z"
    launcher = FakeLauncher()
    scheduler = Scheduler(schedules, lambda s: launcher, auto_bounds=(900, 7200))
    now = T0 + timedelta(hours=1)
    for brought, expected in [(0, 5400), (0, 7200), (3, 3600), (5, 1800), (9, 900)]:
        assert _kinds(scheduler.tick(now)) == [("started", "wire")]
        crawl_id = schedules.runs("wire")[0].crawl_id
        schedules.store.finish_crawl(crawl_id, "finished", {"newsarc/chain/new": brought})
        launcher.started[-1][1].code = 0
        scheduler.reap(now)
        learned = schedules.require("wire")
        assert learned.interval_seconds == expected
        now += timedelta(seconds=expected)
        assert learned.next_run_at == now.strftime("%Y-%m-%dT%H:%M:%SZ")
    result = CliRunner().invoke(main, ["schedule", "list", "--db", str(schedules.store.path)])
    assert "auto (15m)" in result.output
