"""A generated news site for benchmarks: N article pages of 30-150 KB, listings, sitemap, RSS.

Pages are written to a directory once and served as static files by ``serve`` in a separate
process (so the server never competes with the crawler for the GIL). Texts are made from a fixed
word list with a seeded generator: every article is different, runs are reproducible.
"""

from __future__ import annotations

import http.server
import random
import sys
from pathlib import Path

WORDS = [
    "minister",
    "talks",
    "border",
    "trade",
    "grain",
    "port",
    "officials",
    "said",
    "agreement",
    "council",
    "market",
    "rates",
    "bank",
    "inflation",
    "storm",
    "coast",
    "power",
    "families",
    "rescue",
    "teams",
    "harbour",
    "city",
    "final",
    "penalties",
    "stadium",
    "fans",
    "survey",
    "species",
    "ocean",
    "scientists",
    "orbit",
    "satellite",
    "launch",
    "crops",
    "farmers",
    "season",
    "rainfall",
    "prices",
    "export",
    "import",
    "freight",
    "insurance",
    "delegation",
    "summit",
    "forum",
    "capital",
    "capacity",
    "inspections",
    "delays",
    "analysts",
    "quarter",
    "growth",
    "budget",
    "deficit",
    "schools",
    "hospital",
    "workers",
    "union",
    "strike",
    "election",
    "vote",
    "parliament",
    "committee",
    "report",
    "court",
    "ruling",
    "appeal",
    "police",
    "investigation",
    "witnesses",
    "evidence",
]
ARTICLES_PER_LISTING = 40


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 28))]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))


def _chrome(rng: random.Random, size: int) -> str:
    """Navigation, related links and inline script: the bulk of a real news page."""
    links = "".join(
        f'<li><a href="/section/{i}/">{rng.choice(WORDS).title()} {i}</a></li>' for i in range(60)
    )
    script = (
        "var cfg = {" + ",".join(f'"k{i}": "{rng.choice(WORDS)}"' for i in range(size // 24)) + "};"
    )
    return f'<nav><ul class="menu">{links}</ul></nav><script>{script}</script>'


def article_html(index: int, total: int) -> str:
    rng = random.Random(index)
    title = " ".join(rng.choice(WORDS) for _ in range(8)).capitalize()
    body = "".join(f"<p>{_paragraph(rng)}</p>" for _ in range(rng.randint(6, 14)))
    related = "".join(
        f'<li><a href="/news/{(index + k) % total}.html">Related story {k}</a></li>'
        for k in range(1, 6)
    )
    padding = _chrome(rng, rng.randint(25_000, 140_000))
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | Bench News</title>'
        f'<meta property="og:type" content="article"><link rel="canonical" href="/news/{index}.html">'
        f'<meta name="author" content="Reporter {index % 17}">'
        f'<meta property="article:published_time" content="2025-{1 + index % 12:02d}-{1 + index % 28:02d}T08:00:00Z">'
        f"</head><body><header>{padding}</header><main><article><h1>{title}</h1>{body}</article>"
        f"<aside><h3>Related</h3><ul>{related}</ul></aside></main><footer>© Bench News</footer></body></html>"
    )


def listing_html(page: int, pages: int, total: int) -> str:
    start = page * ARTICLES_PER_LISTING
    items = "".join(
        f'<li><a href="/news/{i}.html">Story {i}</a></li>'
        for i in range(start, min(total, start + ARTICLES_PER_LISTING))
    )
    nxt = f'<a href="/list/{page + 1}.html">next</a>' if page + 1 < pages else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Latest | Bench News</title>'
        f'<meta property="og:type" content="website"></head><body><ul>{items}</ul>{nxt}</body></html>'
    )


def generate(root: Path, count: int) -> int:
    """Write the site under ``root`` (skipped when it is already there); returns bytes of HTML."""
    marker = root / f".complete-{count}"
    (root / "news").mkdir(parents=True, exist_ok=True)
    (root / "list").mkdir(exist_ok=True)
    if not marker.exists():
        for i in range(count):
            (root / "news" / f"{i}.html").write_text(article_html(i, count), encoding="utf-8")
        pages = -(-count // ARTICLES_PER_LISTING)
        for p in range(pages):
            (root / "list" / f"{p}.html").write_text(
                listing_html(p, pages, count), encoding="utf-8"
            )
        (root / "index.html").write_text(listing_html(0, pages, count), encoding="utf-8")
        (root / "robots.txt").write_text(
            "User-agent: *\nAllow: /\nSitemap: /sitemap.xml\n", encoding="utf-8"
        )
        locs = "".join(f"<url><loc>/news/{i}.html</loc></url>" for i in range(count))
        (root / "sitemap.xml").write_text(
            f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>',
            encoding="utf-8",
        )
        marker.touch()
    return sum(p.stat().st_size for p in (root / "news").iterdir())


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


def serve(root: str, port_file: str) -> None:
    """Serve ``root`` on 127.0.0.1 (free port, written to ``port_file``) until killed."""
    handler = lambda *a, **k: _QuietHandler(*a, directory=root, **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    Path(port_file).write_text(str(server.server_address[1]), encoding="utf-8")
    server.serve_forever()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
