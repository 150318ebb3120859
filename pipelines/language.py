"""Language identification of article text (py3langid), with the page's declared language as a hint."""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

logger = logging.getLogger(__name__)

SAMPLE_CHARS = 1200
"""Identification reads at most this many characters of the text."""
HINT_MIN_PROB = 0.05
"""A declared language this probable in the text wins (Malay vs Indonesian, Bokmål vs Danish, …)."""
MIN_PROB = 0.5
"""Below this the identifier's answer is not trusted over a declared language."""
_LANG_ATTR = re.compile(r"^([a-zA-Z]{2,3})(?:[-_].*)?$")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


@functools.lru_cache(maxsize=1)
def _identifier() -> Any | None:
    """The py3langid identifier with normalised probabilities, or None when not installed."""
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
    except ImportError:
        logger.warning("py3langid is not installed: language taken from the html lang attribute")
        return None
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def normalize_lang(value: str | None) -> str | None:
    """``"en-GB"`` → ``"en"``; None for values that are not a language tag."""
    if not value:
        return None
    match = _LANG_ATTR.match(value.strip())
    return match.group(1).lower() if match else None


def detect_language(text: str, hint: str | None = None) -> str | None:
    """ISO 639-1 code of ``text``'s language; ``hint`` is the page's declared language, if any."""
    declared = normalize_lang(hint)
    identifier = _identifier()
    sample = text[:SAMPLE_CHARS].strip()
    if identifier is None or not sample:
        return declared
    ranking = dict(identifier.rank(sample)[:10])
    best, prob = max(ranking.items(), key=lambda item: item[1])
    if declared is not None and ranking.get(declared, 0.0) >= HINT_MIN_PROB:
        return declared
    if prob < MIN_PROB and declared is not None:
        return declared
    return str(best)


def count_words(text: str) -> int:
    """Whitespace-separated words; in CJK text every two characters count as one word."""
    cjk = len(_CJK.findall(text))
    return len(_CJK.sub(" ", text).split()) + (cjk + 1) // 2
