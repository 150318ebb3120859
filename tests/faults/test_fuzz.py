"""Property-based tests (issue 6, case 11): extraction and WARC reading never crash or hang.

Example counts are modest so the suite stays fast; ``FUZZ_EXAMPLES`` sums them for the report.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.reader import ReadProblem, iter_responses
from archive.writer import HttpExchange, WarcWriter, WarcWriterConfig
from pipelines.chain import extract_step
from pipelines.errors import PageSkipped
from pipelines.extract import ExtractConfig
from pipelines.items import Article, Page

HTML_EXAMPLES = 60
BYTES_EXAMPLES = 80
WARC_EXAMPLES = 150
FUZZ_EXAMPLES = HTML_EXAMPLES + BYTES_EXAMPLES + 2 * WARC_EXAMPLES
CONFIG = ExtractConfig()
FUZZ = settings(
    database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

TAGS = ["p", "div", "article", "span", "h1", "a", "table", "td", "li", "script", "b", "nav"]
words = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
html_tree = st.recursive(
    words,
    lambda children: st.builds(
        lambda tag, attrs, inner: f"<{tag}{attrs}>{''.join(inner)}</{tag}>",
        st.sampled_from(TAGS),
        st.sampled_from(["", ' class="content"', ' lang="fr"', " \x00=", ' href="javascript:x"']),
        st.lists(children, max_size=4),
    ),
    max_leaves=30,
)
junk = st.sampled_from(["", "<!DOCTYPE html>", "<html><head><title>t</title></head><body>",
                        "<meta charset='shift_jis'>", "<?xml version='1.0'?>", "\ufeff", "</div>"])  # fmt: skip


def _page(body: bytes, ctype: str) -> Page:
    return Page(url="http://fuzz.example/news/2025/07/12/a-b-c.html",
                final_url="http://fuzz.example/news/2025/07/12/a-b-c.html", status=200,
                headers={"content-type": ctype}, body=body, fetched_at="2025-07-12T00:00:00Z")  # fmt: skip


@settings(FUZZ, max_examples=HTML_EXAMPLES)
@given(head=junk, tree=st.lists(html_tree, max_size=5), charset=st.sampled_from(
    ["utf-8", "windows-1251", "shift_jis", "iso-8859-1", "bogus"]))  # fmt: skip
def test_generated_html_gives_an_article_or_a_named_skip(
    head: str, tree: list[str], charset: str
) -> None:
    body = (head + "".join(tree)).encode("utf-8", "surrogatepass")
    result = extract_step(_page(body, f"text/html; charset={charset}"), CONFIG)
    assert isinstance(result, (Article, PageSkipped))


@settings(FUZZ, max_examples=BYTES_EXAMPLES)
@given(
    body=st.binary(max_size=4096),
    ctype=st.sampled_from(["text/html", "", "text/html; charset=utf-16"]),
)
def test_random_bytes_give_an_article_or_a_named_skip(body: bytes, ctype: str) -> None:
    result = extract_step(_page(body, ctype), CONFIG)
    assert isinstance(result, (Article, PageSkipped))


# --- WARC mutations -----------------------------------------------------------------------


def _exchange(n: int) -> HttpExchange:
    body = f"<html><body><p>record {n} ".encode() + b"x" * (200 * n) + b"</p></body></html>"
    return HttpExchange(
        url=f"http://fuzz.example/{n}", method="GET", request_headers=[("Host", "fuzz.example")],
        request_body=b"", status=200, reason="OK",
        response_headers=[("Content-Type", "text/html"), ("Content-Length", str(len(body)))],
        response_body=body, fetched_at=datetime(2025, 7, 12, tzinfo=UTC),
    )  # fmt: skip


@pytest.fixture(scope="module")
def valid_warc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[bytes, Path]]:
    base = tmp_path_factory.mktemp("fuzzwarc")
    with WarcWriter(WarcWriterConfig(directory=base, prefix="fuzz")) as writer:
        for n in range(4):
            writer.write_exchange(_exchange(n))
    (path,) = base.glob("*.warc.gz")
    yield path.read_bytes(), base


mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(1, 255)),
    st.tuples(st.just("cut"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.integers(0, 255)),
    st.tuples(st.just("zero"), st.integers(0, 10**6), st.integers(1, 64)),
)


def _mutate(data: bytes, steps: list[tuple[str, int, int]]) -> bytes:
    buffer = bytearray(data)
    for kind, where, value in steps:
        at = where % (len(buffer) + 1)
        if kind == "flip" and at < len(buffer):
            buffer[at] ^= value
        elif kind == "cut":
            del buffer[at:]
        elif kind == "insert":
            buffer[at:at] = bytes([value]) * (1 + where % 17)
        elif kind == "zero":
            buffer[at : at + value] = bytes(len(buffer[at : at + value]))
    return bytes(buffer)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("engine", ["auto", "warcio"])
def test_mutated_warc_files_never_crash_or_hang_the_reader(
    valid_warc: tuple[bytes, Path], engine: str
) -> None:
    data, base = valid_warc
    target = base / f"mutated-{engine}.warc.gz"

    @settings(FUZZ, max_examples=WARC_EXAMPLES)
    @given(steps=st.lists(mutation, min_size=1, max_size=4))
    def read_mutated(steps: list[tuple[str, int, int]]) -> None:
        target.write_bytes(_mutate(data, steps))
        problems: list[ReadProblem] = []
        records = list(itertools.islice(iter_responses(target, problems.append, engine=engine), 50))
        assert len(records) <= 4  # never more records than were written (no loop, no ghosts)
        assert all(p.warc_file == target.name for p in problems)

    read_mutated()
