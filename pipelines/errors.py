"""Reasons a page is dropped by the extraction chain, one ``DropItem`` subclass each.

Each class carries a ``reason`` slug; the item-pipeline adapter counts it as the stat
``newsarc/extract/<reason>``. Messages name the URL and the measured value.
"""

from __future__ import annotations

from scrapy.exceptions import DropItem


class PageSkipped(DropItem):
    """A fetched page that yields no stored article."""

    reason: str = "skipped"

    def __init__(self, url: str, detail: str = "") -> None:
        self.url = url
        self.detail = detail
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"{self.reason}: {url}{suffix}", log_level="DEBUG")

    def __reduce__(self) -> tuple[type[PageSkipped], tuple[str, str]]:
        # Rebuilt from (url, detail) when it comes back from an extraction worker process.
        return (type(self), (self.url, self.detail))


class NotHtml(PageSkipped):
    """The response is not an HTML document (detail: its content type)."""

    reason = "not_html"


class HttpError(PageSkipped):
    """The final response status is not 200 (detail: the status)."""

    reason = "http_error"


class EmptyExtraction(PageSkipped):
    """No article text could be extracted (detail: at which stage)."""

    reason = "empty"


class TooShort(PageSkipped):
    """The article text has fewer words than the minimum (detail: count and minimum)."""

    reason = "too_short"


class NotAnArticle(PageSkipped):
    """A listing, tag, search or home page (detail: the evidence)."""

    reason = "not_article"


class DuplicateUrl(PageSkipped):
    """The article URL is already stored (used by the store)."""

    reason = "duplicate_url"


class ExtractionCrashed(PageSkipped):
    """The extraction worker died twice on this page (detail: what the pool reported)."""

    reason = "extraction_crashed"
