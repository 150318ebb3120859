"""What replay remembers in the store: per-file progress (resume) and record provenance.

Progress is written in the same transaction as the pages it covers, so after Ctrl-C or a
crash the store says exactly which records are done: a re-run skips them (resumable) and
a file replayed to its end is skipped as a whole (idempotent). Tables: ``replay_files``
and the ``warc_record_id``/``warc_payload_digest`` columns of ``articles`` (migration 0005).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pipelines.store import Store, utc_now

__all__ = ["FileProgress", "ReplayState", "file_key"]

_HEAD_BYTES = 64 * 1024


def file_key(path: Path) -> str:
    """``name:size:sha1(first 64 KiB)`` — the same file under another path has the same key."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = hashlib.sha1(fh.read(_HEAD_BYTES)).hexdigest()
    return f"{path.name}:{size}:{head}"


@dataclass(frozen=True)
class FileProgress:
    """How far an earlier replay got in one file."""

    key: str
    next_offset: int
    records: int
    finished: bool


class ReplayState:
    """Reads and writes ``replay_files`` and article provenance through the store's connection."""

    def __init__(self, store: Store, crawl_id: str | None) -> None:
        self.store = store
        self.crawl_id = crawl_id

    def progress(self, path: Path) -> FileProgress:
        """The progress recorded for ``path`` (a new row if it was never replayed)."""
        key = file_key(path)
        row = next(
            iter(self.store.db.query("SELECT * FROM replay_files WHERE file_key = ?", [key])),
            None,
        )
        if row is None:
            self.store.db.execute(
                "INSERT INTO replay_files (file_key, name, size, started_at, crawl_id) "
                "VALUES (?, ?, ?, ?, ?)",
                [key, path.name, path.stat().st_size, utc_now(), self.crawl_id],
            )
            self.store.commit()
            return FileProgress(key, 0, 0, False)
        return FileProgress(key, row["next_offset"], row["records"], row["finished_at"] is not None)

    def advance(self, key: str, next_offset: int, records: int) -> None:
        """Records below ``next_offset`` are done (call inside the batch's transaction)."""
        self.store.db.execute(
            "UPDATE replay_files SET next_offset = max(next_offset, ?), records = records + ? "
            "WHERE file_key = ?",
            [next_offset, records, key],
        )

    def finish(self, key: str) -> None:
        """The whole file was replayed."""
        self.store.db.execute(
            "UPDATE replay_files SET finished_at = ? WHERE file_key = ?", [utc_now(), key]
        )
        self.store.commit()

    def link_record(
        self, article_id: int, location: tuple[str, int], ids: tuple[str | None, str | None]
    ) -> None:
        """Set record id and payload digest on the article if it points at this record."""
        record_id, digest = ids
        self.store.db.execute(
            "UPDATE articles SET warc_record_id = ?, warc_payload_digest = ? "
            "WHERE id = ? AND warc_file = ? AND warc_offset = ?",
            [record_id, digest, article_id, *location],
        )
