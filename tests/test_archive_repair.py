"""Tests for archive.repair: a crashed writer's ``.open`` file keeps its complete records."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.repair import repair_file, repair_paths
from archive.writer import WarcWriter, WarcWriterConfig
from tests.test_archive_writer import exchange


def _crashed_file(tmp_path: Path, exchanges: int = 3) -> tuple[Path, int]:
    """A ``.open`` file as a crash leaves it (writer never closed); returns it and its size."""
    writer = WarcWriter(WarcWriterConfig(tmp_path, pid=999_999_999))
    for i in range(exchanges):
        writer.write_exchange(exchange(f"http://example.com/{i}"))
    (path,) = tmp_path.glob("*.open")
    return path, path.stat().st_size


def _types(path: Path) -> list[str]:
    with path.open("rb") as fh:
        return [record.rec_type for record in ArchiveIterator(fh)]


def test_torn_tail_is_cut_and_file_renamed(tmp_path: Path) -> None:
    path, size = _crashed_file(tmp_path)
    with path.open("r+b") as fh:
        fh.truncate(size - 25)
    result = repair_file(path)
    assert result.action == "repaired" and result.records == 6
    assert result.final_path is not None and result.final_path.name == path.name[:-5]
    assert not path.exists()
    assert _types(result.final_path) == ["warcinfo"] + ["request", "response"] * 2 + ["request"]
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "from warcio.cli import main; main()",
            "check",
            str(result.final_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout


def test_complete_open_file_is_only_renamed(tmp_path: Path) -> None:
    path, size = _crashed_file(tmp_path, 1)
    result = repair_file(path)
    assert result.action == "complete" and result.cut_bytes == 0
    assert result.final_path is not None and result.final_path.stat().st_size == size


def test_garbage_tail_is_cut(tmp_path: Path) -> None:
    path, _ = _crashed_file(tmp_path, 1)
    with path.open("ab") as fh:
        fh.write(b"\x1f\x8b\x08\x00garbage")
    result = repair_file(path)
    assert result.action == "repaired" and result.cut_bytes == 11 and result.records == 3


def test_file_of_live_writer_is_skipped(tmp_path: Path) -> None:
    writer = WarcWriter(WarcWriterConfig(tmp_path))  # this process: pid alive
    writer.write_exchange(exchange())
    (path,) = tmp_path.glob("*.open")
    other = path.with_name(path.name.replace(f"-{writer.config.pid}.", "-1."))
    path.rename(other)  # pid 1 is alive (init)
    assert repair_file(other).action == "skipped"
    assert repair_file(other, force=True).action == "complete"


def test_directory_repairs_every_open_file(tmp_path: Path) -> None:
    _crashed_file(tmp_path / "a")
    results = repair_paths([tmp_path / "a"])
    assert [r.action for r in results] == ["complete"]
    assert repair_paths([tmp_path / "a"]) == []


def test_nothing_complete_removes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x-20250101000000000-00000-h-999999999.warc.gz.open"
    path.write_bytes(b"\x1f\x8b\x08")
    result = repair_file(path)
    assert result.records == 0 and not path.exists()
