"""Canonical URLs and sites (pipelines.urls)."""

from __future__ import annotations

import pytest

from pipelines.urls import canonicalize_url, site_of

CASES = [
    # (url, hint, canonical)
    ("https://example.com/a/b?utm_source=tw&utm_medium=social", None, "https://example.com/a/b"),
    ("https://example.com/a?fbclid=IwAR0x&id=7", None, "https://example.com/a?id=7"),
    ("https://example.com/a?gclid=Cj0&mc_cid=1&mc_eid=2&igshid=3", None, "https://example.com/a"),
    ("https://example.com/a?ref=home", None, "https://example.com/a"),
    ("https://example.com/a#comments", None, "https://example.com/a"),
    ("http://example.com:80/a", None, "http://example.com/a"),
    ("https://example.com:443/a", None, "https://example.com/a"),
    ("https://example.com:8443/a", None, "https://example.com:8443/a"),
    ("HTTPS://Example.COM/Path", None, "https://example.com/Path"),
    ("https://example.com/2025/07/story/", None, "https://example.com/2025/07/story"),
    ("https://example.com/", None, "https://example.com/"),
    ("https://example.com", None, "https://example.com/"),
    ("https://m.example.com/a", None, "https://example.com/a"),
    ("https://amp.example.com/a", None, "https://example.com/a"),
    ("https://blog.example.com/2025/07/x.html?m=1", None, "https://blog.example.com/2025/07/x.html"),
    ("https://blog.example.com/2025/07/x.html?m=0", None, "https://blog.example.com/2025/07/x.html"),
    ("https://example.com/?m=202507", None, "https://example.com/?m=202507"),
    ("https://example.com/story?amp=1", None, "https://example.com/story"),
    ("https://example.com/news/story/amp/", None, "https://example.com/news/story"),
    ("https://example.com/news/story/amp", None, "https://example.com/news/story"),
    ("https://example.com/a?b=2&a=1", None, "https://example.com/a?a=1&b=2"),
    ("https://example.com/a", "https://example.com/b", "https://example.com/b"),
    ("https://example.com/a?x=1", "/a", "https://example.com/a"),
    ("https://m.example.com/a", "https://www.example.com/a/", "https://www.example.com/a"),
    ("https://mirror.blogspot.com/2025/07/a.html", "https://example.com/a", (
        "https://mirror.blogspot.com/2025/07/a.html")),
    ("https://example.com/2025/a", "https://example.com/", "https://example.com/2025/a"),
    ("https://example.com/a", "javascript:void(0)", "https://example.com/a"),
    ("https://example.com/a", "", "https://example.com/a"),
]  # fmt: skip


@pytest.mark.parametrize(("url", "hint", "expected"), CASES)
def test_canonicalize_url(url: str, hint: str | None, expected: str) -> None:
    assert canonicalize_url(url, hint) == expected


@pytest.mark.parametrize(("url", "hint", "expected"), CASES)
def test_canonicalize_url_is_idempotent(url: str, hint: str | None, expected: str) -> None:
    canonical = canonicalize_url(url, hint)
    assert canonicalize_url(canonical) == canonical
    assert canonicalize_url(url, canonical) == canonical


def test_non_http_url_is_left_alone() -> None:
    assert canonicalize_url(" mailto:desk@example.com ") == "mailto:desk@example.com"


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://www.Example.com:8080/a", "example.com"),
        ("http://news.example.org/x", "news.example.org"),
        ("https://EXAMPLE.com.", "example.com"),
        ("https://m.example.com/a", "m.example.com"),
    ],
)
def test_site_of(url: str, site: str) -> None:
    assert site_of(url) == site
