"""The boilerplate rules file (``rules.toml``): named rules as data, compiled and cached.

Four kinds of rules: ``block`` headings whose section is pruned from the HTML tree,
``line`` patterns removing whole paragraphs of extracted text, ``notice`` patterns for
mirror/cache notices and ``caption`` credits glued to the opening dateline. How they are
applied is ``pipelines.boilerplate``'s business.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

_MACRO = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Rule:
    """One named rule: its compiled pattern, options, and the examples that document it."""

    kind: str
    name: str
    pattern: re.Pattern[str]
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...]
    position: str = "any"
    max_words: int | None = None
    headings_only: bool = False
    require_url: bool = False


@dataclass(frozen=True)
class Rules:
    """All rules of one rules file."""

    version: str
    blocks: tuple[Rule, ...]
    lines: tuple[Rule, ...]
    notices: tuple[Rule, ...]
    captions: tuple[Rule, ...]
    block_any: re.Pattern[str] = re.compile("(?!)")
    """Matches what any of ``blocks`` matches (case-insensitive): a quick first test."""

    def all(self) -> tuple[Rule, ...]:
        """Every rule, in file order per kind."""
        return self.blocks + self.lines + self.notices + self.captions


def _expand(pattern: str, macros: dict[str, str]) -> str:
    """Replace ``{name}`` by its macro until none is left (unknown names stay as they are)."""
    for _ in range(10):
        expanded = _MACRO.sub(lambda m: macros.get(m.group(1), m.group(0)), pattern)
        if expanded == pattern:
            return expanded
        pattern = expanded
    raise ValueError(f"macro recursion in rule pattern {pattern!r}")


def _compile(kind: str, raw: dict[str, Any], macros: dict[str, str]) -> Rule:
    """Build one rule of ``kind`` from its TOML table."""
    name = raw["name"]
    source = _expand(raw["pattern"], macros)
    if kind == "caption":
        dateline = _expand(macros["dateline"], macros)
        source = rf"(?i:{source})\s*(?=(?<![A-Z]){dateline})"
        flags = 0
    else:
        flags = 0 if raw.get("case") else re.IGNORECASE
    if kind == "notice":
        source = source.replace(" ", r"\s+")  # notices may wrap anywhere
    try:
        pattern = re.compile(source, flags)
    except re.error as exc:
        raise ValueError(f"rule {kind}.{name}: bad pattern: {exc}") from exc
    return Rule(
        kind=kind,
        name=name,
        pattern=pattern,
        examples=tuple(raw.get("examples", ())),
        counter_examples=tuple(raw.get("counter_examples", ())),
        position=raw.get("position", "any"),
        max_words=raw.get("max_words"),
        headings_only=bool(raw.get("headings_only", False)),
        require_url=bool(raw.get("require_url", False)),
    )


def _union(rules: tuple[Rule, ...]) -> re.Pattern[str]:
    """One pattern matching whatever one of ``rules`` matches (a quick first test)."""
    return re.compile("|".join(f"(?:{r.pattern.pattern})" for r in rules) or "(?!)", re.IGNORECASE)


def parse_rules(text: str) -> Rules:
    """Parse a rules file's TOML text."""
    data = tomllib.loads(text)
    macros: dict[str, str] = data.get("macros", {})

    def build(kind: str) -> tuple[Rule, ...]:
        return tuple(_compile(kind, raw, macros) for raw in data.get(kind, ()))

    blocks = build("block")
    return Rules(
        version=str(data["version"]),
        blocks=blocks,
        lines=build("line"),
        notices=build("notice"),
        captions=build("caption"),
        block_any=_union(blocks),
    )


@functools.lru_cache(maxsize=8)
def _load_cached(path: Path | None) -> Rules:
    if path is None:
        text = resources.files("pipelines").joinpath("rules.toml").read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return parse_rules(text)


def load_rules(path: Path | None = None) -> Rules:
    """Load (and cache) a rules file; ``None`` means the packaged ``rules.toml``."""
    return _load_cached(path)


RULES_VERSION: str = load_rules().version
