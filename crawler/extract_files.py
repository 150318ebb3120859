"""``newsarc extract``: the chain's extraction on saved HTML files, one result row per file."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import Any

from pipelines.errors import PageSkipped
from pipelines.extract import ExtractConfig, extract_html

CONFIG = ExtractConfig()


def read_html_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it is gzip (by content, not only by name)."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data


def extract_file(path: Path, url: str | None = None) -> dict[str, Any]:
    """One row: ``path`` as given and the article fields, or ``error`` saying why not."""
    row: dict[str, Any] = {"path": str(path)}
    try:
        data = read_html_bytes(path)
    except (OSError, EOFError, zlib.error) as exc:
        row["error"] = (
            f"cannot read: {exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}"
        )
        return row
    try:
        article = extract_html(data, url, CONFIG)
    except PageSkipped as exc:
        row["error"] = str(exc)
        return row
    row.update(
        title=article.title,
        author=article.author,
        published=article.published,
        language=article.language,
        site_name=article.site_name,
        description=article.description,
        tags=article.tags,
        source_url=article.source_url,
        word_count=article.word_count,
        text=article.text,
    )
    return row
