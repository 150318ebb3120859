"""Recovering article text that trafilatura drops: embedded quotes, split bodies, lead paragraphs.

Two steps around trafilatura's extraction. Before it, :func:`unwrap_embeds` turns embedded
posts quoted in the article (``<blockquote class="twitter-tweet">`` in "social embed"
wrappers, whose class names trafilatura reads as page chrome) into plain blockquotes.
After it, :func:`recover_text` puts back paragraphs of the article's own container that
trafilatura left out.
"""

from __future__ import annotations

import re

import lxml.html

EMBED_CLASSES = ("twitter-tweet",)
"""Classes of blockquotes that quote a post inside the article (the quote is article text)."""
KEY_WORDS = 12
"""Paragraphs are compared by their first words (trafilatura may trim or re-space the rest)."""
MIN_RECOVERED_WORDS = 8
"""A paragraph put back has at least this many words."""
MAX_LINKED_SHARE = 0.5
"""… and at most this share of its characters inside links."""
MIN_CONTAINER_PARAGRAPHS = 2
"""The body container must hold at least this many of the extracted paragraphs."""
LINK_LIST_ITEMS = 2
"""A list of at least this many items, each a linked headline, is a related-stories list."""
HEADLINE_WORDS = 3
LINKED_ITEM_SHARE = 0.8
_WORD = re.compile(r"\w+")


def _has_class(el: lxml.html.HtmlElement, names: tuple[str, ...]) -> bool:
    classes = (el.get("class") or "").split()
    return any(name in classes for name in names)


def unwrap_embeds(tree: lxml.html.HtmlElement) -> int:
    """Replace each embedded-post wrapper by a plain ``<blockquote>``; return how many."""
    done = 0
    for quote in list(tree.iter("blockquote")):
        if not _has_class(quote, EMBED_CLASSES):
            continue
        text = quote.text_content().strip()
        top = quote
        parent = top.getparent()
        while (
            parent is not None
            and parent.tag not in ("body", "html", "article", "main")
            and parent.text_content().strip() == text
        ):
            top, parent = parent, parent.getparent()
        quote.attrib.clear()
        if top is not quote:
            quote.tail = top.tail
            top.getparent().replace(top, quote)
        done += 1
    return done


def _key(text: str) -> str:
    """Comparison key of a paragraph: its first words, case-folded, punctuation dropped."""
    return " ".join(_WORD.findall(text.casefold())[:KEY_WORDS])


def _prose(el: lxml.html.HtmlElement) -> str | None:
    """The text of a paragraph element if it reads as prose (enough words, few of them linked)."""
    text = " ".join(el.text_content().split())
    if len(text.split()) < MIN_RECOVERED_WORDS:
        return None
    linked = sum(len(a.text_content()) for a in el.iter("a"))
    return text if linked <= len(text) * MAX_LINKED_SHARE else None


def _body_container(tree: lxml.html.HtmlElement, keys: set[str]) -> lxml.html.HtmlElement | None:
    """The element holding most of the extracted paragraphs as ``<p>`` children."""
    votes: dict[lxml.html.HtmlElement, int] = {}
    for p in tree.iter("p"):
        parent = p.getparent()
        if parent is not None and _key(p.text_content()) in keys:
            votes[parent] = votes.get(parent, 0) + 1
    if not votes:
        return None
    best = max(votes, key=lambda el: votes[el])
    return best if votes[best] >= MIN_CONTAINER_PARAGRAPHS else None


def _twins(
    tree: lxml.html.HtmlElement, container: lxml.html.HtmlElement
) -> list[lxml.html.HtmlElement]:
    """Other elements with the container's tag and class: the later parts of a split body."""
    classes = container.get("class")
    if not classes or not classes.strip():
        return []
    ancestors = set(container.iterancestors())
    return [
        el
        for el in tree.iter(container.tag)
        if el is not container
        and el.get("class") == classes
        and el not in ancestors
        and container not in set(el.iterancestors())
    ]


def drop_link_lists(tree: lxml.html.HtmlElement) -> int:
    """Remove lists whose every item is a linked headline (related stories); return how many."""
    dropped = 0
    for lst in list(tree.iter("ul", "ol")):
        items = [li for li in lst if li.tag == "li"]
        if len(items) < LINK_LIST_ITEMS or lst.getparent() is None:
            continue
        if all(_linked_headline(li) for li in items):
            lst.drop_tree()
            dropped += 1
    return dropped


def _linked_headline(li: lxml.html.HtmlElement) -> bool:
    text = " ".join(li.text_content().split())
    linked = sum(len(" ".join(a.text_content().split())) for a in li.iter("a"))
    return len(text.split()) >= HEADLINE_WORDS and linked >= len(text) * LINKED_ITEM_SHARE


def recover_text(tree: lxml.html.HtmlElement, text: str) -> str:
    """``text`` with the paragraphs of a split article body that trafilatura left out.

    Long bodies are often cut into several sibling containers of one class (around ads
    or newsletter boxes); trafilatura keeps the first. The prose paragraphs of the
    container's twins are put back, before or after the text as they stand in the page.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    keys = {_key(line) for line in lines}
    container = _body_container(tree, keys)
    if container is None:
        return text
    after: list[str] = []
    twins = _twins(tree, container)
    order = {el: i for i, el in enumerate(tree.iter())} if twins else {}
    for twin in twins:
        if order[twin] < order[container]:
            continue  # a split body continues after its first part
        found = [prose for p in twin.iter("p") if (prose := _prose(p)) and _key(prose) not in keys]
        if len(found) >= MIN_CONTAINER_PARAGRAPHS:
            keys.update(_key(prose) for prose in found)
            after.extend(found)
    if not after:
        return text
    return "\n".join([*lines, *after])
