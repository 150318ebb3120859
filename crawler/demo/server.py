"""Serving the demo sites: HTTP framing (ETag, Last-Modified, gzip) and the server lifecycle.

`serve_demo_sites()` starts the portal and the mirror, each a `ThreadingHTTPServer` on its own
loopback address and a free port, and shuts both down when the context exits.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import logging
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import urlsplit

from crawler.demo.mirror import MirrorSite
from crawler.demo.portal import PortalSite
from crawler.demo.sites import DemoSites, Reply, Site

__all__ = ["DemoRequestHandler", "DemoServer", "DemoSites", "accepts_gzip", "serve_demo_sites"]

logger = logging.getLogger(__name__)

# Statuses whose bodies are compressed when the client accepts gzip.
COMPRESSIBLE = frozenset({200, 404})


def accepts_gzip(header: str | None) -> bool:
    """Whether an Accept-Encoding value allows gzip (RFC 9110 section 12.5.3; q=0 refuses)."""
    for item in (header or "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        quality = params.strip().lower()
        if quality.startswith("q="):
            try:
                return float(quality[2:]) > 0
            except ValueError:
                return False
        return True
    return False


def entity_tag(body: bytes, encoded: bool) -> str:
    """A strong ETag per representation (RFC 9110 section 8.8.3): gzip gets its own tag."""
    digest = hashlib.sha256(body).hexdigest()[:20]
    return f'"{digest}-gzip"' if encoded else f'"{digest}"'


class DemoServer(ThreadingHTTPServer):
    """A threading HTTP server that answers with one demo `Site`, set after binding."""

    daemon_threads = True
    site: Site | None = None

    def server_bind(self) -> None:
        """Bind without the reverse DNS lookup `HTTPServer.server_bind` does (no network)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log instead of printing a traceback to stderr."""
        logger.debug("demo server: error serving %s", client_address, exc_info=True)

    @property
    def base_url(self) -> str:
        """Root URL, e.g. "http://127.0.0.1:8080/"."""
        return f"http://{self.server_name}:{self.server_port}/"


class DemoRequestHandler(BaseHTTPRequestHandler):
    """GET and HEAD for a demo site; quiet (request lines go to the debug log)."""

    protocol_version = "HTTP/1.1"
    server_version = "newsarc-demo/1.0"
    timeout = 10

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("demo %s: " + format, self.address_string(), *args)

    def _reply(self) -> Reply:
        site = cast(DemoServer, self.server).site
        if site is None:
            return Reply(503, b"not ready\n", "text/plain; charset=utf-8")
        return site.respond(urlsplit(self.path).path or "/")

    def _answer(self, send_body: bool) -> None:
        reply = self._reply()
        body = reply.body
        encoded = reply.status in COMPRESSIBLE and accepts_gzip(self.headers.get("Accept-Encoding"))
        if encoded:
            body = gzip.compress(body, mtime=0)
        headers = {"Content-Type": reply.content_type, "Vary": "Accept-Encoding"}
        if reply.status == 200:
            headers["ETag"] = entity_tag(reply.body, encoded)
            if self.headers.get("If-None-Match") == headers["ETag"]:
                self._send(304, {"ETag": headers["ETag"]}, b"", send_body)
                return
        if reply.last_modified is not None:
            # RFC 9110 section 5.6.7: an HTTP-date is always in GMT.
            modified = reply.last_modified.astimezone(UTC)
            headers["Last-Modified"] = format_datetime(modified, usegmt=True)
        if reply.location is not None:
            headers["Location"] = reply.location
        if encoded:
            headers["Content-Encoding"] = "gzip"
        self._send(reply.status, headers, body, send_body)

    def _send(self, status: int, headers: dict[str, str], body: bytes, send_body: bool) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)


def _start(server: DemoServer, name: str, stack: contextlib.ExitStack) -> None:
    """Serve in a daemon thread; on exit shutdown() then join(); server_close() is the caller's."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
    )
    thread.start()
    stack.callback(thread.join)
    stack.callback(server.shutdown)


@contextlib.contextmanager
def serve_demo_sites(
    host_portal: str = "127.0.0.1", host_mirror: str = "127.0.0.2"
) -> Iterator[DemoSites]:
    """Run the news portal and the mirror blog on loopback, free ports; yield their URLs."""
    with contextlib.ExitStack() as stack:
        portal = DemoServer((host_portal, 0), DemoRequestHandler)
        stack.callback(portal.server_close)
        mirror = DemoServer((host_mirror, 0), DemoRequestHandler)
        stack.callback(mirror.server_close)
        sites = DemoSites(portal_url=portal.base_url, mirror_url=mirror.base_url)
        portal.site = PortalSite(sites.portal_url)
        mirror.site = MirrorSite(sites.mirror_url, sites.portal_url)
        _start(portal, "newsarc-demo-portal", stack)
        _start(mirror, "newsarc-demo-mirror", stack)
        logger.info("demo sites: portal %s, mirror %s", sites.portal_url, sites.mirror_url)
        yield sites
