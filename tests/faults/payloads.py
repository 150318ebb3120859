"""What the hostile site (tests/hostile_site.py) serves: articles, broken pages, bombs, sitemaps."""

from __future__ import annotations

import functools
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

MB = 1024 * 1024
PRIVATE_TARGETS = (
    "http://10.0.0.1/internal",
    "http://172.16.0.1/internal",
    "http://192.168.1.1/router",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/internal",
    "http://[fc00::1]/internal",
)
_WORDS = [
    "harbour",
    "council",
    "budget",
    "river",
    "minister",
    "festival",
    "railway",
    "farmers",
    "drought",
    "school",
    "election",
    "museum",
    "orchestra",
    "bridge",
    "vaccine",
    "hospital",
    "coastline",
    "ferry",
    "mayor",
    "parliament",
    "harvest",
    "engineers",
    "volcano",
    "library",
    "tourism",
    "export",
    "factory",
    "students",
    "climate",
    "court",
    "village",
    "market",
    "storm",
    "airport",
    "scientists",
    "satellite",
    "pension",
    "stadium",
    "fishermen",
    "vineyard",
]


def article_text(key: str, words: int = 160) -> str:
    """Deterministic article prose, different for every key (so no two are near copies)."""
    rng = random.Random(key)
    vocab = [*_WORDS, *(f"{w}{key.replace('/', '')}{i}" for i, w in enumerate(_WORDS))]
    sentences = []
    for _ in range(words // 10):
        sentence = " ".join(rng.choice(vocab) for _ in range(10))
        sentences.append(sentence.capitalize() + ".")
    return " ".join(sentences)


def article_html(key: str, text: str | None = None, extra: str = "") -> str:
    body = text if text is not None else article_text(key)
    paragraphs = "".join(f"<p>{p}</p>\n" for p in _paragraphs(body))
    return f"""<!DOCTYPE html><html lang="en"><head><title>Story {key}</title>
<meta property="og:type" content="article"><meta name="author" content="Staff">
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "Story {key}",
"datePublished": "2025-07-12"}}</script></head><body><article><h1>Story {key}</h1>
<time datetime="2025-07-12">12 July 2025</time>
{paragraphs}{extra}</article></body></html>"""


def _paragraphs(text: str) -> list[str]:
    sentences = text.split(". ")
    return [". ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)]


def padding(key: str) -> str:
    """200 KB of incompressible bytes in a comment: articles that fill a disk quickly."""
    return f"<!-- {random.Random(key).randbytes(150_000).hex()} -->"


def good_path(group: str, n: int) -> str:
    return f"/news/2025/07/12/{group}-good-story-{n}.html"


@dataclass
class Reply:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def html(text: str | bytes, ctype: str = "text/html; charset=utf-8") -> Reply:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return Reply(200, [("Content-Type", ctype)], data)


def redirect(location: str, status: int = 302, extra: list[tuple[str, str]] | None = None) -> Reply:
    return Reply(status, [("Location", location), *(extra or [])], b"")


# --- content cases ------------------------------------------------------------------------

RUSSIAN = (
    "городской совет обсудил бюджет следующий год новые маршруты трамваев школы больницы мост река"
)
FRENCH = (
    "le conseil municipal étudié budget année prochaine écoles élèves forêt rivière pêcheurs été"
)
JAPANESE = "市議会 来年度 予算 新しい 路面電車 路線 議論 学校 病院 橋 川 漁師 祭り 港 図書館"


def prose(vocabulary: str, key: str, words: int = 200) -> str:
    """Non-repetitive sentences from a small vocabulary (charset cases in other scripts)."""
    rng = random.Random(key)
    vocab = vocabulary.split()
    sep = "" if key == "sjis" else " "
    return " ".join(
        sep.join(rng.choice(vocab) for _ in range(10)) + "." for _ in range(words // 10)
    )


def content_cases() -> dict[str, Callable[[], Reply]]:
    nested = "<div>" * 100_000 + article_text("nested") + "</div>" * 100_000
    return {
        "/content/cp1251-as-utf8.html": lambda: html(
            article_html("cp1251", prose(RUSSIAN, "cp1251")).encode("windows-1251"),
            "text/html; charset=utf-8",
        ),
        "/content/latin1-undeclared.html": lambda: html(
            article_html("latin1", prose(FRENCH, "latin1")).encode("iso-8859-1"), "text/html"
        ),
        "/content/sjis-as-utf8.html": lambda: html(
            article_html("sjis", prose(JAPANESE, "sjis")).encode("shift_jis"),
            "text/html; charset=utf-8",
        ),
        "/content/bom-utf8.html": lambda: html(
            b"\xef\xbb\xbf" + article_html("bom", prose(FRENCH, "bom")).encode("utf-8"),
            "text/html; charset=iso-8859-1",
        ),
        "/content/binary.html": lambda: html(random.Random(1).randbytes(200_000), "text/html"),
        "/content/empty.html": lambda: html(b""),
        "/content/huge-20mb.html": lambda: html(
            article_html("huge", article_text("huge") + " filler" * (20 * MB // 7))
        ),
        "/content/nested.html": lambda: html(article_html("nested-page", nested)),
        "/content/one-line-5mb.html": lambda: html(
            article_html("line", " ".join([article_text("line")] * (5 * MB // 1200))).replace(
                "\n", " "
            )
        ),
        "/content/malformed.html": lambda: html(
            "<html><head><title>Story malformed</head><body><div><p>"
            + article_text("malformed").replace(". ", ".<p><b><i>")
            + "</span></td></tr><<<>>>&&&;&#xZZ;<a href='x'</body>"
        ),
        "/content/nul-bytes.html": lambda: html(
            article_html("nul").replace(". ", ".\x00 ").encode("utf-8")
        ),
    }


# --- structure cases ----------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{base}/bomb/&lol9;</loc></url>
<url><loc>{base}{good}</loc></url></urlset>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY file SYSTEM "file:///etc/hostname">
<!ENTITY remote SYSTEM "{canary}/xxe">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{base}/xxe/&file;</loc></url><url><loc>{base}/xxe/&remote;</loc></url>
<url><loc>{base}{good}</loc></url></urlset>"""

SELF_INDEX = """<?xml version="1.0"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{base}/sitemap-index.xml</loc></sitemap>
<sitemap><loc>{base}/sitemap-good.xml</loc></sitemap></sitemapindex>"""

GOOD_SITEMAP = """<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{base}{good}</loc></url></urlset>"""

FEED_ITEMS = 100_000


def big_feed() -> bytes:
    items = "".join(f"<item><link>/feed-item/{n}</link></item>" for n in range(FEED_ITEMS))
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()


# --- the server ---------------------------------------------------------------------------


@functools.cache
def gzip_bomb() -> bytes:
    """A few KB of gzip that expands to 64 MB of spaces."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b" " * MB
    return b"".join([*(compressor.compress(block) for _ in range(64)), compressor.flush()])
