"""Site template learning: counting, removing, never touching shared quotes, and reclean."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from pipelines.chain import Chain
from pipelines.extract import ExtractConfig
from pipelines.items import Article, Page
from pipelines.store import Store
from pipelines.templates import (
    TemplateConfig,
    normalize_paragraph,
    paragraph_key,
    site_template_rows,
    strip_templates,
)

SITE = "https://mirror.example"
TEMPLATE = "Baca juga berita lain di laman kami setiap hari, jangan lupa kongsi."
DATE_BAR = "Today: 11 July 2025"
QUOTE = "“We will not give up the river,” the mayor told reporters on Thursday."
STORIES = [
    (
        "The council approved a new budget for the northern district after a long debate "
        "about schools, roads and the cost of repairing the old market hall."
    ),
    (
        "Fishermen in the bay said catches had fallen by half since the spring, and asked "
        "the state government for help with fuel prices and new nets."
    ),
    (
        "A new ferry line will link the two islands from September, cutting the journey "
        "from three hours to forty minutes, the transport ministry said."
    ),
    (
        "Volunteers planted four thousand mangrove seedlings along the coast on Saturday to "
        "protect the villages behind them from storms and erosion."
    ),
]


def _page(url: str) -> Page:
    return Page(
        url=url, final_url=url, status=200, headers={}, body=b"", fetched_at="2025-07-11T00:00:00Z"
    )


def _article(url: str, *paragraphs: str) -> Article:
    text = "\n\n".join(paragraphs)
    return Article(url=url, canonical_url=url, site="", title="t", text=text, word_count=0)


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    with Store(tmp_path / "news.db") as store:
        yield Chain(store, ExtractConfig())


def _save(chain: Chain, n: int, *paragraphs: str) -> Article:
    article = _article(f"{SITE}/2025/07/story-{n}.html", *paragraphs)
    chain.finish(_page(article.url), article)
    return article


def _stored_text(chain: Chain, n: int) -> str:
    url = f"{SITE}/2025/07/story-{n}.html"
    return str(next(chain.store.db.query("SELECT text FROM articles WHERE url = ?", [url]))["text"])


def test_normalize_paragraph_folds_case_punctuation_and_numbers() -> None:
    assert normalize_paragraph("Today: 11 July 2025") == normalize_paragraph("TODAY — 9 july 2026")
    assert paragraph_key("Share   this!") == paragraph_key("share this")


def test_paragraph_on_three_stories_becomes_template_and_is_removed(chain: Chain) -> None:
    for n in range(3):
        _save(chain, n, STORIES[n], TEMPLATE, DATE_BAR.replace("11", str(10 + n)))
    assert TEMPLATE in _stored_text(chain, 2)  # learned after it was stored
    fourth = _save(chain, 3, DATE_BAR, STORIES[3], TEMPLATE)
    assert fourth.text == STORIES[3]
    assert fourth.word_count == len(STORIES[3].split())
    assert _stored_text(chain, 3) == STORIES[3]


def test_quote_shared_by_copies_of_one_story_is_never_template(chain: Chain) -> None:
    for n in range(4):  # four copies of one story (exact copies share a story id)
        _save(chain, n, STORIES[0], QUOTE)
    fifth = _save(chain, 9, STORIES[1], QUOTE)
    assert QUOTE in fifth.text


def test_long_paragraphs_are_never_template(chain: Chain) -> None:
    long_paragraph = " ".join(["word"] * 41)
    for n in range(4):
        _save(chain, n, STORIES[n], long_paragraph)
    assert long_paragraph in _stored_text(chain, 3)


def test_templates_are_per_site(chain: Chain) -> None:
    for n in range(3):
        _save(chain, n, STORIES[n], TEMPLATE)
    other = _article("https://other.example/2025/07/a-story.html", STORIES[3], TEMPLATE)
    chain.finish(_page(other.url), other)
    assert TEMPLATE in other.text


def test_a_text_that_is_all_template_is_left_alone(chain: Chain) -> None:
    for n in range(3):
        _save(chain, n, STORIES[n], TEMPLATE)
    config = TemplateConfig()
    assert strip_templates(chain.store.db, "mirror.example", TEMPLATE, config) == (TEMPLATE, 0)


def test_disabled_learning_changes_nothing(tmp_path: Path) -> None:
    config = ExtractConfig(templates=TemplateConfig(enabled=False))
    with Store(tmp_path / "news.db") as store:
        chain = Chain(store, config)
        for n in range(4):
            _save(chain, n, STORIES[n], TEMPLATE)
        assert TEMPLATE in _stored_text(chain, 3)
        assert site_template_rows(store.db, None, TemplateConfig()) == []


def test_reclean_removes_templates_learned_later(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    with Store(db) as store:
        chain = Chain(store, ExtractConfig())
        for n in range(4):
            _save(chain, n, STORIES[n], TEMPLATE)
        store.commit()
        before = {
            r["url"]: r["text_hash"] for r in store.db.query("SELECT url, text_hash FROM articles")
        }
    result = CliRunner().invoke(main, ["reclean", "--site", "www.mirror.example", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "3 re-cleaned, 3 paragraph(s) removed" in result.output
    with Store(db) as store:
        rows = list(
            store.db.query("SELECT url, text, text_hash, word_count FROM articles ORDER BY url")
        )
        assert all(TEMPLATE not in r["text"] for r in rows)
        assert all(r["text_hash"] != before[r["url"]] for r in rows[:3])
        assert all(r["word_count"] == len(r["text"].split()) for r in rows)
        hits = list(
            store.db.query("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'kongsi'")
        )
        assert hits == []
    listed = CliRunner().invoke(main, ["reclean", "--list", "--db", str(db)])
    assert listed.exit_code == 0 and TEMPLATE in listed.output


def test_reclean_without_database_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["reclean", "--db", str(tmp_path / "none.db")])
    assert result.exit_code != 0
    assert "no database" in result.output


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NEWSARC_TEMPLATE_MIN_STORIES", "1"),
        ("NEWSARC_TEMPLATE_MIN_STORIES", "three"),
        ("NEWSARC_TEMPLATE_MAX_WORDS", 0),
        ("NEWSARC_TEMPLATE_ENABLED", "maybe"),
    ],
)
def test_config_rejects_invalid_values(name: str, value: object) -> None:
    with pytest.raises(ValueError, match=name):
        TemplateConfig.from_settings({name: value})


def test_config_from_settings() -> None:
    config = TemplateConfig.from_settings(
        {"NEWSARC_TEMPLATE_MIN_STORIES": "5", "NEWSARC_TEMPLATE_ENABLED": "false"}
    )
    assert config == TemplateConfig(min_stories=5, max_words=40, enabled=False)
