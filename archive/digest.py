"""Payload digests in the form WARC writers use: ``sha1:`` + base32 (WARC 1.1 section 5.8)."""

from __future__ import annotations

import base64
import hashlib

__all__ = ["payload_digest"]


def payload_digest(payload: bytes) -> str:
    """Return the ``WARC-Payload-Digest`` value of ``payload`` (the HTTP entity as stored)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")
