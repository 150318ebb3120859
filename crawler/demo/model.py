"""Data model of the demo stories: a portal story and a mirror-blog post, as frozen dataclasses."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from datetime import datetime

WORDS_PER_MINUTE = 200


def paras(text: str) -> tuple[str, ...]:
    """Split a wrapped text block into paragraphs (blank-line separated, lines joined by spaces)."""
    blocks = re.split(r"\n\s*\n", textwrap.dedent(text).strip())
    return tuple(" ".join(line.strip() for line in block.splitlines()) for block in blocks)


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens ("Holt, Karsak meet" -> "holt-karsak-meet")."""
    words = re.findall(r"[a-z0-9]+", text.lower().replace("'", "").replace("\u2019", ""))
    return "-".join(words)


@dataclass(frozen=True)
class Story:
    """One news story as the portal publishes it.

    slug: URL slug, unique on the portal.
    headline: the title, without the site name.
    author: the byline, a person's name.
    published: ISO 8601 date-time with offset, e.g. "2025-07-10T09:15:00+00:00".
    tags: tag slugs ("diplomacy", "economy", ...); the first is the section.
    summary: one teaser sentence, shown in listings and other pages' teaser blocks only.
    paragraphs: body paragraphs; the first starts with an upper-case dateline ("GENEVA: ...").
    """

    slug: str
    headline: str
    author: str
    published: str
    tags: tuple[str, ...]
    summary: str
    paragraphs: tuple[str, ...]

    @property
    def published_at(self) -> datetime:
        """The publication time as an aware datetime."""
        return datetime.fromisoformat(self.published)

    @property
    def text(self) -> str:
        """Headline-free body: paragraphs separated by blank lines."""
        return "\n\n".join(self.paragraphs)

    @property
    def word_count(self) -> int:
        """Words in the body paragraphs."""
        return len(self.text.split())

    @property
    def minutes_to_read(self) -> int:
        """Reading time shown as "N min read" (at least 1)."""
        return max(1, -(-self.word_count // WORDS_PER_MINUTE))


@dataclass(frozen=True)
class MirrorPost:
    """One post of the mirror blog: a copy of a portal story (source_slug) or its own text.

    slug: Blogger-style slug (the headline's first words, cut at about 40 characters).
    headline: the post title as shown in the post header.
    author: the blogger's display name.
    published: ISO 8601 date-time with offset.
    labels: Blogger labels (capitalised words).
    caption: photo caption; ends with " - <AGENCY> pic" and is glued to the dateline.
    paragraphs: body paragraphs, first one starting with the dateline.
    source_slug: slug of the copied portal story, or None for a mirror-only post.
    change: how the copy differs: "verbatim", "new-headline", "paragraph-dropped",
        "sentence-edited" or "original" (mirror-only).
    """

    slug: str
    headline: str
    author: str
    published: str
    labels: tuple[str, ...]
    caption: str
    paragraphs: tuple[str, ...]
    source_slug: str | None
    change: str

    @property
    def published_at(self) -> datetime:
        """The publication time as an aware datetime."""
        return datetime.fromisoformat(self.published)

    @property
    def text(self) -> str:
        """Body paragraphs separated by blank lines."""
        return "\n\n".join(self.paragraphs)

    @property
    def title_cased_slug(self) -> str:
        """The Blogger <title>: every word of the slugified headline capitalised."""
        return " ".join(word.capitalize() for word in slugify(self.headline).split("-"))


def blogger_slug(headline: str, limit: int = 40) -> str:
    """Blogger's post slug: slugified headline words kept while they fit in `limit` characters."""
    kept: list[str] = []
    for word in slugify(headline).split("-"):
        if kept and len("-".join([*kept, word])) > limit:
            break
        kept.append(word)
    return "-".join(kept)
