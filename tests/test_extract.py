"""Extraction: decoding, a boilerplate-laden article page, and the reasons pages are dropped."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pytest
import trafilatura

from pipelines.errors import (
    EmptyExtraction,
    HttpError,
    NotAnArticle,
    NotHtml,
    PageSkipped,
    TooShort,
)
from pipelines.extract import (
    EXTRACTOR_VERSION,
    ExtractConfig,
    count_words,
    decode_html,
    extract_html,
    extract_page,
    site_of,
)
from pipelines.extract_metadata import strip_title_suffix
from pipelines.items import Page

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
AEB = SHARED / "corpus" / "aeb-dev"
URL = "https://www.harbourdaily.example/2025/07/10/ministers-agree-river-clean-up-plan/"
SOURCE = "http://river-notes.example.com/2025/07/ministers-agree-river-plan.html"

ARTICLE_HTML = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Ministers agree on river clean-up plan | Harbour Daily</title>
<meta property="og:type" content="article">
<meta property="og:site_name" content="Harbour Daily">
<meta name="author" content="Aminah Rahman">
<meta property="article:published_time" content="2025-07-10T08:00:00+08:00">
<link rel="canonical" href="/2025/07/10/ministers-agree-river-clean-up-plan/?ref=home">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news/">News</a></li>
<li><a href="/sport/">Sport</a></li></ul></nav>
<div class="topbar">Today: 11 July 2025</div>
<main><article>
<h1>Ministers agree on river clean-up plan</h1>
<div class="meta"><span class="byline">By Aminah Rahman</span></div>
<p>10 July 2025</p>
<p>1 min read</p>
<figure><img src="/river.jpg"><figcaption>The river at dawn, from the old bridge.</figcaption></figure>
<p>Volunteers collect plastic along the river bank on Wednesday. - HARIAN pic<span>KUALA LUMPUR:
Environment ministers from five states agreed on Thursday to share the cost of cleaning the
Klang river, ending months of argument over who should pay for the work.</span></p>
<p>The plan sets aside money for new filters at twelve drains and for teams that will remove
floating rubbish every week, the ministers said in a joint statement after the meeting.</p>
<p>Officials said the first filters would be installed before the end of the year and that
residents would be asked to report blocked drains through a new telephone line.</p>
<p>ALSO READ-Flood warnings issued for three districts</p>
<p>Environmental groups welcomed the agreement but said the states must publish the results of
water tests every month so that the public can judge whether the river is getting cleaner.</p>
<p>He said he would read more reports before he decides on the next phase of the project, which
could include the smaller rivers that feed the Klang. –HARIAN</p>
<p>Artikel ini hanyalah simpanan cache dari url asal penulis yang berkebarangkalian sudah
terlalu lama atau sudah dibuang :<br>{SOURCE}</p>
</article>
<div class="post-nav"><a href="/a"><span>Previous Story</span><span>Port workers end strike</span></a>
<a href="/b"><span>Next Story</span><span>Rain expected across the peninsula</span></a></div>
<section class="widget"><h3>Don't Miss</h3><ul>
<li><a href="/c">Night market returns to the old town</a></li>
<li><a href="/d">School holidays extended by a week</a></li></ul></section>
</main>
<footer><p>Go to Top</p><p>&copy; 2025 Harbour Daily. All rights reserved.</p></footer>
</body></html>"""

BOILERPLATE = [
    "Today:",
    "10 July 2025",
    "min read",
    "HARIAN pic",
    "The river at dawn",
    "ALSO READ",
    "Previous Story",
    "Next Story",
    "Port workers",
    "Don't Miss",
    "Night market",
    "Go to Top",
    "Artikel ini",
    "river-notes",
    "All rights reserved",
    "Home",
    "Sport",
]

