"""Replay through the command line and the Replayer: idempotent, resumable, filtered, revisits."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import crawler.replay as replay_module
from archive.writer import HttpExchange, WarcWriter, WarcWriterConfig
from crawler.cli import main
from crawler.replay import Replayer, ReplayFilters
from pipelines.chain import Chain
from pipelines.extract import ExtractConfig
from pipelines.pool import ExtractionPool, PoolConfig
from pipelines.store import Store
from tests.conftest import SHARED, CrawlResult, run_newsarc

WORDS = [
    "the",
    "council",
    "met",
    "on",
    "tuesday",
    "to",
    "discuss",
    "the",
    "new",
    "budget",
    "for",
    "schools",
    "roads",
    "and",
    "parks",
    "while",
    "residents",
    "gathered",
    "outside",
    "the",
    "hall",
    "asking",
    "for",
    "more",
    "money",
    "for",
    "libraries",
    "and",
    "buses",
    "the",
    "mayor",
    "said",
    "the",
    "plan",
    "balances",
    "every",
    "need",
    "and",
    "promised",
    "a",
    "public",
    "vote",
    "before",
    "the",
    "summer",
    "because",
    "the",
    "city",
    "must",
    "decide",
    "together",
    "how",
    "to",
    "spend",
    "its",
    "limited",
    "funds",
    "this",
    "year",
]


def article_html(n: int) -> bytes:
    text = " ".join(WORDS[(i * 7 + n) % len(WORDS)] for i in range(160))
    return (
        f"<html><head><title>Story {n}</title></head><body><nav>Home | News</nav>"
        f"<article><h1>Story number {n}</h1><p>{text}.</p><p>{text[::-1]}.</p></article>"
        "</body></html>"
    ).encode()


def exchange(url: str, body: bytes, day: int = 1, **kw: object) -> HttpExchange:
    values: dict[str, object] = {
        "url": url, "method": "GET", "request_headers": [], "request_body": b"",
        "status": 200, "reason": "OK",
        "response_headers": [("Content-Type", "text/html; charset=utf-8")],
        "response_body": body, "fetched_at": datetime(2025, 3, day, tzinfo=UTC),
    }  # fmt: skip
    values.update(kw)
    return HttpExchange(**values)  # type: ignore[arg-type]


def write_warc(directory: Path, exchanges: list[HttpExchange]) -> Path:
    with WarcWriter(WarcWriterConfig(directory)) as writer:
        for item in exchanges:
            writer.write_exchange(item)
        (name,) = writer.close()
    return directory / name


def replay(*args: str) -> Result:
    return CliRunner().invoke(main, ["replay", *args, "--workers", "0"])


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def test_second_replay_stores_nothing(demo_crawl: CrawlResult, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    warcs = [str(p) for p in sorted(demo_crawl.warc_dir.glob("*.warc.gz"))]
    first = replay(*warcs, "--db", str(db))
    assert first.exit_code == 0, first.output
    articles, pages = (
        count(db, "SELECT count(*) FROM articles"),
        count(db, "SELECT count(*) FROM pages"),
    )
    second = replay(*warcs, "--db", str(db))
    assert second.exit_code == 0, second.output
    assert "already-replayed-file" in second.output
    assert count(db, "SELECT count(*) FROM articles") == articles
    assert count(db, "SELECT count(*) FROM pages") == pages


def test_replayed_articles_carry_record_id_and_digest(
    demo_crawl: CrawlResult, tmp_path: Path
) -> None:
    db = tmp_path / "r.db"
    warcs = [str(p) for p in sorted(demo_crawl.warc_dir.glob("*.warc.gz"))]
    assert replay(*warcs, "--db", str(db)).exit_code == 0
    assert count(db, "SELECT count(*) FROM articles WHERE warc_record_id LIKE '<urn:uuid:%'") > 0
    assert count(db, "SELECT count(*) FROM articles WHERE warc_payload_digest IS NULL") == 0


class _StopAfter(Chain):
    """A chain whose ``finish`` is interrupted (Ctrl-C) after ``limit`` pages."""

    def __init__(self, store: Store, limit: int) -> None:
        super().__init__(store, ExtractConfig())
        self.limit = limit

    def finish(self, page, extracted):  # type: ignore[no-untyped-def]
        if self.limit == 0:
            raise KeyboardInterrupt
        self.limit -= 1
        return super().finish(page, extracted)


def test_interrupted_replay_resumes_without_doubles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(replay_module, "BATCH_RECORDS", 5)  # commit every 5 records
    warc = write_warc(
        tmp_path / "w", [exchange(f"http://n.example/{i}", article_html(i)) for i in range(30)]
    )
    with (
        Store(tmp_path / "r.db") as store,
        ExtractionPool(PoolConfig(workers=0), ExtractConfig()) as pool,
    ):
        report = Replayer(_StopAfter(store, 12), pool, ReplayFilters(), None).run([warc])
        assert report.interrupted
        done = count(tmp_path / "r.db", "SELECT count(*) FROM pages")
        assert done == 10  # two whole batches; the interrupted one was rolled back
        report = Replayer(Chain(store, ExtractConfig()), pool, ReplayFilters(), None).run([warc])
        assert not report.interrupted and report.skipped["done-before"] == done
    assert count(tmp_path / "r.db", "SELECT count(*) FROM pages") == 30
    assert count(tmp_path / "r.db", "SELECT count(DISTINCT url) FROM pages") == 30


def test_revisit_resolved_to_original_payload(tmp_path: Path) -> None:
    body = article_html(1)
    warc = write_warc(tmp_path / "w", [
        exchange("http://n.example/a", body, day=1),
        exchange("http://n.example/a", body, day=2),  # written as a revisit
    ])  # fmt: skip
    result = replay(str(warc), "--db", str(tmp_path / "r.db"))
    assert result.exit_code == 0, result.output
    assert "revisit-unresolved" not in result.output
    assert "new 1" in result.output and "unchanged 1" in result.output


def test_non_html_and_non_200_skipped_with_counts(tmp_path: Path) -> None:
    warc = write_warc(tmp_path / "w", [
        exchange("http://n.example/a", article_html(1)),
        exchange("http://n.example/x.json", b"{}", response_headers=[("Content-Type", "application/json")]),
        exchange("http://n.example/gone", b"", status=404, reason="Not Found"),
    ])  # fmt: skip
    result = replay(str(warc), "--db", str(tmp_path / "r.db"))
    assert result.exit_code == 0, result.output
    assert "not-html 1" in result.output and "not-200 1" in result.output


@pytest.mark.parametrize(
    ("option", "value", "stored"),
    [("--url-glob", "*/keep/*", 1), ("--site", "b.example", 1), ("--since", "2025-03-02", 1),
     ("--until", "2025-03-01", 1)],
)  # fmt: skip
def test_filters(tmp_path: Path, option: str, value: str, stored: int) -> None:
    warc = write_warc(tmp_path / "w", [
        exchange("http://a.example/keep/1", article_html(1), day=1),
        exchange("http://www.b.example/other/2", article_html(2), day=2),
    ])  # fmt: skip
    result = replay(str(warc), "--db", str(tmp_path / "r.db"), option, value)
    assert result.exit_code == 0, result.output
    assert count(tmp_path / "r.db", "SELECT count(*) FROM articles") == stored
    assert "filtered-" in result.output


def test_nothing_readable_exits_non_zero(tmp_path: Path) -> None:
    junk = tmp_path / "junk.warc.gz"
    junk.write_bytes(b"not an archive at all\n" * 10)
    result = replay(str(junk), "--db", str(tmp_path / "r.db"))
    assert result.exit_code == 1
    assert "nothing could be read" in result.output and "junk.warc.gz at offset 0" in result.output


def test_progress_line_on_stderr(tmp_path: Path) -> None:
    warc = write_warc(
        tmp_path / "w", [exchange(f"http://n.example/{i}", article_html(i)) for i in range(3)]
    )
    with (
        Store(tmp_path / "r.db") as store,
        ExtractionPool(PoolConfig(workers=0), ExtractConfig()) as pool,
    ):
        lines: list[int] = []
        replayer = Replayer(
            Chain(store, ExtractConfig()),
            pool,
            ReplayFilters(),
            None,
            lambda r: lines.append(r.records),
        )
        replayer._last_tick = -1e9  # the first batch reports at once
        replayer.run([warc])
    assert lines and lines[-1] >= 1


def test_killed_crawl_file_is_repaired_and_replays(tmp_path: Path) -> None:
    warcs = tmp_path / "warcs"
    writer = WarcWriter(WarcWriterConfig(warcs, pid=999_999_999))
    for i in range(4):
        writer.write_exchange(exchange(f"http://n.example/{i}", article_html(i)))
    (open_file,) = warcs.glob("*.open")
    with open_file.open("r+b") as fh:  # the crash tore the last record
        fh.truncate(open_file.stat().st_size - 100)
    repaired = CliRunner().invoke(main, ["archive", "repair", str(warcs)])
    assert repaired.exit_code == 0, repaired.output
    assert "repaired" in repaired.output
    (final,) = warcs.glob("*.warc.gz")
    result = replay(str(final), "--db", str(tmp_path / "r.db"))
    assert result.exit_code == 0, result.output
    assert count(tmp_path / "r.db", "SELECT count(*) FROM articles") == 3


@pytest.mark.shared
def test_wget_corpus_replays_with_counts(tmp_path: Path) -> None:
    warc = SHARED / "corpus" / "warc" / "aeb-dev-wget.warc.gz"
    result = replay(str(warc), "--db", str(tmp_path / "r.db"))
    assert result.exit_code == 0, result.output
    assert "replayed 92 records from 1 file(s)" in result.output
    assert count(tmp_path / "r.db", "SELECT count(*) FROM pages") + _skipped(result) == 92


def _skipped(result: Result) -> int:
    line = next(x for x in result.output.splitlines() if x.startswith("skipped:"))
    parts = line.removeprefix("skipped: ").split(";")[0].split(", ")
    return sum(int(p.rsplit(" ", 1)[1]) for p in parts if p != "none")


def test_repair_without_warc_directory_is_a_one_line_error(tmp_path: Path) -> None:
    result = run_newsarc("archive", "repair", cwd=tmp_path)
    assert result.returncode == 1
    assert "no ./warcs directory" in result.stderr and "Traceback" not in result.stderr


class _KillingPool(ExtractionPool):
    """A real one-worker pool whose worker is killed (SIGKILL, from outside) whenever
    ``victim``'s page is submitted: first with other pages in flight, then on its retry."""

    def __init__(self, victim: str) -> None:
        super().__init__(PoolConfig(workers=1), ExtractConfig())
        self.victim = victim
        self.kills = 0

    def submit(self, page):  # type: ignore[no-untyped-def]
        future = super().submit(page)
        self._kill_if_victim([page])
        return future

    def submit_many(self, pages):  # type: ignore[no-untyped-def]
        futures = super().submit_many(pages)
        self._kill_if_victim(pages)
        return futures

    def _kill_if_victim(self, pages) -> None:  # type: ignore[no-untyped-def]
        if any(page.url == self.victim for page in pages) and self._executor is not None:
            for process in list(self._executor._processes.values()):
                process.kill()
            self.kills += 1


def test_a_dead_worker_costs_one_page_not_the_replay(tmp_path: Path) -> None:
    """Pages in flight when the worker died are retried on a new pool (one restart for all of
    them); the page that kills it twice is recorded as extraction_crashed; the rest is stored."""
    victim = "http://n.example/7"
    warc = write_warc(
        tmp_path / "w", [exchange(f"http://n.example/{i}", article_html(i)) for i in range(20)]
    )
    with Store(tmp_path / "r.db") as store, _KillingPool(victim) as pool:
        chain = Chain(store, ExtractConfig())
        report = Replayer(chain, pool, ReplayFilters(), None).run([warc])
        assert pool.kills == 2 and pool.restarts == 2
    assert not report.interrupted and report.records == 20
    assert chain.counts["extraction_crashed"] == 1
    with sqlite3.connect(tmp_path / "r.db") as conn:
        stored = {url for (url,) in conn.execute("SELECT url FROM articles")}
        crashed = conn.execute("SELECT url FROM pages WHERE outcome = 'extraction_crashed'")
        assert [url for (url,) in crashed] == [victim]
    assert stored == {f"http://n.example/{i}" for i in range(20)} - {victim}
