"""Every rule in pipelines/rules.toml removes its examples and keeps its counter-examples."""

from __future__ import annotations

import dataclasses

import lxml.html
import pytest

from pipelines.boilerplate import RULES_VERSION, Rule, Rules, clean_text, load_rules, prune_tree

RULES = load_rules()
BODY = (
    "The council approved the new budget on Tuesday after a long debate about schools and roads.",
    "Members said the plan would be reviewed again in six months, once the first figures are in.",
)


def _cases(kind: str, attr: str) -> list[tuple[str, str]]:
    rules = {
        "block": RULES.blocks,
        "line": RULES.lines,
        "notice": RULES.notices,
        "caption": RULES.captions,
    }[kind]
    return [(rule.name, example) for rule in rules for example in getattr(rule, attr)]


def _rule(kind: str, name: str) -> Rule:
    return next(r for r in RULES.all() if r.kind == kind and r.name == name)


def _only(rule: Rule) -> Rules:
    """The rule set holding just ``rule``: an example must be removed by its own rule."""
    kinds = {"block": "blocks", "line": "lines", "notice": "notices", "caption": "captions"}
    empty = {field: () for field in kinds.values()}
    return dataclasses.replace(RULES, **{**empty, kinds[rule.kind]: (rule,)})


def _lines_around(rule: Rule, line: str) -> str:
    """Place ``line`` where the rule applies: before, after or between body paragraphs."""
    if rule.position in ("head", "edge"):
        return "\n".join([line, *BODY])
    if rule.position == "tail":
        return "\n".join([*BODY, line])
    return "\n".join([BODY[0], line, BODY[1]])


def test_every_rule_has_examples_and_counter_examples() -> None:
    for rule in RULES.all():
        assert rule.examples, rule.name
        assert rule.counter_examples, rule.name


def test_rule_names_are_unique_per_kind() -> None:
    names = [(rule.kind, rule.name) for rule in RULES.all()]
    assert len(names) == len(set(names))


def test_rules_version_is_set() -> None:
    assert RULES_VERSION == RULES.version != ""


@pytest.mark.parametrize(("name", "example"), _cases("line", "examples"))
def test_line_rule_removes_example(name: str, example: str) -> None:
    rule = _rule("line", name)
    result = clean_text(_lines_around(rule, example), _only(rule))
    assert example not in result.text
    assert result.removed == (name,)
    assert all(sentence in result.text for sentence in BODY)


@pytest.mark.parametrize(("name", "example"), _cases("line", "counter_examples"))
def test_line_rule_keeps_counter_example(name: str, example: str) -> None:
    result = clean_text(_lines_around(_rule("line", name), example), RULES)
    assert example in result.text


def _page_with_block(heading_html: str) -> str:
    paragraphs = "".join(f"<p>{sentence}</p>" for sentence in BODY)
    return (
        f"<html><body><article><h1>Budget approved</h1>{paragraphs}</article>"
        f"<section class='widget'>{heading_html}<ul><li><a href='/x'>Teaser about a night market"
        "</a></li><li><a href='/y'>Teaser about school holidays</a></li></ul></section>"
        "</body></html>"
    )


@pytest.mark.parametrize(("name", "example"), _cases("block", "examples"))
def test_block_rule_prunes_heading_and_block(name: str, example: str) -> None:
    tree = lxml.html.document_fromstring(_page_with_block(f"<h3>{example}</h3>"))
    fired = prune_tree(tree, _only(_rule("block", name)))
    text = tree.text_content()
    assert fired == [name]
    assert "Teaser about" not in text
    assert all(sentence in text for sentence in BODY)


@pytest.mark.parametrize(("name", "example"), _cases("block", "counter_examples"))
def test_block_rule_keeps_counter_example(name: str, example: str) -> None:
    tree = lxml.html.document_fromstring(_page_with_block(f"<h3>{example}</h3>"))
    prune_tree(tree, RULES)
    assert example in tree.text_content()
    assert "Teaser about" in tree.text_content()