LISTING_HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Diplomacy | Harbour Daily</title><meta property="og:type" content="website">
</head><body><nav><a href="/">Home</a> <a href="/news/">News</a></nav>
<main><h1>Tag: diplomacy</h1>
{teasers}
<div class="pages"><a href="/tag/diplomacy/page/2/">Older posts</a></div></main></body></html>"""
TEASER = """<div class="teaser"><h2><a href="/2025/07/{n}/story-number-{n}/">Foreign ministers
meet in the capital for talks number {n}</a></h2><p>Delegations from the region gathered for a
day of meetings on trade.</p><a href="/2025/07/{n}/story-number-{n}/">Read more</a></div>"""

SHORT_HTML = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Road closed</title><meta property="og:type" content="article"></head><body><article>
<h1>Road closed</h1><p>The coastal road is closed on Sunday for repairs, the council said.</p>
</article></body></html>"""


def _page(
    html: str | bytes,
    url: str = URL,
    status: int = 200,
    content_type: str = "text/html; charset=utf-8",
) -> Page:
    body = html.encode("utf-8") if isinstance(html, str) else html
    return Page(
        url=url,
        final_url=url,
        status=status,
        headers={"content-type": content_type},
        body=body,
        fetched_at="2025-07-10T08:00:00Z",
        warc_file="crawl-1.warc.gz",
        warc_offset=1234,
        warc_length=567,
        crawl_id="crawl-1",
    )


# --------------------------------------------------------------- decoding

RUSSIAN = (
    "<html><head><title>Новости</title></head><body><p>Министр иностранных дел провёл "
    "переговоры со своим коллегой в Самарканде. Стороны обсудили торговлю, транспорт и "
    "энергетику, а также положение в регионе.</p></body></html>"
)
FRENCH = (
    "<html><head><title>Actualités</title></head><body><p>Le ministre a été reçu à l'Élysée "
    "où il a présenté un projet très ambitieux pour l'été prochain. Les élèves et les "
    "enseignants ont salué cette décision.</p></body></html>"
)
JAPANESE = (
    "<html><head><title>ニュース</title></head><body><p>外務大臣は木曜日に東京で会談し、"
    "貿易と安全保障について話し合いました。両国は協力を強化することで合意しました。"
    "</p></body></html>"
)


@pytest.mark.parametrize(
    ("html", "encoding", "content_type"),
    [
        (RUSSIAN, "windows-1251", "text/html; charset=windows-1251"),
        (RUSSIAN, "windows-1251", "text/html; charset=iso-8859-1"),
        (RUSSIAN, "windows-1251", "text/html; charset=utf-8"),
        (RUSSIAN, "windows-1251", ""),
        (
            RUSSIAN.replace(
                "<head>",
                '<head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">',
            ),
            "windows-1251",
            "",
        ),
        (FRENCH, "iso-8859-1", "text/html; charset=iso-8859-1"),
        (FRENCH, "iso-8859-1", "text/html; charset=utf-8"),
        (FRENCH.replace("<head>", '<head><meta charset="utf-8">'), "iso-8859-1", ""),
        (FRENCH, "iso-8859-1", ""),
        (JAPANESE, "shift_jis", "text/html; charset=shift_jis"),
        (JAPANESE, "shift_jis", "text/html; charset=utf-8"),
        (JAPANESE, "shift_jis", "text/html; charset=iso-8859-1"),
        (JAPANESE, "shift_jis", ""),
        (FRENCH, "utf-8", "text/html; charset=iso-8859-1"),
    ],
)
def test_decode_html_finds_the_real_charset(html: str, encoding: str, content_type: str) -> None:
    assert decode_html(html.encode(encoding), content_type) == html


@pytest.mark.parametrize("bom_encoding", ["utf-8-sig", "utf-16"])
def test_decode_html_bom_wins_over_header(bom_encoding: str) -> None:
    assert decode_html(FRENCH.encode(bom_encoding), "text/html; charset=iso-8859-1") == FRENCH


@pytest.mark.parametrize("body", [b"", b"\xff\xfe\x00", b"\x81\x82\x83\xfe", b"plain"])
def test_decode_html_never_raises(body: bytes) -> None:
    assert isinstance(decode_html(body, "text/html; charset=no-such-charset"), str)


