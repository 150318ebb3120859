"""The command line's answers to user mistakes: one line, no traceback, non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from crawler.cli import main

SITES = """
[[site]]
name = "portal"
start = ["http://news.example/"]
"""


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def assert_one_line_error(result: Result, *fragments: str) -> None:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for fragment in fragments:
        assert fragment in result.output


def test_replay_missing_file(tmp_path: Path) -> None:
    result = invoke("replay", str(tmp_path / "nope.warc.gz"), "--db", str(tmp_path / "x.db"))
    assert_one_line_error(result, "nope.warc.gz")


def test_search_without_database(tmp_path: Path) -> None:
    result = invoke("search", "minister", "--db", str(tmp_path / "missing.db"))
    assert_one_line_error(result, "no database at", "missing.db")


def test_unreadable_database(tmp_path: Path) -> None:
    db = tmp_path / "garbage.db"
    db.write_bytes(b"this is not a database at all" * 100)
    result = invoke("stats", "--db", str(db))
    assert_one_line_error(result, "garbage.db")


def test_unknown_site(tmp_path: Path) -> None:
    sites = tmp_path / "sites.toml"
    sites.write_text(SITES, encoding="utf-8")
    result = invoke(
        "crawl", "--sites", str(sites), "--site", "nosuch", "--db", str(tmp_path / "x.db")
    )
    assert_one_line_error(result, "unknown site 'nosuch'", "portal")


def test_missing_sites_file(tmp_path: Path) -> None:
    result = invoke("crawl", "--sites", str(tmp_path / "sites.toml"))
    assert_one_line_error(result, "sites file not found")


def test_bad_sites_file(tmp_path: Path) -> None:
    sites = tmp_path / "sites.toml"
    sites.write_text("[[site]\nname=", encoding="utf-8")
    result = invoke("crawl", "--sites", str(sites))
    assert_one_line_error(result, "not valid TOML")


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://127.0.0.1:9/", "--allow-private"),
        ("http://10.1.2.3/", "--allow-private"),
        ("http://169.254.169.254/latest/", "--allow-private"),
        ("ftp://news.example/", "not an http(s) URL"),
        ("not a url", "not an http(s) URL"),
    ],
)
def test_crawl_refuses_bad_or_private_targets(url: str, fragment: str, tmp_path: Path) -> None:
    result = invoke("crawl", url, "--db", str(tmp_path / "x.db"))
    assert_one_line_error(result, fragment)


def test_crawl_needs_a_target() -> None:
    result = invoke("crawl")
    assert_one_line_error(result, "give one or more URLs")


def test_bad_setting_override(tmp_path: Path) -> None:
    result = invoke(
        "crawl", "http://news.example/", "-s", "NOEQUALS", "--db", str(tmp_path / "x.db")
    )
    assert_one_line_error(result, "NAME=VALUE")


def test_show_unknown_article(tmp_path: Path) -> None:
    from pipelines.store import Store

    db = tmp_path / "empty.db"
    Store(db).close()
    result = invoke("show", "12345", "--db", str(db))
    assert_one_line_error(result, "no article '12345'")


def test_extract_missing_file_gives_error_row(tmp_path: Path) -> None:
    result = invoke("extract", str(tmp_path / "missing.html"), "--format", "jsonl")
    assert result.exit_code == 1
    assert '"error"' in result.output and "missing.html" in result.output


def test_index_of_a_file_that_is_not_a_warc(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not an archive\n", encoding="utf-8")
    result = invoke("index", str(bogus), "-o", str(tmp_path / "index.cdxj"))
    assert_one_line_error(result, "notes.txt: not a WARC or ARC file", "1 file(s) not indexed")
