"""The two records that flow through the chain: Page (what was fetched) and Article (what a reader sees).

Both are plain dataclasses so that the live crawl (Scrapy) and the replay of WARC files
(``archive.reader``) build exactly the same objects and get exactly the same results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipelines.dedup import Precomputed


@dataclass(frozen=True)
class Page:
    """One fetched HTTP response, as handed to the extraction chain."""

    url: str
    """The URL that was requested first (before redirects)."""
    final_url: str
    """The URL whose response this is (after redirects); article URLs are derived from it."""
    status: int
    """HTTP status code of the final response."""
    headers: dict[str, str]
    """Response headers, names lower-cased; repeated headers joined with ", "."""
    body: bytes
    """Response body with Content-Encoding/Transfer-Encoding removed (the bytes a browser parses)."""
    fetched_at: str
    """ISO 8601 UTC time of the fetch, e.g. ``2025-07-10T08:00:00Z``."""
    warc_file: str | None = None
    """Base name of the WARC file holding the response record, if archived."""
    warc_offset: int | None = None
    """Byte offset of the response record (its gzip member) in ``warc_file``."""
    warc_length: int | None = None
    """Byte length of the response record (its gzip member) in ``warc_file``."""
    crawl_id: str | None = None
    """Id of the crawl (or replay) run that produced this page."""
    warc_record_id: str | None = None
    """WARC-Record-ID of the response record (``<urn:uuid:…>``), if archived."""
    warc_payload_digest: str | None = None
    """WARC-Payload-Digest of the response record (``sha1:…``), if archived."""
    kind: str = "page"
    """What the crawler fetched it as: "page" (HTML to extract), "feed", "sitemap" or "robots"."""

    @property
    def content_type(self) -> str:
        """The Content-Type header ("" when absent)."""
        return self.headers.get("content-type", "")


@dataclass
class Article:
    """A clean article extracted from one Page."""

    url: str
    """The page's final URL, as fetched."""
    canonical_url: str
    """Canonical form: rel=canonical/og:url when on the same site, tracking parameters and fragment removed."""
    site: str
    """Host name of ``url`` without a leading ``www.`` (lower case, no port)."""
    title: str
    """Headline, without a " | Site name" suffix."""
    text: str
    """Trimmed article text: paragraphs separated by one blank line, no boilerplate."""
    author: str | None = None
    """Author name(s) as printed, or None."""
    published: str | None = None
    """Publication date, ISO 8601 (``YYYY-MM-DD`` or full timestamp), or None."""
    language: str | None = None
    """ISO 639-1 code of the text's language, or None when unknown."""
    site_name: str | None = None
    """Site name as the page declares it (og:site_name), or None."""
    description: str | None = None
    """Meta/og description, or None."""
    tags: list[str] = field(default_factory=list)
    """Tags/categories declared by the page."""
    source_url: str | None = None
    """Origin URL named by a mirror's cache notice, or None."""
    word_count: int = 0
    """Number of words in ``text``."""
    text_hash: str = ""
    """Hex SHA-1 of the normalized text (see ``pipelines.dedup.text_hash``)."""
    fetched_at: str | None = None
    """ISO 8601 UTC time of the fetch."""
    warc_file: str | None = None
    """Base name of the WARC file holding the response record."""
    warc_offset: int | None = None
    """Byte offset of the response record in ``warc_file``."""
    warc_length: int | None = None
    """Byte length of the response record in ``warc_file``."""
    crawl_id: str | None = None
    """Id of the crawl (or replay) run."""
    extractor_version: str = ""
    """Version string of the extraction chain (trafilatura version + rules version)."""
    precomputed: Precomputed | None = field(default=None, compare=False, repr=False)
    """Dedup figures computed by the extraction worker (``pipelines.dedup.precompute``)."""
