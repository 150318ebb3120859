"""The query commands end to end through click: search, show, stories, export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from crawler.cli import main
from pipelines.items import Article
from pipelines.store import Store
from tests.test_dedup_corpus import DIFFERENT, NEAR_COPIES, ORIGINAL

KL = "https://news.example.org/2025/07/lavrov-rubio-kl"
MIRROR = "https://mirror.blogspot.com/2025/07/lavrov-rubio.html"
CALL = "https://wire.example.com/lavrov-rubio-call"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "news.db"
    with Store(path) as store:
        for url, title, text, published, fetched in (
            (KL, "Lavrov-Rubio meeting in KL", ORIGINAL, "2025-07-10T08:00:00Z", "2025-07-10T09:00:00Z"),
            (MIRROR, "Lavrov Rubio Meeting", NEAR_COPIES["cache notice appended"], "2025-07-10",
             "2025-07-10T12:00:00Z"),
            (CALL, "Lavrov and Rubio discuss prisoner swap", DIFFERENT["same people, other event"],
             "2025-08-02", "2025-08-02T10:00:00Z"),
            (KL, "Lavrov-Rubio meeting in KL", ORIGINAL.replace("on Wednesday.", "on Thursday.", 1),
             "2025-07-10T08:00:00Z", "2025-07-11T09:00:00Z"),
        ):  # fmt: skip
            store.save_article(Article(
                url=url, canonical_url="", site="", title=title, text=text, published=published,
                fetched_at=fetched, language="en", source_url=KL if url == MIRROR else None,
                warc_file="crawl-1.warc.gz", warc_offset=4096, warc_length=2048,
            ))  # fmt: skip
    return path


def run(db: Path, *args: str) -> Result:
    result = CliRunner().invoke(main, [*args, "--db", str(db)])
    return result


def test_search_table_one_line_per_story_with_highlighted_snippet(db: Path) -> None:
    result = run(db, "search", "Subang")
    assert result.exit_code == 0, result.output
    assert result.output.count("<https://") == 1
    assert "[Subang]" in result.output and KL in result.output


def test_search_copies(db: Path) -> None:
    result = run(db, "search", "Subang", "--copies", "--format", "jsonl")
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert sorted(r["url"] for r in rows) == sorted([KL, MIRROR])
    assert all(r["copies"] == 2 and "[Subang]" in r["snippet"] for r in rows)


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_search_formats(db: Path, fmt: str) -> None:
    result = run(db, "search", "Rubio", "--format", fmt, "--since", "2025-08-01")
    assert result.exit_code == 0, result.output
    if fmt == "json":
        rows = json.loads(result.output)
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in result.output.splitlines()]
    else:
        rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["url"] for r in rows] == [CALL]


@pytest.mark.parametrize("query", ["covid-19", '"unterminated', "AND", "(Rubio"])
def test_malformed_query_is_a_one_line_error(db: Path, query: str) -> None:
    result = run(db, "search", query)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.startswith("Error: bad search query") and result.output.count("\n") == 1


def test_literal_searches_the_words_as_typed(db: Path) -> None:
    result = run(db, "search", "Subang (air", "--literal")
    assert result.exit_code == 0, result.output
    assert "[Subang]" in result.output and KL in result.output  # "(air" is the phrase "air"


def test_stories(db: Path) -> None:
    result = run(db, "stories", "--min-copies", "2")
    assert result.exit_code == 0, result.output
    assert "2 copies on 2 sites" in result.output
    assert "  * 2025-07-10T08:00:00Z" in result.output and MIRROR in result.output
    assert CALL not in result.output
    rows = json.loads(run(db, "stories", "--since", "2025-08-01", "--format", "json").output)
    assert [r["representative_url"] for r in rows] == [CALL]


def test_show_story_copies_warc_and_history(db: Path) -> None:
    result = run(db, "show", KL + "?utm_source=x", "--history")
    assert result.exit_code == 0, result.output
    assert "2 copies on 2 sites (this copy is the representative)" in result.output
    assert f"#2 2025-07-10 {MIRROR}" in result.output
    assert "crawl-1.warc.gz offset 4096 length 2048" in result.output
    assert "version 1 (earlier) fetched 2025-07-10T09:00:00Z" in result.output
    assert "[-Wednesday.-] {+Thursday.+}" in result.output


def test_show_unknown_article(db: Path) -> None:
    result = run(db, "show", "999")
    assert result.exit_code == 1 and "no article '999'" in result.output


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_query_to_file(db: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    result = run(db, "export", "--format", fmt, "-o", str(out), "--query", "Subang",
                 "--site", "mirror.blogspot.com")  # fmt: skip
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    rows = ([json.loads(line) for line in text.splitlines()] if fmt == "jsonl"
            else list(csv.DictReader(io.StringIO(text))))  # fmt: skip
    assert [r["url"] for r in rows] == [MIRROR]


def test_export_whole_store_to_stdout(db: Path) -> None:
    result = run(db, "export")
    assert [json.loads(line)["url"] for line in result.output.splitlines()] == [KL, MIRROR, CALL]


def test_export_parquet(db: Path, tmp_path: Path) -> None:
    pq = pytest.importorskip(
        "pyarrow.parquet", reason="pyarrow absent: pip install 'newsarc[parquet]'"
    )
    out = tmp_path / "articles.parquet"
    result = run(db, "export", "--format", "parquet", "-o", str(out))
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.num_rows == 3 and table.column("url").to_pylist() == [KL, MIRROR, CALL]
    assert table.column("warc_offset").to_pylist() == [4096] * 3


def test_export_parquet_needs_a_file(db: Path) -> None:
    result = run(db, "export", "--format", "parquet")
    assert result.exit_code == 2 and "needs -o FILE" in result.output
