"""The bundled demo sites (a news portal and a mirror blog) served on loopback."""

from __future__ import annotations

from crawler.demo.content import BOILERPLATE_MARKERS
from crawler.demo.server import serve_demo_sites
from crawler.demo.sites import DemoSites

__all__ = ["BOILERPLATE_MARKERS", "DemoSites", "serve_demo_sites"]
