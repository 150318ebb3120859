"""Site descriptions: a ``sites.toml`` entry or just a URL, turned into a ``SiteSpec``.

A ``sites.toml`` holds one ``[[site]]`` table per site::

    [[site]]
    name = "portal"                       # required, unique
    start = ["https://news.example/"]     # required: home or section pages
    sitemaps = ["https://news.example/sitemap.xml"]   # optional; robots.txt Sitemap: lines are used too
    feeds = ["https://news.example/rss.xml"]          # optional; <link rel=alternate> feeds are found too
    allow = ["/news/"]                    # optional regexes: only matching links are followed
    deny = ["/login"]                     # optional regexes: matching links are never followed
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit


class SiteError(ValueError):
    """A site description that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class SiteSpec:
    """One site to crawl."""

    name: str
    start: tuple[str, ...]
    sitemaps: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    hosts: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.start:
            raise SiteError(f"site {self.name!r}: 'start' needs at least one URL")
        for url in (*self.start, *self.sitemaps, *self.feeds):
            _check_url(url, self.name)
        for pattern in (*self.allow, *self.deny):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise SiteError(f"site {self.name!r}: bad pattern {pattern!r}: {exc}") from exc
        if not self.hosts:
            object.__setattr__(self, "hosts", frozenset(_host(u) for u in self.start))


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _check_url(url: str, name: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SiteError(f"site {name!r}: not an http(s) URL: {url!r}")


def spec_from_url(url: str) -> SiteSpec:
    """A site description for a bare URL: start there, discover sitemaps and feeds."""
    _check_url(url, url)
    return SiteSpec(name=_host(url), start=(url,))


def _strings(table: dict[str, object], key: str, name: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SiteError(f"site {name!r}: {key!r} must be a list of strings")
    return tuple(value)


def load_sites(path: Path, only: Sequence[str] = ()) -> list[SiteSpec]:
    """Read ``path``; with ``only``, keep those site names (an unknown name is an error)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SiteError(f"sites file not found: {path}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SiteError(f"sites file {path} is not valid TOML: {exc}") from exc
    tables = data.get("site", [])
    if not isinstance(tables, list) or not tables:
        raise SiteError(f"sites file {path} has no [[site]] entries")
    specs = [_spec_from_table(t) for t in tables]
    names = [s.name for s in specs]
    unknown = [n for n in only if n not in names]
    if unknown:
        raise SiteError(f"unknown site {unknown[0]!r} in {path}; known: {', '.join(names)}")
    return [s for s in specs if not only or s.name in only]


def _spec_from_table(table: object) -> SiteSpec:
    if not isinstance(table, dict) or not isinstance(table.get("name"), str):
        raise SiteError('every [[site]] needs a name = "..."')
    name = table["name"]
    return SiteSpec(
        name=name,
        start=_strings(table, "start", name),
        sitemaps=_strings(table, "sitemaps", name),
        feeds=_strings(table, "feeds", name),
        allow=_strings(table, "allow", name),
        deny=_strings(table, "deny", name),
    )
