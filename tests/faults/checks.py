"""Checks shared by the fault tests: the database and the WARC files a (killed) crawl left behind."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlite_utils import Database

from archive.reader import ReadProblem, iter_responses
from archive.repair import repair_paths
from pipelines.query import fts_consistent
from tests.conftest import FAST, REPO
from tests.hostile_crawl import INLINE, LIMITS, ONLY_127_0_0_1


def crawl_command(url: str, db: Path, warcs: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "crawler.cli", "crawl", url, "--depth", "1", "--db", str(db),
        "--warc-dir", str(warcs), *ONLY_127_0_0_1, *FAST, *LIMITS, *INLINE, *extra,
    ]  # fmt: skip


def crawl_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def assert_database_sound(db: Path) -> None:
    """``PRAGMA integrity_check`` is ok and the FTS index matches ``articles``."""
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    database = Database(db)
    try:
        assert fts_consistent(database)
    finally:
        database.close()


def responses(path: Path) -> tuple[list[int], list[ReadProblem]]:
    problems: list[ReadProblem] = []
    offsets = [r.offset for r in iter_responses(path, problems.append, revisits=True)]
    return offsets, problems


def warcio_check(warcs: Path) -> None:
    """``warcio check`` accepts every (closed) WARC file of ``warcs``."""
    files = sorted(warcs.glob("*.warc.gz"))
    if files:
        check = subprocess.run(["warcio", "check", *map(str, files)], capture_output=True,
                               text=True, check=False)  # fmt: skip
        assert check.returncode == 0, check.stdout[-2000:]


def repair_and_check_warcs(warcs: Path, checked: set[str] | None = None) -> int:
    """Repair ``.open`` files; every file then reads without a problem (see also warcio_check).

    Returns the number of complete response records lost by repair (must be 0: only the torn
    record at the end of an ``.open`` file may go). Names in ``checked`` are not checked again
    (closed files do not change); the names checked now are added to it.
    """
    checked = set() if checked is None else checked
    lost = 0
    for path in sorted(warcs.glob("*.open")):
        before, _ = responses(path)
        (result,) = repair_paths([path], force=True)
        assert result.action in ("repaired", "complete"), result
        after = responses(result.final_path)[0] if result.final_path else []
        lost += len(set(before) - set(after))
    files = [p for p in sorted(warcs.glob("*.warc.gz")) if p.name not in checked]
    checked.update(p.name for p in files)
    for path in files:
        assert responses(path)[1] == [], path
    return lost


def assert_rows_point_at_records(db: Path, warcs: Path) -> None:
    """Every stored article points at a response record that exists (rows follow records)."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT url, warc_file, warc_offset FROM articles").fetchall()
    offsets: dict[str, set[int]] = {}
    for url, name, offset in rows:
        if name not in offsets:
            offsets[name] = set(responses(warcs / name)[0]) if (warcs / name).exists() else set()
        assert offset in offsets[name], f"{url}: no record at {name}:{offset}"
