"""Payload digests in the form WARC writers use: ``sha1:`` + base32 (WARC 1.1 section 5.8)."""

from __future__ import annotations

import base64
import hashlib

__all__ = ["payload_digest", "sha1_base32"]


def sha1_base32(raw_digest: bytes) -> str:
    """``sha1:`` + the base32 form of a raw SHA-1 digest."""
    return "sha1:" + base64.b32encode(raw_digest).decode("ascii")


def payload_digest(payload: bytes) -> str:
    """Return the ``WARC-Payload-Digest`` value of ``payload`` (the HTTP entity as stored)."""
    return sha1_base32(hashlib.sha1(payload).digest())
