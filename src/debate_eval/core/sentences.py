"""Cutting model text at sentence boundaries."""

from __future__ import annotations

import re

_SENTENCE_END_RE = re.compile(r"[.!?][\"')\]]?(?=\s|$)")


def first_sentence(text: str) -> str:
    """The text up to the end of its first sentence (all of it if none ends)."""
    match = _SENTENCE_END_RE.search(text.strip())
    return text.strip()[: match.end()] if match else text.strip()


def trim_to_sentence(text: str) -> str:
    """Text that was cut off, ended at its last complete sentence (if one ends in its second
    half; otherwise marked as cut with an ellipsis)."""
    ends = [m.end() for m in _SENTENCE_END_RE.finditer(text)]
    if ends and ends[-1] >= len(text) // 2:
        return text[: ends[-1]]
    return text.rstrip() + " …"


def fit_length(value: object, limit: int) -> object:
    """A string over `limit` characters cut to fit, at a sentence end where possible; other
    values unchanged. Small models overrun length limits; a shorter report beats no report."""
    if not isinstance(value, str) or len(value) <= limit:
        return value
    return trim_to_sentence(value[: limit - 2])


def sentences_of(text: str) -> list[str]:
    """The sentences of `text`, in order (a trailing fragment counts as one)."""
    parts, start = [], 0
    for match in _SENTENCE_END_RE.finditer(text):
        parts.append(text[start : match.end()].strip())
        start = match.end()
    tail = text[start:].strip()
    return [p for p in [*parts, tail] if p]


def split_into(items: list[str], count: int) -> list[str]:
    """`items` brought up to `count` by splitting the longest multi-sentence item at a sentence
    end, as often as needed and possible; the text and its order are unchanged."""
    items = list(items)
    while len(items) < count:
        splittable = [(len(sentences_of(t)), i) for i, t in enumerate(items)]
        most, at = max(splittable, default=(0, -1))
        if most < 2:
            break
        parts = sentences_of(items[at])
        half = len(parts) // 2
        items[at : at + 1] = [" ".join(parts[:half]), " ".join(parts[half:])]
    return items