# --------------------------------------------------------------- article page


@pytest.fixture(scope="module")
def article() -> object:
    return extract_page(_page(ARTICLE_HTML), ExtractConfig())


def test_article_text_is_clean(article) -> None:  # type: ignore[no-untyped-def]
    for junk in BOILERPLATE:
        assert junk not in article.text, junk


def test_article_text_starts_at_dateline_and_keeps_body(article) -> None:  # type: ignore[no-untyped-def]
    paragraphs = article.text.split("\n\n")
    assert paragraphs[0].startswith("KUALA LUMPUR: Environment ministers")
    assert paragraphs[-1].endswith("feed the Klang. –HARIAN")
    assert "He said he would read more reports before he decides" in article.text
    assert len(paragraphs) == 5


def test_article_metadata(article) -> None:  # type: ignore[no-untyped-def]
    assert article.title == "Ministers agree on river clean-up plan"
    assert article.author == "Aminah Rahman"
    assert article.published is not None and article.published.startswith("2025-07-10")
    assert article.language == "en"
    assert article.site == "harbourdaily.example"
    assert article.site_name == "Harbour Daily"
    assert article.canonical_url == URL + "?ref=home"
    assert article.source_url == SOURCE
    assert article.word_count == count_words(article.text) > 50
    assert article.text_hash == ""


def test_article_provenance_copied_from_page(article) -> None:  # type: ignore[no-untyped-def]
    assert (article.url, article.fetched_at, article.crawl_id) == (
        URL,
        "2025-07-10T08:00:00Z",
        "crawl-1",
    )
    assert (article.warc_file, article.warc_offset, article.warc_length) == (
        "crawl-1.warc.gz",
        1234,
        567,
    )
    assert article.extractor_version == EXTRACTOR_VERSION
    assert EXTRACTOR_VERSION.startswith("trafilatura-") and "+rules-" in EXTRACTOR_VERSION


# --------------------------------------------------------------- drop reasons


def test_listing_page_is_not_an_article() -> None:
    html = LISTING_HTML.format(teasers="\n".join(TEASER.format(n=n) for n in range(1, 13)))
    with pytest.raises(NotAnArticle, match="tag/diplomacy") as info:
        extract_page(
            _page(html, url="https://harbourdaily.example/tag/diplomacy/"), ExtractConfig()
        )
    assert info.value.reason == "not_article"


def test_home_page_is_not_an_article() -> None:
    html = LISTING_HTML.format(teasers="\n".join(TEASER.format(n=n) for n in range(1, 13)))
    with pytest.raises(NotAnArticle):
        extract_page(_page(html, url="https://harbourdaily.example/"), ExtractConfig())


def test_short_page_is_too_short() -> None:
    with pytest.raises(TooShort, match=r"\d+ words < 50"):
        extract_page(
            _page(SHORT_HTML, url="https://harbourdaily.example/2025/07/road-closed"),
            ExtractConfig(),
        )


def test_min_words_setting_lets_short_page_through() -> None:
    config = ExtractConfig.from_settings({"NEWSARC_EXTRACT_MIN_WORDS": "5"})
    article = extract_page(
        _page(SHORT_HTML, url="https://harbourdaily.example/2025/07/road-closed"), config
    )
    assert article.text.startswith("The coastal road is closed")


@pytest.mark.parametrize("status", [404, 500, 301])
def test_http_error(status: int) -> None:
    with pytest.raises(HttpError, match=str(status)):
        extract_page(_page(ARTICLE_HTML, status=status), ExtractConfig())


@pytest.mark.parametrize("content_type", ["application/pdf", "image/jpeg", "application/json"])
def test_not_html(content_type: str) -> None:
    with pytest.raises(NotHtml, match=content_type):
        extract_page(_page(ARTICLE_HTML, content_type=content_type), ExtractConfig())


