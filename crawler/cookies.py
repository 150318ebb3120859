"""Scrapy's cookie middleware without its network fetch of the public-suffix list.

Scrapy decides whether a cookie domain is a public suffix with a module-level
``tldextract.TLDExtract()``, which downloads the suffix list from the internet the first time a
site sets a cookie. A crawler must not fetch anything its operator did not ask for (and the
tests and the demo run without internet), so this module points that check at tldextract's
bundled snapshot of the list instead. It is installed in place of Scrapy's own middleware.
"""

from __future__ import annotations

import scrapy.downloadermiddlewares.cookies as scrapy_cookies
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from tldextract import TLDExtract

# The bundled snapshot only: no suffix-list URLs, so nothing is ever downloaded.
scrapy_cookies._split_domain = TLDExtract(suffix_list_urls=(), include_psl_private_domains=True)


class OfflineCookiesMiddleware(CookiesMiddleware):
    """Scrapy's CookiesMiddleware, with the public-suffix check kept offline (see module doc)."""
