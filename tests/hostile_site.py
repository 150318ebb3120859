"""A hostile web site on loopback: broken, enormous, slow, looping and unsafe responses.

``serve_hostile_site()`` starts a ``ThreadingHTTPServer`` on 127.0.0.1 (port 0) and a *canary*
server on 127.0.0.2 that only counts connections: the safety tests point redirects and links
at it and assert it was never contacted. Each group of cases has an index page linking to its
cases and to a few good articles (which must still be stored):

- ``/content/``: charsets, binary as HTML, empty, 20 MB, 100,000 nested levels, a 5 MB line,
  malformed markup, NUL bytes;
- ``/limits/``: gzip bomb, never-ending chunked body, slowloris, accept-and-never-answer;
- ``/structure/``: redirect loop and long chain, calendar, session-id and repeated-segment
  traps; sitemaps (billion laughs, XXE, self-referencing index) and a 100,000-item feed;
- ``/safety/``: redirects and links to private addresses and to ``file:``/``data:``/``ftp:``,
  a cookie + redirect to another host name;
- ``/many/``: many good articles (for the kill -9 runs).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.faults.payloads import (
    BILLION_LAUGHS,
    GOOD_SITEMAP,
    MB,
    PRIVATE_TARGETS,
    SELF_INDEX,
    XXE,
    Reply,
    article_html,
    article_text,
    big_feed,
    content_cases,
    good_path,
    gzip_bomb,
    html,
    padding,
    redirect,
)

__all__ = ["MB", "HostileSite", "article_html", "article_text", "good_path", "serve_hostile_site"]


class HostileSite:
    """State shared by the handlers: base URLs, request counts, the cookie-echo log."""

    def __init__(self) -> None:
        self.base = ""
        self.other_base = ""  # the same server under the host name "localhost"
        self.canary = ""
        self.hits: Counter[str] = Counter()
        self.canary_connections = 0
        self.echoed: list[dict[str, str]] = []
        self.stopping = threading.Event()
        self.gate = threading.Event()  # articles of the group "gated" wait for it
        self.lock = threading.Lock()
        self.served = threading.Condition()
        self.served_count = 0
        self.content = content_cases()

    def index(self, group: str, links: list[str], goods: int = 3) -> Reply:
        anchors = [*links, *(good_path(group, n) for n in range(goods))]
        items = "".join(f'<li><a href="{a}">{a}</a></li>\n' for a in anchors)
        return html(
            f"<html><head><title>{group}</title></head><body><ul>{items}</ul></body></html>"
        )

    def route(self, path: str, query: dict[str, list[str]]) -> Reply | Callable[[Handler], None]:
        """A reply, or a function that writes the response itself (slow and endless cases)."""
        if path == "/robots.txt":
            return Reply(200, [("Content-Type", "text/plain")], b"User-agent: *\nAllow: /\n")
        if path.startswith("/news/2025/07/12/"):
            if "/gated-" in path:
                self.gate.wait(60)
            if "/many-" in path:
                self.stopping.wait(0.05)  # a little latency, so a crawl of /many/ takes a while
            key = path.rsplit("/", 1)[1].removesuffix(".html")
            return html(article_html(key, extra=padding(key) if "/bulky-" in path else ""))
        if path in self.content:
            return self.content[path]()
        for prefix, router in (
            ("/content/", self._content_index), ("/limits/", self._limits),
            ("/structure/", self._structure), ("/safety/", self._safety),
            ("/many/", self._many), ("/sitemap", self._sitemaps),
        ):  # fmt: skip
            if path.startswith(prefix):
                return router(path, query)
        if path.startswith("/feed-item/"):
            return html(article_html("feed-" + path.rsplit("/", 1)[1]))
        return Reply(404, [("Content-Type", "text/plain")], b"not found")

    def _content_index(self, path: str, query: dict[str, list[str]]) -> Reply:
        return self.index("content", list(self.content))

    def _limits(self, path: str, query: dict[str, list[str]]) -> Reply | Callable[[Handler], None]:
        cases: dict[str, Callable[[Handler], None]] = {
            "/limits/gzip-bomb.html": write_gzip_bomb,
            "/limits/endless-chunked.html": self._write_endless,
            "/limits/slowloris.html": self._write_slowly,
            "/limits/never-answers.html": self._never_answer,
        }
        return cases.get(path) or self.index("limits", list(cases))

    def _structure(self, path: str, query: dict[str, list[str]]) -> Reply:
        n = int(query.get("n", ["0"])[0])
        if path == "/structure/loop-a":
            return redirect("/structure/loop-b")
        if path == "/structure/loop-b":
            return redirect("/structure/loop-a")
        if path == "/structure/chain":
            return redirect(f"/structure/chain?n={n + 1}" if n < 8 else good_path("chain", 0))
        if path == "/structure/short-chain":
            return redirect(f"/structure/short-chain?n={n + 1}" if n < 2 else good_path("short", 0))
        if path.startswith("/structure/calendar/"):
            return self._calendar(path)
        if path.startswith("/structure/session"):
            sid = random.randrange(10**12)
            return html(f'<a href="/structure/session?sid={sid}">next</a><a href="/structure/'
                        f'session/other?PHPSESSID={sid}">other</a>')  # fmt: skip
        if path == "/structure/feed-home":
            return html(article_html("feed-home"))
        if path.startswith("/structure/dir/"):
            return html('<html><body><a href="again/">deeper</a></body></html>')
        links = [
            "/structure/loop-a",
            "/structure/chain",
            "/structure/short-chain",
            "/structure/calendar/2025-07-12",
            "/structure/session?sid=1",
            "/structure/dir/",
        ]
        return self.index("structure", links)  # fmt: skip

    @staticmethod
    def _calendar(path: str) -> Reply:
        year, month, day = (int(x) for x in path.rsplit("/", 1)[1].split("-"))
        ordinal = year * 372 + (month - 1) * 31 + day - 1
        near = [ordinal - 1, ordinal + 1, ordinal + 31, ordinal + 372]
        links = "".join(
            f'<a href="/structure/calendar/{o // 372}-{o % 372 // 31 + 1:02d}-{o % 31 + 1:02d}">'
            "day</a>"
            for o in near
        )
        return html(f"<html><body><h1>Events</h1>{links}</body></html>")

    def _sitemaps(self, path: str, query: dict[str, list[str]]) -> Reply:
        fill = {"base": self.base, "canary": self.canary}
        xml = {
            "/sitemap-bomb.xml": BILLION_LAUGHS.replace("{good}", good_path("bomb", 0)),
            "/sitemap-xxe.xml": XXE.replace("{good}", good_path("xxe", 0)),
            "/sitemap-index.xml": SELF_INDEX,
            "/sitemap-good.xml": GOOD_SITEMAP.replace("{good}", good_path("index", 0)),
        }.get(path)
        if path == "/sitemap-feed.xml":
            return html(big_feed(), "application/rss+xml")
        if xml is None:
            return Reply(404, [("Content-Type", "text/plain")], b"no sitemap")
        return html(xml.format(**fill), "application/xml")

    def _safety(self, path: str, query: dict[str, list[str]]) -> Reply:
        if path.startswith("/safety/to-private/"):
            return redirect(PRIVATE_TARGETS[int(path.rsplit("/", 1)[1])])
        if path == "/safety/to-canary":
            return redirect(self.canary + "/secret")
        if path == "/safety/to-file":
            return redirect("file:///etc/passwd")
        if path == "/safety/cookie-then-redirect":
            return redirect(self.other_base + "/safety/echo", extra=[
                ("Set-Cookie", "session=secret-cookie; Path=/")])  # fmt: skip
        if path == "/safety/echo":
            return html(article_html("echo"))
        links = [f"/safety/to-private/{i}" for i in range(len(PRIVATE_TARGETS))]
        links += ["/safety/to-canary", "/safety/to-file", "/safety/cookie-then-redirect",
                  "file:///etc/passwd", "ftp://127.0.0.1/pub/file.txt", "data:text/html,<p>x</p>",
                  self.canary + "/linked", *PRIVATE_TARGETS]  # fmt: skip
        return self.index("safety", links)

    def _many(self, path: str, query: dict[str, list[str]]) -> Reply:
        count = int(query.get("count", ["40"])[0])
        return self.index(query.get("group", ["many"])[0], [], goods=count)

    # --- writers for slow and endless responses --------------------------------------------

    def _write_endless(self, handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"<p>" + b"endless " * 8000 + b"</p>"
        frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        while not self.stopping.is_set():
            handler.wfile.write(frame)

    def _write_slowly(self, handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        while not self.stopping.wait(1.0):
            handler.wfile.write(b"x")
            handler.wfile.flush()

    def _never_answer(self, handler: Handler) -> None:
        self.stopping.wait(120)


def write_gzip_bomb(handler: Handler) -> None:
    body = gzip_bomb()
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Encoding", "gzip")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class Handler(BaseHTTPRequestHandler):
    site: HostileSite
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        site = self.site
        with site.lock:
            site.hits[parts.path] += 1
            if parts.path in ("/safety/echo", "/safety/cookie-then-redirect"):
                headers = {k.lower(): v for k, v in self.headers.items()}
                site.echoed.append({"path": parts.path, **headers})
        with site.served:  # a request arrived: waiters on hits re-check
            site.served.notify_all()
        try:
            reply = site.route(parts.path, parse_qs(parts.query))
            if callable(reply):
                reply(self)
            else:
                self._send(reply)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with site.served:
                site.served_count += 1
                site.served.notify_all()

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class CanaryHandler(BaseHTTPRequestHandler):
    site: HostileSite

    def setup(self) -> None:
        with self.site.lock:
            self.site.canary_connections += 1
        super().setup()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up (time limits, kill -9) are expected here


def _server(host: str, handler: type[BaseHTTPRequestHandler], site: HostileSite) -> _Server:
    bound = type(handler.__name__, (handler,), {"site": site})
    return _Server((host, 0), bound)


@contextmanager
def serve_hostile_site() -> Iterator[HostileSite]:
    """Serve the hostile site on 127.0.0.1 and the canary on 127.0.0.2 until the block ends."""
    site = HostileSite()
    gzip_bomb()  # built once, before any client waits on it
    main = _server("127.0.0.1", Handler, site)
    canary = _server("127.0.0.2", CanaryHandler, site)
    port = main.server_address[1]
    site.base = f"http://127.0.0.1:{port}"
    site.other_base = f"http://localhost:{port}"
    site.canary = f"http://127.0.0.2:{canary.server_address[1]}"
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (main, canary)]
    for thread in threads:
        thread.start()
    try:
        yield site
    finally:
        site.stopping.set()
        for server in (main, canary):
            server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join()
