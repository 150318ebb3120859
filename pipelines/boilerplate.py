"""Applying the boilerplate rules (``pipelines.rules``): block pruning before extraction, text cleaning after.

``block`` headings prune their section from the HTML tree; ``line`` patterns remove whole
paragraphs of extracted text; ``notice`` patterns cut mirror/cache notices with everything
after them (the URL they name is kept as the source URL); ``caption`` credits glued to
the opening dateline are cut off.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import lxml.html

from pipelines.rules import RULES_VERSION, Rule, Rules, load_rules, parse_rules

__all__ = [
    "RULES_VERSION",
    "CleanResult",
    "Rule",
    "Rules",
    "clean_text",
    "load_rules",
    "normalize_heading",
    "parse_rules",
    "prune_tree",
]

logger = logging.getLogger(__name__)

HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
LABEL_TAGS = frozenset(
    {"div", "span", "p", "strong", "b", "em", "a", "li", "header", "dt", "label", "section"}
)
MAX_HEADING_CHARS = 80
LONG_LINE_WORDS = 12
CAPTION_LINES = 3
CAPTION_MIN_WORDS = 3
CAPTION_TAGS = ("span", "div", "p", "small", "em", "i", "strong", "b")
"""An image alt text this long, repeated by a nearby element, marks that element as caption."""
TITLE_LINES = 3
"""A headline repeated in the first lines of the text is dropped, with labels above it …"""
KICKER_WORDS = 3
"""… of at most this many words ("Review", "World news")."""
BODY_PARAGRAPH_CHARS = 250
_URL = re.compile(r"https?://[^\s<>\"']+")
_URL_PAGE_END = re.compile(r"\.(?:html?|php|aspx?)(?![?#])")
_URL_GLUED_WORD = re.compile(r"(?<=[a-z0-9/])(?=[A-Z][a-z]{2,})")
_STRIP = " \t\r\n:|-–—»«›‹>•·*#_.…→←↑"
_SPACES = re.compile(r"\s+")
_BULLET = re.compile(r"^(?:[-*•·–]\s+)+")
LABEL_MAX_DESCENDANTS = 6
"""A label (div, span, …) with more descendants than this is a container, not a heading."""


@dataclass(frozen=True)
class CleanResult:
    """Text after the line, notice and caption rules."""

    text: str
    source_url: str | None
    removed: tuple[str, ...]
    """Names of rules that fired."""


# ------------------------------------------------------------------ tree pruning


def normalize_heading(text: str) -> str:
    """Lower case, collapsed spaces, typographic apostrophes folded, edge punctuation stripped."""
    text = re.sub(r"\s+", " ", text.replace("\u2019", "'").replace("\u00a0", " "))
    return text.strip(_STRIP).casefold()


def _text_len(el: lxml.html.HtmlElement) -> int:
    """Visible characters (no spaces) inside ``el`` (scripts and styles are gone by then)."""
    if not isinstance(el.tag, str):
        return 0
    return len(_SPACES.sub("", el.text_content()))


def _is_small(el: lxml.html.HtmlElement) -> bool:
    """True for an element with at most a few descendants (a heading, a label)."""
    return next(itertools.islice(el.iterdescendants(), LABEL_MAX_DESCENDANTS, None), None) is None


def _match_block(
    el: lxml.html.HtmlElement, rules: Rules, seen: dict[str, bool] | None = None
) -> Rule | None:
    """The block rule whose heading ``el`` is, if any.

    ``seen``: texts already known to match no rule on this page (nested labels repeat them).
    """
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag not in HEADING_TAGS and (tag not in LABEL_TAGS or not _is_small(el)):
        return None
    raw = el.text_content()
    if len(raw) > MAX_HEADING_CHARS * 2 or not raw or raw.isspace():
        return None
    if seen is not None and raw in seen:
        return None
    text = normalize_heading(raw)
    if not text or len(text) > MAX_HEADING_CHARS or not rules.block_any.fullmatch(text):
        if seen is not None:
            seen[raw] = False
        return None
    for rule in rules.blocks:
        if rule.headings_only and tag not in HEADING_TAGS:
            continue
        if rule.pattern.fullmatch(text):
            return rule
    return None


def _is_first_content(el: lxml.html.HtmlElement) -> bool:
    """True when nothing with text comes before ``el`` inside its parent."""
    parent = el.getparent()
    if parent is None or (parent.text or "").strip():
        return False
    for prev in el.itersiblings(preceding=True):
        if (prev.tail or "").strip():
            return False
        if isinstance(prev.tag, str) and prev.text_content().strip():
            return False
    return True


class _Guard:
    """Refuses removals that would take the article body with them (measured on first use)."""

    def __init__(self, root: lxml.html.HtmlElement) -> None:
        self.root = root
        self.total = 0
        self.protected: set[lxml.html.HtmlElement] = set()

    def _measure(self) -> None:
        self.total = max(1, _text_len(self.root))
        bodies = self.root.xpath("//article|//main|//*[@itemprop='articleBody']")
        self.protected = set(self.root.iter("h1"))
        if bodies:
            self.protected.add(max(bodies, key=_text_len))

    def allows(self, parts: list[lxml.html.HtmlElement]) -> bool:
        if not self.total:
            self._measure()
        size = sum(_text_len(p) for p in parts)
        if size > self.total * 0.4:
            return False
        return not any(p in self.protected or self._holds_protected(p) for p in parts)

    def _holds_protected(self, el: lxml.html.HtmlElement) -> bool:
        return any(d in self.protected for d in el.iterdescendants())


def _block_parts(heading: lxml.html.HtmlElement, guard: _Guard) -> list[lxml.html.HtmlElement]:
    """The elements forming the block that ``heading`` introduces (largest one the guard allows)."""
    top = heading
    parent = top.getparent()
    while parent is not None and normalize_heading(parent.text_content()) == normalize_heading(
        heading.text_content()
    ):
        top, parent = parent, parent.getparent()
    best: list[lxml.html.HtmlElement] = []
    el = top
    while el.getparent() is not None and _is_first_content(el):
        container = el.getparent()
        if container.tag in ("body", "html") or not guard.allows([container]):
            break
        best, el = [container], container
    if best:
        return best
    if heading.tag not in HEADING_TAGS:
        return [top] if guard.allows([top]) else []
    siblings = [top]
    for sibling in top.itersiblings():
        if _looks_like_body(sibling):
            break
        siblings.append(sibling)
    return siblings if guard.allows(siblings) else []


def _looks_like_body(el: lxml.html.HtmlElement) -> bool:
    """True for an element holding article prose: a long run of text outside links."""
    if not isinstance(el.tag, str) or el.tag in HEADING_TAGS:
        return isinstance(el.tag, str)
    paragraphs = [el] if el.tag == "p" else el.xpath(".//p")
    for p in paragraphs:
        unlinked = "".join(p.xpath(".//text()[not(ancestor::a)]"))
        if len(unlinked.strip()) >= BODY_PARAGRAPH_CHARS:
            return True
    return False


def _drop_scripts(tree: lxml.html.HtmlElement) -> None:
    """Remove scripts and styles (JSON-LD stays: trafilatura's fallback reads articleBody there)."""
    for el in list(tree.iter("script", "style")):
        if (el.get("type") or "").strip().lower() != "application/ld+json":
            el.drop_tree()


def _drop_alt_captions(tree: lxml.html.HtmlElement) -> bool:
    """Remove short elements repeating an image's alt text: captions outside ``<figure>``.

    Only the image's surroundings (its grandparent's subtree) are searched.
    """
    found: list[lxml.html.HtmlElement] = []
    for img in tree.iter("img"):
        alt = img.get("alt") or ""
        parent = img.getparent()
        if len(alt.split()) < CAPTION_MIN_WORDS or parent is None:
            continue
        around = parent.getparent() if parent.getparent() is not None else parent
        wanted = normalize_heading(alt)
        found += [
            el
            for el in around.iter(*CAPTION_TAGS)
            if _is_small(el) and normalize_heading(el.text_content()) == wanted
        ]
    for el in found:
        if el.getparent() is not None:
            el.drop_tree()
    return bool(found)


def prune_tree(tree: lxml.html.HtmlElement, rules: Rules) -> list[str]:
    """Remove boilerplate blocks and figures from ``tree`` in place; return the names of fired rules.

    Scripts and styles go first (trafilatura drops them anyway; read metadata before this).
    """
    fired: list[str] = []
    _drop_scripts(tree)
    guard = _Guard(tree)
    if _drop_alt_captions(tree):
        fired.append("alt_caption")
    for fig in tree.xpath("//figure|//figcaption"):
        if fig.getparent() is not None and guard.allows([fig]):
            fig.drop_tree()  # keeps the tail text
            if "figure" not in fired:
                fired.append("figure")
    root = tree.getroottree().getroot()
    seen: dict[str, bool] = {}
    candidates = tree.iter(*HEADING_TAGS, *LABEL_TAGS)
    matches = [(el, r) for el in candidates if (r := _match_block(el, rules, seen)) is not None]
    for el, rule in matches:
        if el.getroottree().getroot() is not root:
            continue  # already removed with an ancestor
        parts = _block_parts(el, guard)
        for part in (p for p in parts if p.getparent() is not None):
            part.drop_tree()
        if parts and rule.name not in fired:
            fired.append(rule.name)
    return fired


# ------------------------------------------------------------------ text cleaning


def _words(line: str) -> int:
    return len(line.split())


def _cut_notice(text: str, rules: Rules) -> tuple[str, str | None, str | None]:
    """Cut the earliest notice and what follows; return (text, source_url, rule name)."""
    best: tuple[int, Rule, str | None] | None = None
    for rule in rules.notices:
        for match in rule.pattern.finditer(text):
            url = _url_after(text, match.end())
            if rule.require_url and url is None:
                continue
            if best is None or match.start() < best[0]:
                best = (match.start(), rule, url)
            break
    if best is None:
        return text, None, None
    start, rule, url = best
    return text[:start], url, rule.name


def _url_after(text: str, pos: int) -> str | None:
    """The URL starting right after ``pos`` (spaces and one line break allowed), trimmed of glued text."""
    match = re.compile(r"[ \t]*\n?[ \t]*(" + _URL.pattern + ")").match(text, pos)
    if match is None:
        return None
    url = match.group(1)
    page_end = _URL_PAGE_END.search(url, 8)
    if page_end is not None:
        url = url[: page_end.end()]
    elif (glued := _URL_GLUED_WORD.search(url, 8)) is not None:
        url = url[: glued.start()]
    return url.rstrip(".,;)")


def _repair_caption(lines: list[str], rules: Rules) -> str | None:
    """Drop a caption glued to the dateline in the opening lines; return the rule name if one fired."""
    for i, line in enumerate(lines[:CAPTION_LINES]):
        for rule in rules.captions:
            match = rule.pattern.search(line)
            if match is not None and match.start() > 0:
                lines[i] = line[match.end() :].lstrip()
                return rule.name
    return None


def _line_rule(line: str, position: set[str] | None, rules: Rules) -> Rule | None:
    """The first line rule removing ``line`` at ``position`` (None: rules for any position), if any.

    A list bullet ("- ", "* ", "• ") or wrapping parentheses do not hide a line from the rules.
    """
    bare = _BULLET.sub("", line)
    if bare.startswith("(") and bare.endswith(")"):
        bare = bare[1:-1].strip()
    words = _words(bare)
    for rule in rules.lines:
        if rule.position != "any" and (
            position is None
            or not (rule.position in position or (rule.position == "edge" and position))
        ):
            continue
        if rule.max_words is not None and words > rule.max_words:
            continue
        if rule.pattern.fullmatch(bare) or (bare != line and rule.pattern.fullmatch(line)):
            return rule
    return None


def _positions(lines: list[str], rules: Rules) -> list[set[str]]:
    """For each line: {"head"} before the first long line, {"tail"} after the last one.

    A long line counts only if no rule would remove it there: the trailing run of author
    blurbs, contact lines and teasers is the tail even when some of them are long.
    """

    def anchors(where: str) -> list[int]:
        return [
            i
            for i, line in enumerate(lines)
            if _words(line) >= LONG_LINE_WORDS and _line_rule(line, {where}, rules) is None
        ]

    heads, tails = anchors("head"), anchors("tail")
    first = heads[0] if heads else len(lines)
    last = tails[-1] if tails else -1
    return [
        ({"head"} if i < first else set()) | ({"tail"} if i > last else set())
        for i in range(len(lines))
    ]


def clean_text(text: str, rules: Rules, title: str | Sequence[str] | None = None) -> CleanResult:
    """Apply notice, line and caption rules to extracted text; paragraphs end up separated by one blank line.

    ``title``: the headline (or its variants: og:title, h1, ``<title>``); a first line
    repeating one of them is dropped (it is not body text).
    """
    removed: list[str] = []
    text, source_url, notice = _cut_notice(text, rules)
    if notice:
        removed.append(notice)
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    titles = [title] if isinstance(title, str) else list(title or ())
    headlines = {normalize_heading(t) for t in titles if t}
    at = next(
        (i for i, line in enumerate(lines[:TITLE_LINES]) if normalize_heading(line) in headlines),
        None,
    )
    if at is not None and all(_words(line) <= KICKER_WORDS for line in lines[:at]):
        lines = lines[at + 1 :]  # the headline and the section label ("kicker") above it
        removed.append("title_line")
    kept: list[str] = []
    for line, pos in zip(lines, _positions(lines, rules), strict=True):
        rule = _line_rule(line, pos, rules)
        if rule is None:
            kept.append(line)
        elif rule.name not in removed:
            removed.append(rule.name)
    caption = _repair_caption(kept, rules)
    if caption:
        removed.append(caption)
    kept = [line for line in kept if line]
    return CleanResult(text="\n\n".join(kept), source_url=source_url, removed=tuple(removed))
