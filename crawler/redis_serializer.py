"""JSON serializer of queued requests for scrapy-redis (``SCHEDULER_SERIALIZER``), never pickle.

scrapy-redis pickles ``request.to_dict(spider=spider)`` by default: whoever can write to Redis
could then run code in every crawler. This module has the ``loads``/``dumps`` pair scrapy-redis
expects, over JSON: bytes values (body, header values) are tagged base64 strings, bytes keys
(header names) latin-1 strings, tuples become lists, and a
value JSON cannot hold (e.g. a WARC location object left in ``meta`` by a redirect hop) becomes
its ``repr`` in a tagged string — data, never code.
"""

from __future__ import annotations

import base64
import json
from typing import Any

BYTES_TAG = "__bytes__"
REPR_TAG = "__repr__"


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {BYTES_TAG: base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {_key(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return {REPR_TAG: repr(value)}


def _key(key: Any) -> str:
    # header names are bytes: latin-1 keeps every byte (HTTP field names are ASCII anyway)
    return key.decode("latin-1") if isinstance(key, bytes) else str(key)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {BYTES_TAG}:
            return base64.b64decode(value[BYTES_TAG])
        if set(value) == {REPR_TAG}:
            return None
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def dumps(obj: dict[str, Any]) -> str:
    """The JSON text of a request dict (``Request.to_dict``)."""
    return json.dumps(_encode(obj), separators=(",", ":"), sort_keys=True)


def loads(data: str | bytes) -> dict[str, Any]:
    """The request dict back (``Request.from_dict``-ready); ValueError for anything not ours."""
    value = json.loads(data)
    if not isinstance(value, dict):
        raise ValueError(f"not a serialized request: {str(data)[:80]!r}")
    decoded: dict[str, Any] = _decode(value)
    return decoded
