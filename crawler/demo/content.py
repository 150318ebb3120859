"""The demo stories as data: portal stories, mirror-blog posts and the boilerplate markers.

All people, countries, companies and events are fictional. The mirror blog republishes
five portal stories (verbatim, under a new headline, with a paragraph dropped, with one
sentence edited) and has one post of its own.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from crawler.demo.model import MirrorPost, Story, blogger_slug, slugify
from crawler.demo.stories_nature import (
    CUP_FINAL,
    MARATHON_RECORD,
    ORCHARD_FROST,
    SATELLITE_LAUNCH,
    STORM_FLOODS,
    VENT_SPECIES,
)
from crawler.demo.stories_world import (
    AIRLINE_ROUTES,
    DRAFT_BUDGET,
    GENEVA_TALKS,
    KL_MEETING,
    PORT_RECORD,
    RATES_ON_HOLD,
    TRAM_LINE,
)

__all__ = [
    "AGENCY",
    "BOILERPLATE_MARKERS",
    "CACHE_NOTICE",
    "DEMO_TODAY",
    "DRAFT_STORY",
    "MIRROR_AUTHOR",
    "MIRROR_NAME",
    "MIRROR_POSTS",
    "PORTAL_NAME",
    "PORTAL_STORIES",
    "MirrorPost",
    "Story",
    "mirror_labels",
    "portal_tags",
    "slugify",
    "story_by_slug",
]

PORTAL_NAME = "The Meridian Herald"
MIRROR_NAME = "Suara Semasa"
MIRROR_AUTHOR = "Pena Semasa"
AGENCY = "NWA"
# The portal's fixed "today" (top bar): fixed so that pages, ETags and golden tests are stable.
DEMO_TODAY = date(2025, 11, 14)
CACHE_NOTICE = (
    "Artikel ini hanyalah simpanan cache dari url asal penulis yang berkebarangkalian "
    "sudah terlalu lama atau sudah dibuang :"
)

# Published portal stories, oldest first.
PORTAL_STORIES: tuple[Story, ...] = tuple(
    sorted(
        (
            KL_MEETING,
            GENEVA_TALKS,
            RATES_ON_HOLD,
            PORT_RECORD,
            TRAM_LINE,
            STORM_FLOODS,
            ORCHARD_FROST,
            CUP_FINAL,
            MARATHON_RECORD,
            VENT_SPECIES,
            SATELLITE_LAUNCH,
        ),
        key=lambda story: story.published_at,
    )
)
# Article-like page under /private/, disallowed by the portal's robots.txt.
DRAFT_STORY: Story = DRAFT_BUDGET


def _edit_sentence(paragraphs: tuple[str, ...], old: str, new: str) -> tuple[str, ...]:
    """Replace one sentence; raises if `old` is not found exactly once."""
    hits = [i for i, paragraph in enumerate(paragraphs) if old in paragraph]
    if len(hits) != 1:
        raise ValueError(f"sentence to edit found {len(hits)} times: {old!r}")
    i = hits[0]
    return (*paragraphs[:i], paragraphs[i].replace(old, new), *paragraphs[i + 1 :])


def _copy(story: Story, published: str, caption: str, labels: tuple[str, ...]) -> MirrorPost:
    """A verbatim mirror copy of a portal story."""
    return MirrorPost(
        slug=blogger_slug(story.headline),
        headline=story.headline,
        author=MIRROR_AUTHOR,
        published=published,
        labels=labels,
        caption=f"{caption} - {AGENCY} pic",
        paragraphs=story.paragraphs,
        source_slug=story.slug,
        change="verbatim",
    )


# (portal story, mirror publication time, photo caption without the agency, labels)
_COPIES: tuple[tuple[Story, str, str, tuple[str, ...]], ...] = (
    (
        KL_MEETING,
        "2025-07-10T13:02:00+08:00",
        "Foreign Minister Marten Holt is greeted on arrival at the airbase outside the city",
        ("World", "Diplomacy"),
    ),
    (
        GENEVA_TALKS,
        "2025-09-24T08:11:00+08:00",
        "Ilona Karsak and Marten Holt shake hands before the start of their talks",
        ("World", "Diplomacy"),
    ),
    (
        RATES_ON_HOLD,
        "2025-06-19T07:45:00+08:00",
        "The headquarters of the Bank of Vestria seen from the river embankment",
        ("Business",),
    ),
    (
        STORM_FLOODS,
        "2025-10-03T20:30:00+08:00",
        "Residents wade through a flooded street in the harbour district of Lindhaven",
        ("World", "Weather"),
    ),
    (
        CUP_FINAL,
        "2025-05-26T09:05:00+08:00",
        "Harbour City players lift the trophy in front of their supporters",
        ("Sports",),
    ),
)
_NEW_HEADLINE = "Rates unchanged as central bank waits for clearer inflation picture"


def _changed(post: MirrorPost) -> MirrorPost:
    """Apply the mirror's edits: a new headline, a dropped paragraph, an edited sentence."""
    if post.source_slug == RATES_ON_HOLD.slug:
        slug = blogger_slug(_NEW_HEADLINE)
        return replace(post, headline=_NEW_HEADLINE, slug=slug, change="new-headline")
    if post.source_slug == STORM_FLOODS.slug:
        kept = post.paragraphs[:4] + post.paragraphs[5:]
        return replace(post, paragraphs=kept, change="paragraph-dropped")
    if post.source_slug == CUP_FINAL.slug:
        edited = _edit_sentence(
            post.paragraphs,
            "A crowd of 41,200 watched the final, including around 15,000",
            "A sell-out crowd of 41,200 saw the final, among them some 15,000",
        )
        return replace(post, paragraphs=edited, change="sentence-edited")
    return post


def _mirror_posts() -> tuple[MirrorPost, ...]:
    posts = [_changed(_copy(*spec)) for spec in _COPIES]
    posts.append(
        MirrorPost(
            slug=blogger_slug(AIRLINE_ROUTES.headline),
            headline=AIRLINE_ROUTES.headline,
            author=MIRROR_AUTHOR,
            published=AIRLINE_ROUTES.published,
            labels=("Business", "Travel"),
            caption=f"A Skyreach aircraft taxis to the gate at the main airport - {AGENCY} pic",
            paragraphs=AIRLINE_ROUTES.paragraphs,
            source_slug=None,
            change="original",
        )
    )
    return tuple(sorted(posts, key=lambda post: post.published_at))


# Mirror-blog posts, oldest first.
MIRROR_POSTS: tuple[MirrorPost, ...] = _mirror_posts()

# Strings that appear on demo pages (as a naive text extraction sees them) but must never
# reach stored article text. The captions are glued to the dateline in naive extractions.
BOILERPLATE_MARKERS: tuple[str, ...] = (
    "Today:",
    "min read",
    "ALSO READ-",
    "Previous Story",
    "Next Story",
    "Latest from -",
    "Go toTop",
    "Don't Miss",
    "Artikel ini hanyalah simpanan cache",
    f"{AGENCY} pic",
    *(post.caption for post in MIRROR_POSTS),
)


def story_by_slug(slug: str) -> Story:
    """The published portal story with this slug (KeyError if none)."""
    for story in PORTAL_STORIES:
        if story.slug == slug:
            return story
    raise KeyError(slug)


def portal_tags() -> list[str]:
    """Every tag used by a published portal story, sorted."""
    return sorted({tag for story in PORTAL_STORIES for tag in story.tags})


def mirror_labels() -> list[str]:
    """Every label used by a mirror post, sorted."""
    return sorted({label for post in MIRROR_POSTS for label in post.labels})
