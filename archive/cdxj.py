"""CDXJ indexes that pywb can use, built with cdxj-indexer (the Webrecorder indexer pywb uses).

A line is ``SURT TIMESTAMP {json}`` with ``url``, ``mime``, ``status``, ``digest``,
``length``, ``offset`` and ``filename``; POST/PUT captures get pywb's post-append key
(``method``, ``requestBody``). Index files are sorted in code point order, which is
the byte order pywb's binary search expects.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from cdxj_indexer.main import CDXJIndexer

from archive.resync import format_at

logger = logging.getLogger(__name__)

__all__ = ["CdxjIndexError", "index_warc", "write_index"]


class CdxjIndexError(Exception):
    """One or more archive files could not be indexed completely.

    ``problems`` holds one line per file; ``count`` the number of lines indexed anyway.
    """

    def __init__(self, problems: list[str], count: int = 0) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.count = count


class _Lines:
    """The text sink cdxj-indexer writes to, one ``write`` per index line."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, text: str) -> None:
        self.lines.extend(line for line in text.splitlines() if line)


def index_warc(path: Path) -> Iterator[str]:
    """Yield the CDXJ lines of one WARC/ARC file, in file order.

    If the file is damaged, the lines of the records before the damage are yielded,
    then :class:`CdxjIndexError` is raised.
    """
    sink = _Lines()
    indexer = CDXJIndexer(output=sink, inputs=[], post_append=True)
    failure: str | None = None
    try:
        with path.open("rb") as fh:
            if format_at(fh, 0) is None:
                raise CdxjIndexError([f"{path.name}: not a WARC or ARC file"])
            fh.seek(0)
            indexer.process_one(fh, sink, str(path))
    except CdxjIndexError:
        raise
    # cdxj-indexer and warcio raise many types on damaged files; the file name and the
    # reason go into the error raised below.
    except Exception as exc:
        logger.debug("indexing %s failed", path, exc_info=True)
        failure = f"{path.name}: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    yield from sink.lines
    if failure is not None:
        raise CdxjIndexError([failure], len(sink.lines))


def write_index(paths: Sequence[Path], out: Path) -> int:
    """Write the sorted CDXJ index of ``paths`` to ``out`` (atomically); return its line count.

    Damaged files do not stop the others: the index is written with every line that
    could be read, then :class:`CdxjIndexError` names the damaged files.
    """
    lines: list[str] = []
    problems: list[str] = []
    for path in paths:
        try:
            lines.extend(index_warc(path))
        except CdxjIndexError as exc:
            problems.extend(exc.problems)
        except OSError as exc:
            problems.append(f"{path.name}: cannot read: {exc}")
    lines.sort()
    _write_atomically(out, lines)
    logger.info("wrote %d CDXJ lines for %d files to %s", len(lines), len(paths), out)
    if problems:
        raise CdxjIndexError(problems, len(lines))
    return len(lines)


def _write_atomically(out: Path, lines: list[str]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=out.name, suffix=".tmp", dir=out.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.writelines(line + "\n" for line in lines)
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