def test_block_label_in_div_prunes_its_section() -> None:
    html = _page_with_block("<div class='title'><span>Don’t Miss</span></div>")
    tree = lxml.html.document_fromstring(html)
    assert prune_tree(tree, RULES) == ["dont_miss"]
    assert "Teaser about" not in tree.text_content()


def test_block_heading_inside_article_prunes_only_following_teasers() -> None:
    html = (
        "<html><body><article><h1>Budget approved</h1>"
        f"<p>{BODY[0]}</p><h3>Related articles</h3><ul><li><a href='/a'>Teaser one</a></li></ul>"
        f"<p>{BODY[1]} {BODY[0]} {BODY[1]}</p></article></body></html>"
    )
    tree = lxml.html.document_fromstring(html)
    assert prune_tree(tree, RULES) == ["related"]
    text = tree.text_content()
    assert "Teaser one" not in text
    assert BODY[0] in text and BODY[1] in text


def test_block_rule_never_prunes_the_article_body() -> None:
    html = (
        "<html><body><div class='wrap'><div><h3>Trending</h3></div>"
        f"<article><h1>Budget approved</h1><p>{BODY[0]}</p><p>{BODY[1]}</p></article>"
        "</div></body></html>"
    )
    tree = lxml.html.document_fromstring(html)
    prune_tree(tree, RULES)
    assert BODY[0] in tree.text_content()


def test_figures_are_removed_before_extraction() -> None:
    html = (
        "<html><body><article><figure><img src='a.jpg'><figcaption>Crowds at the square"
        f"</figcaption></figure><p>{BODY[0]}</p><p>{BODY[1]}</p></article></body></html>"
    )
    tree = lxml.html.document_fromstring(html)
    assert "figure" in prune_tree(tree, RULES)
    assert "Crowds" not in tree.text_content()


@pytest.mark.parametrize(("name", "example"), _cases("notice", "examples"))
def test_notice_rule_cuts_notice_and_keeps_url(name: str, example: str) -> None:
    result = clean_text("\n".join([*BODY, example, "Older posts"]), _only(_rule("notice", name)))
    assert result.text == "\n\n".join(BODY)
    assert result.source_url is not None and result.source_url.startswith("http")
    assert result.removed == (name,)


@pytest.mark.parametrize(("name", "example"), _cases("notice", "counter_examples"))
def test_notice_rule_keeps_counter_example(name: str, example: str) -> None:
    result = clean_text("\n".join([*BODY, example]), RULES)
    assert example in result.text
    assert result.source_url is None


@pytest.mark.parametrize(("name", "example"), _cases("caption", "examples"))
def test_caption_rule_drops_glued_caption(name: str, example: str) -> None:
    result = clean_text("\n".join([example, *BODY]), _only(_rule("caption", name)))
    first = result.text.split("\n\n")[0]
    assert result.removed == (name,)
    assert first[:3].isupper() and first.split()[0].rstrip(":,").isupper()
    assert first in example


@pytest.mark.parametrize(("name", "example"), _cases("caption", "counter_examples"))
def test_caption_rule_keeps_counter_example(name: str, example: str) -> None:
    result = clean_text("\n".join([example, *BODY]), RULES)
    assert result.text.split("\n\n")[0] == example


# --------------------------------------------------------------- hand-written cases

NOTICES = [
    (
        "ms",
        (
            "Artikel ini hanyalah simpanan cache dari url asal penulis yang berkebarangkalian "
            "sudah terlalu lama atau sudah dibuang :"
        ),
    ),
    (
        "id",
        (
            "Artikel ini hanyalah salinan cache dari URL asli penulis yang mungkin sudah terlalu "
            "lama atau sudah dihapus:"
        ),
    ),
    (
        "en",
        (
            "This article is only a cached copy of the original author's URL, which may be "
            "too old or has been removed:"
        ),
    ),
    (
        "fr",
        (
            "Cet article n’est qu’une copie en cache de l’URL d’origine de l’auteur, qui peut "
            "être trop ancienne ou avoir été supprimée :"
        ),
    ),
    (
        "es",
        (
            "Este artículo es sólo una copia en caché de la URL original del autor, que puede "
            "ser demasiado antigua o haber sido eliminada:"
        ),
    ),
    (
        "ru",
        (
            "Данная статья является лишь кэшированной копией исходной статьи автора, которая "
            "могла устареть или быть удалена:"
        ),
    ),
    ("ar", "هذا المقال مجرد نسخة مخزنة من الرابط الأصلي للكاتب، وقد يكون قديمًا أو محذوفًا:"),
]
URL = "https://mirror-source.example.net/2025/07/ministers-meet.html"


