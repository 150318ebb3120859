"""Metadata, recovery of dropped text, pruning of link lists, and the score on the development corpus."""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

import lxml.html
import pytest

from pipelines.errors import NotAnArticle
from pipelines.extract import ExtractConfig, extract_html, extract_page
from pipelines.extract_metadata import is_slug_title
from pipelines.extract_recovery import drop_link_lists, recover_text, unwrap_embeds
from pipelines.items import Page

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
AEB = SHARED / "corpus" / "aeb-dev"
METRIC = SHARED / "tools" / "extraction_f1.py"

PARAGRAPHS = [
    "The river authority said on Monday that water levels had risen by two metres overnight.",
    "Residents of three villages were moved to schools on higher ground before the bridge closed.",
    "Engineers will inspect the dam on Wednesday once the rain eases, a spokeswoman said.",
    "Farmers fear the flooding will ruin the rice harvest that was due to start next week.",
    "The weather service expects more rain in the hills until the end of the month.",
    "Volunteers handed out food and blankets at the schools through the night, officials said.",
]


def _html(body: str, head: str = "") -> str:
    return f"<html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


def _ps(paragraphs: list[str]) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


# --------------------------------------------------------------- metadata


MIRROR_HEAD = (
    "<title>Floods Force Villagers From Their Homes</title>"
    '<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
    '{"@type": "WebSite", "name": "Mirror"}, {"@type": "BlogPosting", '
    '"headline": "Floods force villagers from their homes, river at record", '
    '"datePublished": "2025-07-09T22:10:00+08:00", '
    '"author": [{"@type": "Person", "name": "Siti Aminah"}, {"@type": "Person", "name": "Lee Wei"}], '
    '"keywords": "floods, weather", "articleSection": "Nation"}]}</script>'
    '<meta property="article:published_time" content="2025-07-01T00:00:00Z">'
    '<meta name="description" content="Villagers moved to higher ground.">'
    '<meta property="article:tag" content="rivers">'
)
MIRROR_URL = "https://mirror.example/2025/07/floods-force-villagers-from.html"


@pytest.fixture(scope="module")
def mirrored() -> object:
    html = _html(
        f"<article><h3>Floods force villagers</h3>{_ps(PARAGRAPHS)}</article>", MIRROR_HEAD
    )
    return extract_html(html, MIRROR_URL, ExtractConfig())


def test_slug_title_gives_way_to_the_pages_headline(mirrored) -> None:  # type: ignore[no-untyped-def]
    assert mirrored.title == "Floods force villagers from their homes, river at record"


def test_date_from_json_ld_before_meta_tags(mirrored) -> None:  # type: ignore[no-untyped-def]
    assert mirrored.published == "2025-07-09"


def test_author_tags_description_from_json_ld_and_meta(mirrored) -> None:  # type: ignore[no-untyped-def]
    assert mirrored.author == "Siti Aminah, Lee Wei"
    assert mirrored.tags == ["rivers", "Nation", "floods", "weather"]
    assert mirrored.description == "Villagers moved to higher ground."
    assert mirrored.language == "en"


def test_date_from_meta_time_element_when_no_json_ld() -> None:
    html = _html(
        f"<article><time datetime='2024-02-29T10:00'>Feb 29</time>{_ps(PARAGRAPHS)}</article>"
    )
    assert (
        extract_html(html, "https://a.example/x/y-z-w", ExtractConfig()).published == "2024-02-29"
    )


@pytest.mark.parametrize(
    ("title", "url", "expected"),
    [
        ("Floods Force Villagers From Their Homes", MIRROR_URL, True),
        ("Floods force villagers, officials say", MIRROR_URL, False),
        ("Floods", "https://mirror.example/floods.html", False),
        ("Another Story Entirely Here", MIRROR_URL, False),
    ],
)
def test_is_slug_title(title: str, url: str, expected: bool) -> None:
    assert is_slug_title(title, url) is expected


def test_section_prefixed_headline_is_not_left_in_the_text() -> None:
    head = "<title>Is it a crime? - Daily</title><meta property='og:title' content='Opinion | Is it a crime?'>"
    html = _html(f"<article><h1>Is it a crime?</h1>{_ps(PARAGRAPHS)}</article>", head)
    article = extract_html(
        html, "https://daily.example/articles/is-it-a-crime-123", ExtractConfig()
    )
    assert article.text.startswith(PARAGRAPHS[0])


def test_news_brief_of_sixty_words_is_stored() -> None:
    brief = " ".join(PARAGRAPHS[:4]).split()[:60]
    html = _html(f"<article><h1>Flood warning</h1><p>{' '.join(brief)}</p></article>",
                 "<meta property='og:type' content='article'>")  # fmt: skip
    url = "https://daily.example/2025/07/10/flood-warning-issued"
    page = Page(url=url, final_url=url, status=200, headers={"content-type": "text/html"},
                body=html.encode(), fetched_at="2025-07-10T00:00:00Z")  # fmt: skip
    assert extract_page(page, ExtractConfig()).word_count == 60


# --------------------------------------------------------------- recovery


def test_split_body_second_half_is_recovered() -> None:
    first, second = PARAGRAPHS[:3], PARAGRAPHS[3:]
    html = _html(
        "<main><div class='story-body part'>" + _ps(first) + "</div>"
        "<div class='ad'><span>Advertisement</span></div>"
        "<div class='story-body part'>" + _ps(second) + "</div></main>"
    )
    article = extract_html(html, None, ExtractConfig())
    assert article.text.split("\n\n") == PARAGRAPHS


