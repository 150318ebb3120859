"""Revisions: earlier texts of an article (corrections, updates) and the word diff between them.

The store keeps the text a newer fetch replaced, or a text fetched before the current one,
in ``article_versions`` (once per distinct text); ``newsarc show ID --history`` reads them.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from sqlite_utils import Database

VERSION_FIELDS = (
    "title", "text", "text_hash", "word_count", "published", "fetched_at", "warc_file",
    "warc_offset", "warc_length", "crawl_id", "extractor_version",
)  # fmt: skip
"""Columns of ``articles`` kept for each earlier text in ``article_versions``."""


def keep(db: Database, article_id: int, row: Mapping[str, Any], replaced_at: str) -> None:
    """Keep a text of ``article_id`` in ``article_versions`` (once per distinct text)."""
    values = {"article_id": article_id, **{f: row[f] for f in VERSION_FIELDS},
              "replaced_at": replaced_at}  # fmt: skip
    columns = ", ".join(values)
    marks = ", ".join("?" * len(values))
    db.execute(
        f"INSERT OR IGNORE INTO article_versions ({columns}) VALUES ({marks})",
        list(values.values()),
    )


def keep_current(db: Database, article_id: int, replaced_at: str) -> None:
    """Copy the current text of ``article_id`` to ``article_versions`` before it is replaced."""
    columns = ", ".join(VERSION_FIELDS)
    db.execute(
        f"INSERT OR IGNORE INTO article_versions (article_id, {columns}, replaced_at) "
        f"SELECT id, {columns}, ? FROM articles WHERE id = ?",
        [replaced_at, article_id],
    )


def history(db: Database, article_id: int) -> list[dict[str, Any]]:
    """Return the texts of an article, oldest first, the current one last (``current``)."""
    columns = "title, text, text_hash, fetched_at, warc_file, warc_offset, crawl_id"
    rows = [
        dict(row, current=False)
        for row in db.query(
            f"SELECT {columns} FROM article_versions WHERE article_id = ? ORDER BY fetched_at, id",
            [article_id],
        )
    ]
    current = list(db.query(f"SELECT {columns} FROM articles WHERE id = ?", [article_id]))
    return rows + [dict(row, current=True) for row in current]


def word_diff(old: str, new: str, context: int = 6) -> list[str]:
    """Return the changes from ``old`` to ``new`` word by word: one line per change, with
    ``context`` words around it, removed words as ``[-...-]`` and added ones as ``{+...+}``."""
    a, b = old.split(), new.split()
    lines = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        parts = [" ".join(a[max(0, i1 - context) : i1])]
        if i2 > i1:
            parts.append("[-" + " ".join(a[i1:i2]) + "-]")
        if j2 > j1:
            parts.append("{+" + " ".join(b[j1:j2]) + "+}")
        parts.append(" ".join(a[i2 : i2 + context]))
        lines.append(" ".join(part for part in parts if part))
    return lines