@pytest.mark.parametrize(("lang", "notice"), NOTICES)
@pytest.mark.parametrize("joiner", ["\n", " ", ""])
def test_cache_notice_in_seven_languages(lang: str, notice: str, joiner: str) -> None:
    text = "\n".join([*BODY, notice + joiner + URL + "Next post »"])
    result = clean_text(text, RULES)
    assert result.text == "\n\n".join(BODY)
    assert result.source_url == URL
    assert any(name.startswith("cache_notice_") for name in result.removed)


def test_cache_notice_url_without_extension_glued_to_next_word() -> None:
    text = (
        f"{BODY[0]}\n{NOTICES[0][1]}\nhttp://blog.example.my/2025/07/mesyuarat-menteriRelated Posts"
    )
    assert clean_text(text, RULES).source_url == "http://blog.example.my/2025/07/mesyuarat-menteri"


@pytest.mark.parametrize(
    ("glued", "expected"),
    [
        (
            (
                "Delegates arrive at the airbase today. - BERNAMA picKUALA LUMPUR: Talks between the "
                "two ministers are being arranged."
            ),
            "KUALA LUMPUR: Talks between",
        ),
        (
            "Delegates arrive at the airbase. (AFP Photo)JAKARTA: The talks opened on Monday.",
            "JAKARTA: The talks",
        ),
        (
            (
                "A trader watches the screens. REUTERS/John Smith/File PhotoNEW YORK, July 9 (Reuters) - "
                "Stocks rose on Wednesday."
            ),
            "NEW YORK, July 9 (Reuters) - Stocks",
        ),
        (
            (
                "Flood water covers the road. Photo: Siti AminahKOTA BHARU: Thousands were moved to "
                "relief centres."
            ),
            "KOTA BHARU: Thousands",
        ),
        (
            "Delegates at the summit. File photo GENEVA: The meeting ended without a deal.",
            "GENEVA: The meeting",
        ),
    ],
)
def test_caption_glued_to_dateline(glued: str, expected: str) -> None:
    result = clean_text("\n".join([glued, *BODY]), RULES)
    assert result.text.startswith(expected)


@pytest.mark.parametrize(
    "sentence",
    [
        "KUALA LUMPUR: A meeting between the ministers is being arranged. –BERNAMA",
        "The photo agency AFP said its Photo desk had moved to Paris last year.",
    ],
)
def test_text_without_glued_caption_is_unchanged(sentence: str) -> None:
    assert clean_text("\n".join([sentence, *BODY]), RULES).text.split("\n\n")[0] == sentence


def test_trailing_agency_signoff_stays() -> None:
    text = "\n".join([*BODY, "The talks will resume in August. –BERNAMA"])
    assert clean_text(text, RULES).text.endswith("The talks will resume in August. –BERNAMA")


def test_title_repeated_as_first_line_is_dropped() -> None:
    result = clean_text("\n".join(["Budget Approved", *BODY]), RULES, title="Budget approved")
    assert result.text == "\n\n".join(BODY)


def test_load_rules_from_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "rules.toml"
    path.write_text(
        'version = "t1"\n[[line]]\nname = "x"\npattern = "drop me"\n'
        'examples = ["drop me"]\ncounter_examples = ["keep me"]\n',
        encoding="utf-8",
    )
    rules = load_rules(path)
    assert rules.version == "t1"
    assert clean_text("keep me\ndrop me", rules).text == "keep me"


def test_bad_pattern_names_the_rule(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "rules.toml"
    path.write_text(
        'version = "t"\n[[line]]\nname = "broken"\npattern = "(unclosed"\n', encoding="utf-8"
    )
    with pytest.raises(ValueError, match="broken"):
        load_rules(path)
