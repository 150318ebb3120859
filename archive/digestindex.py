"""The payload digests already archived, across crawls: what a revisit record refers to.

One tab-separated line per archived response: ``digest  url  WARC-Date  WARC-Record-ID  file``,
appended (and flushed) right after the record itself is flushed to its WARC file, so every
line names a record that is complete on disk. The file lives in the WARC directory
(``newsarc-digests.tsv``) and is read once when a writer starts; a torn last line (crash)
is ignored. If a WARC file is deleted, revisits may refer to a record that is gone: the
refers-to fields still name the original capture (URI and date) as WARC 1.1 section 6.7.2
requires, so a replay tool with the older files can resolve it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

logger = logging.getLogger(__name__)

__all__ = ["DIGEST_INDEX_NAME", "ArchivedPayload", "DigestIndex"]

DIGEST_INDEX_NAME = "newsarc-digests.tsv"


@dataclass(frozen=True)
class ArchivedPayload:
    """The first capture of a payload: what ``WARC-Refers-To*`` of a revisit names."""

    uri: str
    date: str
    record_id: str
    warc_file: str = ""


class DigestIndex:
    """``(url, payload digest) -> first capture`` and ``url -> latest capture``.

    With ``path`` None the index lives in memory only (one writer's lifetime).
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._by_digest: dict[tuple[str, str], ArchivedPayload] = {}
        self._latest: dict[str, ArchivedPayload] = {}
        self._fh: TextIO | None = None
        if path is not None and path.is_file():
            self._load(path)

    def _load(self, path: Path) -> None:
        with path.open(encoding="utf-8", newline="\n") as fh:
            for line in fh:
                fields = line.rstrip("\n").split("\t")
                if not line.endswith("\n") or len(fields) != 5:
                    logger.warning("%s: ignoring torn or malformed line %r", path, line[:100])
                    continue
                digest, url, date, record_id, warc_file = fields
                self._remember(digest, ArchivedPayload(url, date, record_id, warc_file))

    def _remember(self, digest: str, payload: ArchivedPayload) -> None:
        self._by_digest.setdefault((payload.uri, digest), payload)
        self._latest[payload.uri] = payload

    def __len__(self) -> int:
        return len(self._by_digest)

    def find(self, url: str, digest: str) -> ArchivedPayload | None:
        """The first capture of ``url`` with this payload digest, if any."""
        return self._by_digest.get((url, digest))

    def latest(self, url: str) -> ArchivedPayload | None:
        """The latest full capture of ``url`` (what a 304 answer confirms), if any."""
        return self._latest.get(url)

    def add(self, digest: str, payload: ArchivedPayload) -> None:
        """Remember a capture; append it to the file (flushed) when the index is persisted."""
        self._remember(digest, payload)
        if self.path is None:
            return
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("a", encoding="utf-8", newline="\n")
        fields = (digest, payload.uri, payload.date, payload.record_id, payload.warc_file)
        if any("\t" in f or "\n" in f for f in fields):
            logger.warning("not indexing capture of %r: tab or newline in a field", payload.uri)
            return
        self._fh.write("\t".join(fields) + "\n")
        self._fh.flush()

    def close(self) -> None:
        """Close the file (if it was opened for appending)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