def test_recover_text_ignores_twins_before_the_body() -> None:
    tree = lxml.html.fromstring(
        _html(
            "<div class='box'>"
            + _ps(PARAGRAPHS[3:])
            + "</div><div class='box'>"
            + _ps(PARAGRAPHS[:3])
            + "</div>"
        )
    )
    text = "\n".join(PARAGRAPHS[:3])
    assert recover_text(tree, text) == text


def test_embedded_tweet_is_unwrapped_and_kept() -> None:
    tweet = (
        "<div class='social-embed'><blockquote class='twitter-tweet'><p>The bridge is closed "
        "until further notice, please use the ferry.</p>— River Authority (@riverauth) "
        "<a href='https://twitter.com/x/status/1'>July 10, 2025</a></blockquote></div>"
    )
    tree = lxml.html.fromstring(_html("<article>" + _ps(PARAGRAPHS[:3]) + tweet + "</article>"))
    assert unwrap_embeds(tree) == 1
    quote = tree.find(".//blockquote")
    assert quote.get("class") is None and quote.getparent().tag == "article"
    html = _html("<article>" + _ps(PARAGRAPHS[:3]) + tweet + _ps(PARAGRAPHS[3:]) + "</article>")
    assert "please use the ferry" in extract_html(html, None, ExtractConfig()).text


def test_list_of_linked_headlines_is_dropped_and_prose_list_kept() -> None:
    related = (
        "<ul>"
        + "".join(
            f"<li><a href='/s/{n}'>Story number {n} about the floods</a></li>" for n in range(3)
        )
        + "</ul>"
    )
    prose = (
        "<ul><li>Bring water and a torch.</li><li>Keep your <a href='/m'>papers</a> dry.</li></ul>"
    )
    tree = lxml.html.fromstring(
        _html("<article>" + _ps(PARAGRAPHS) + related + prose + "</article>")
    )
    assert drop_link_lists(tree) == 1
    assert "Story number" not in tree.text_content() and "Bring water" in tree.text_content()


# --------------------------------------------------------------- development corpus


@pytest.mark.shared
@pytest.mark.skipif(not METRIC.is_file(), reason=f"shared corpus {AEB} is absent")
def test_development_corpus_scores_above_target() -> None:
    spec = importlib.util.spec_from_file_location("extraction_f1", METRIC)
    assert spec is not None and spec.loader is not None
    metric = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(metric)
    truth = json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))
    counts = []
    for doc_id in sorted(truth):
        body = gzip.decompress((AEB / "html" / f"{doc_id}.html.gz").read_bytes())
        text = extract_html(body, None, ExtractConfig()).text
        counts.append(metric.match_counts(truth[doc_id]["articleBody"], text, 4))
    scores = metric.aggregate(counts, [0.0] * len(counts))
    assert scores["f1"] >= 0.98 and scores["precision"] >= 0.975 and scores["recall"] >= 0.975


LISTING = _html(
    "<main><h1>Results</h1>"
    + "".join(
        f"<div><h2><a href='/2025/07/{n}/story-{n}/'>Flood story number {n} from the valley</a></h2>"
        f"<p>{PARAGRAPHS[n % 6]}</p></div>"
        for n in range(8)
    )
    + "</main>"
)


@pytest.mark.parametrize(
    "url",
    [
        "https://daily.example/?s=floods",
        "https://daily.example/news?q=floods&page=2",
        "https://daily.example/calendar/2025/07/",
        "https://daily.example/author/siti-aminah/",
    ],
)
def test_search_calendar_and_author_pages_are_not_articles(url: str) -> None:
    page = Page(url=url, final_url=url, status=200, headers={"content-type": "text/html"},
                body=LISTING.encode(), fetched_at="2025-07-10T00:00:00Z")  # fmt: skip
    with pytest.raises(NotAnArticle) as info:
        extract_page(page, ExtractConfig())
    assert info.value.reason == "not_article"


def test_headline_below_a_section_label_is_dropped_with_it() -> None:
    head = "<meta property='og:title' content='Rivers rise across the north'>"
    body = (
        "<article><span>Review</span><h2>Rivers rise across the north</h2>"
        + _ps(PARAGRAPHS)
        + "</article>"
    )
    article = extract_html(_html(body, head), None, ExtractConfig())
    assert article.text.split("\n\n") == PARAGRAPHS


def test_caption_repeating_the_image_alt_text_is_dropped() -> None:
    image = (
        "<div class='pic'><img src='/a.jpg' alt='The flooded bridge at dawn'>"
        "<span class='small'>The flooded bridge at dawn</span></div>"
    )
    body = "<article>" + _ps(PARAGRAPHS[:3]) + image + _ps(PARAGRAPHS[3:]) + "</article>"
    article = extract_html(_html(body), None, ExtractConfig())
    assert article.text.split("\n\n") == PARAGRAPHS


def test_extract_command_rows_carry_the_metadata(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from crawler.cli import main

    path = tmp_path / "page.html"
    path.write_text(_html(f"<article><h3>Floods</h3>{_ps(PARAGRAPHS)}</article>", MIRROR_HEAD))
    result = CliRunner().invoke(
        main, ["extract", str(path), "--url", MIRROR_URL, "--format", "jsonl"]
    )
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)
    assert row["published"] == "2025-07-09" and row["tags"][0] == "rivers"
    assert row["word_count"] == len(row["text"].split())
    assert {"site_name", "description", "source_url", "language", "author"} <= set(row)
