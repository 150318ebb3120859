"""Extraction of every demo article page, page by page: no boilerplate left, no paragraph lost."""

from __future__ import annotations

import urllib.request

import pytest

from crawler.demo.content import BOILERPLATE_MARKERS, MIRROR_POSTS, PORTAL_STORIES
from crawler.demo.server import DemoSites
from crawler.demo.sites import article_path, post_path
from pipelines.extract import ExtractConfig, extract_page
from pipelines.items import Article, Page

CASES = [("portal", story.slug) for story in PORTAL_STORIES] + [
    ("mirror", post.slug) for post in MIRROR_POSTS
]


def _extract(url: str) -> Article:
    with urllib.request.urlopen(url, timeout=10) as response:
        body, headers = response.read(), {k.lower(): v for k, v in response.headers.items()}
    page = Page(url=url, final_url=url, status=200, headers=headers, body=body,
                fetched_at="2025-11-14T00:00:00Z")  # fmt: skip
    return extract_page(page, ExtractConfig())


@pytest.mark.parametrize(("site", "slug"), CASES)
def test_demo_article_is_clean_and_complete(demo_sites: DemoSites, site: str, slug: str) -> None:
    if site == "portal":
        story = next(s for s in PORTAL_STORIES if s.slug == slug)
        url, headline, paragraphs = (
            demo_sites.portal(article_path(story)),
            story.headline,
            story.paragraphs,
        )
    else:
        post = next(p for p in MIRROR_POSTS if p.slug == slug)
        url, headline, paragraphs = (
            demo_sites.mirror(post_path(post)),
            post.headline,
            post.paragraphs,
        )
    article = _extract(url)
    for marker in BOILERPLATE_MARKERS:
        assert marker not in article.text, marker
    assert article.text.split("\n\n") == list(paragraphs)
    assert article.title == headline
    assert article.language == "en" or site == "mirror"
