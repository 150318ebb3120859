"""Provenance: from an article row back to its archived HTTP response, and reextract."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner, Result

from crawler.cli import main
from crawler.provenance import ProvenanceError, raw_response
from pipelines.extract import EXTRACTOR_VERSION
from pipelines.store import Store
from tests.test_replay import article_html, exchange, write_warc


def _replayed(tmp_path: Path) -> tuple[Path, Path]:
    warcs = tmp_path / "warcs"
    warc = write_warc(warcs, [exchange(f"http://n.example/{i}", article_html(i)) for i in range(3)])
    db = tmp_path / "r.db"
    result = CliRunner().invoke(main, ["replay", str(warc), "--db", str(db), "--workers", "0"])
    assert result.exit_code == 0, result.output
    return db, warcs


def reextract(db: Path, warcs: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["reextract", *args, "--db", str(db), "--warc-dir", str(warcs)])


def test_raw_response_is_the_archived_http_message(tmp_path: Path) -> None:
    db, warcs = _replayed(tmp_path)
    with Store(db) as store:
        raw = raw_response(store, 1, [warcs])
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
    assert raw.endswith(article_html(0))


def test_raw_response_names_the_missing_file(tmp_path: Path) -> None:
    db, _ = _replayed(tmp_path)
    with Store(db) as store:
        try:
            raw_response(store, 1, [tmp_path / "elsewhere"])
        except ProvenanceError as exc:
            assert "not found in" in str(exc) and "--warc-dir" in str(exc)
        else:
            raise AssertionError("expected ProvenanceError")


def test_reextract_all_unchanged(tmp_path: Path) -> None:
    db, warcs = _replayed(tmp_path)
    result = reextract(db, warcs, "--all")
    assert result.exit_code == 0, result.output
    assert result.output.count("\tunchanged") == 3


def test_reextract_updates_only_changed_rows(tmp_path: Path) -> None:
    db, warcs = _replayed(tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE articles SET title = 'stale', extractor_version = 'old' WHERE id = 2")
    result = reextract(db, warcs, "--all", "--changed-only")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines() == ["2\tupdated\ttitle"]
    with sqlite3.connect(db) as conn:
        title, version = conn.execute(
            "SELECT title, extractor_version FROM articles WHERE id = 2"
        ).fetchone()
    assert title != "stale" and version == EXTRACTOR_VERSION


def test_reextract_needs_id_or_all(tmp_path: Path) -> None:
    db, warcs = _replayed(tmp_path)
    assert reextract(db, warcs).exit_code == 2
