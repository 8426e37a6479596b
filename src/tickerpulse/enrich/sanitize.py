"""Text hygiene for ingested documents: control characters, binary junk, oversized texts.

Provider texts reach Postgres (``mart_document``), whose text type refuses NUL,
and the tagger and sentiment model, which gain nothing from escape sequences or
megabytes of one post. So before a document is kept, normalize:

* strips C0 control characters except tab, newline and carriage return, and
  lone UTF-16 surrogates (valid in JSON escapes, invalid in UTF-8 and Postgres);
* refuses a text that is mostly such characters (binary data posted as text);
* refuses a title or text longer than the cap (``MAX_TEXT_CHARS``).

Pure: strings in, strings (or a refusal reason) out.
"""

from __future__ import annotations

import re

DEFAULT_MAX_TEXT_CHARS = 100_000
BINARY_SHARE = 0.3
"""Above this share of stripped characters (of the non-blank ones) a text counts as binary."""

_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def strip_controls(value: str) -> tuple[str, int]:
    """``value`` without control characters and lone surrogates, and how many were removed."""
    cleaned, removed = _UNWANTED.subn("", value)
    return cleaned, removed


def binary_reason(original: str, removed: int) -> str | None:
    """Why a text that lost ``removed`` characters counts as binary, or None when it does not."""
    if not removed:
        return None
    visible = len(original) - sum(1 for c in original if c in " \t\n\r")
    share = removed / max(visible, 1)
    return f"binary text: {share:.0%} control characters" if share > BINARY_SHARE else None


def size_reason(value: str | None, limit: int) -> str | None:
    """Why a text is refused for its size, or None when it fits ``limit`` characters."""
    if value is None or len(value) <= limit:
        return None
    return f"text too long: {len(value):,} characters (limit {limit:,})"
