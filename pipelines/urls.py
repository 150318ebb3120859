"""URL canonicalisation: one stable key per article, whatever variant of its URL was fetched.

A canonical URL is an identity key, not necessarily a URL to fetch: it drops the fragment,
tracking parameters, mobile/AMP variants (``m.`` and ``amp.`` hosts, ``/amp/`` paths,
``?m=1``, ``?amp=1``), default ports and a trailing slash, lower-cases scheme and host and
sorts the query (RFC 3986 section 6.2.2 syntax-based normalisation via ``w3lib``).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as _w3lib_canonicalize

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "igsh",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "spm",
        "share",
        "cmpid",
        "ncid",
        "ocid",
        "sr_share",
        "s_cid",
        "oly_enc_id",
        "oly_anon_id",
        "vero_id",
        "wt_mc",
        "__twitter_impression",
    }
)
"""Query parameters that never select content (compared case-insensitively)."""

VARIANT_PARAMS = {"m": {"0", "1"}, "amp": {"", "1", "true"}, "outputtype": {"amp"}}
"""Parameters that select a mobile/AMP rendering (Blogger ``?m=1``), only with these values.

WordPress uses ``?m=YYYYMM`` for month archives, so ``m`` is not dropped in general."""

TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")
"""Query parameter prefixes of analytics campaigns (Google, Piwik/Matomo, HubSpot)."""

MOBILE_HOST_PREFIXES = ("m.", "mobile.", "amp.")
"""Host prefixes of mobile/AMP mirrors of the same site."""

DEFAULT_PORTS = {"http": 80, "https": 443}

_AMP_PATH = re.compile(r"/amp/?$|/amp\.html?$", re.IGNORECASE)
_INDEX_FILE = re.compile(r"/index\.(?:html?|php|aspx?)$", re.IGNORECASE)


def site_of(url: str) -> str:
    """Return the host of ``url``, lower-case, without a leading ``www.`` and without port."""
    host = (urlsplit(url.strip()).hostname or "").lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _base_host(host: str) -> str:
    """Return ``host`` without ``www.`` and mobile/AMP prefixes (for same-site comparison)."""
    host = _clean_host(host)
    return host[4:] if host.startswith("www.") else host


def _is_tracking(name: str, value: str) -> bool:
    """Tell whether a query parameter is a tracking or mobile/AMP-variant parameter."""
    lowered = name.lower()
    if lowered in VARIANT_PARAMS:
        return value.lower() in VARIANT_PARAMS[lowered]
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _clean_host(host: str) -> str:
    """Lower-case ``host`` and map mobile/AMP hosts (``m.example.com``) to the main host."""
    host = host.lower().rstrip(".")
    for prefix in MOBILE_HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            return host[len(prefix) :]
    return host


def _clean_path(path: str) -> str:
    """Drop an AMP suffix, an index file name and a trailing slash (the root stays ``/``)."""
    path = _AMP_PATH.sub("/", path or "/")
    path = _INDEX_FILE.sub("/", path)
    path = re.sub(r"/{2,}", "/", path)
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return path or "/"


def _normalise(url: str) -> str:
    """Canonicalise one absolute http(s) URL without looking at any hint."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = _clean_host(parts.hostname or "")
    port = parts.port
    netloc = host if port is None or DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k, v)
    ]
    rebuilt = urlunsplit((scheme, netloc, _clean_path(parts.path), urlencode(query), ""))
    return str(_w3lib_canonicalize(rebuilt, keep_blank_values=True))


def _usable_hint(url: str, hint: str | None) -> str | None:
    """Return ``hint`` made absolute if it names a page on the same site as ``url``, else None.

    A hint on another host (a mirror pointing at its origin) is ignored, as is a hint to the
    site's home page given by an article page (a common template mistake).
    """
    if not hint or not hint.strip():
        return None
    absolute = urljoin(url, hint.strip())
    parts = urlsplit(absolute)
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        return None
    if _base_host(parts.hostname.lower()) != _base_host(site_of(url)):
        return None
    if _clean_path(parts.path) == "/" and _clean_path(urlsplit(url).path) != "/":
        return None
    return absolute


def canonicalize_url(url: str, hint: str | None = None) -> str:
    """Return the canonical form of ``url``.

    ``hint`` is the page's rel=canonical or og:url; it replaces ``url`` only when it is on
    the same site (``www.``/``m.``/``amp.`` variants count as the same site). URLs that are
    not http(s) are returned stripped but otherwise unchanged.
    """
    url = url.strip()
    if urlsplit(url).scheme.lower() not in DEFAULT_PORTS:
        return url
    return _normalise(_usable_hint(url, hint) or url)