@pytest.mark.parametrize(
    "html", ["", "<html><body></body></html>", "<html><body><nav>x</nav></body></html>"]
)
def test_empty_page(html: str) -> None:
    with pytest.raises((EmptyExtraction, NotHtml)):
        extract_page(_page(html), ExtractConfig())


def test_drop_reasons_are_distinct_slugs() -> None:
    classes = [EmptyExtraction, HttpError, NotAnArticle, NotHtml, TooShort]
    assert len({cls.reason for cls in classes}) == len(classes)
    assert all(issubclass(cls, PageSkipped) for cls in classes)


# --------------------------------------------------------------- saved files


def test_extract_html_never_says_too_short_or_listing() -> None:
    article = extract_html(SHORT_HTML.encode("utf-8"), None, ExtractConfig())
    assert article.word_count < 50
    assert article.url == "" and article.fetched_at is None


def test_extract_html_raises_empty_extraction() -> None:
    with pytest.raises(EmptyExtraction):
        extract_html("<html><body></body></html>", "https://example.org/a", ExtractConfig())


# --------------------------------------------------------------- helpers and config


@pytest.mark.parametrize(
    ("title", "names", "expected"),
    [
        ("Ministers meet | Harbour Daily", ["Harbour Daily"], "Ministers meet"),
        ("Ministers meet - harbourdaily.example", ["harbourdaily.example"], "Ministers meet"),
        ("Ministers meet – HARBOUR DAILY", ["Harbour Daily"], "Ministers meet"),
        ("Ministers meet - Harbour", ["harbour"], "Ministers meet"),
        ("Rivers - the hidden cost", ["Harbour Daily"], "Rivers - the hidden cost"),
    ],
)
def test_strip_title_suffix(title: str, names: list[str], expected: str) -> None:
    assert strip_title_suffix(title, names) == expected


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://www.Example.COM:8443/a", "example.com"),
        ("http://news.example.org/", "news.example.org"),
    ],
)
def test_site_of(url: str, site: str) -> None:
    assert site_of(url) == site


@pytest.mark.parametrize(("text", "words"), [("one two  three", 3), ("外務大臣", 2), ("", 0)])
def test_count_words(text: str, words: int) -> None:
    assert count_words(text) == words


@pytest.mark.parametrize("value", ["many", -1, "3.5", None, True])
def test_config_rejects_invalid_min_words(value: object) -> None:
    with pytest.raises(ValueError, match="NEWSARC_EXTRACT_MIN_WORDS"):
        ExtractConfig.from_settings({"NEWSARC_EXTRACT_MIN_WORDS": value})


def test_config_defaults() -> None:
    assert ExtractConfig.from_settings({}) == ExtractConfig(min_words=50)


# --------------------------------------------------------------- development corpus


def _aeb_cases() -> list[str]:
    """The first 20 corpus ids; one placeholder when the corpus is absent (skipped with a reason)."""
    if not (AEB / "ground-truth.json").is_file():
        return ["corpus-absent"]
    return sorted(json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8")))[:20]


def _recall(text: str, truth: str) -> float:
    """Share of the truth's words (as a multiset) found in ``text``."""
    have = Counter(re.findall(r"\w+", text))
    want = Counter(re.findall(r"\w+", truth))
    return sum((have & want).values()) / max(1, sum(want.values()))


@pytest.mark.shared
@pytest.mark.skipif(
    not (AEB / "ground-truth.json").is_file(), reason=f"shared corpus {AEB} is absent"
)
@pytest.mark.parametrize("doc_id", _aeb_cases())
def test_corpus_rules_keep_what_trafilatura_finds(doc_id: str) -> None:
    truth = json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))[doc_id]
    body = gzip.decompress((AEB / "html" / f"{doc_id}.html.gz").read_bytes())
    article = extract_page(_page(body, url=truth["url"]), ExtractConfig())
    plain = trafilatura.extract(body.decode("utf-8"), favor_precision=True, include_comments=False)
    assert article.language is not None
    assert (
        _recall(article.text, truth["articleBody"])
        >= _recall(plain or "", truth["articleBody"]) - 0.01
    )
