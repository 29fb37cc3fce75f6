"""Quotes from the article in model-written text, checked against the article.

A quote counts as verified when it appears in the article once whitespace, quote marks,
dashes, Markdown emphasis and case are normalised; a paraphrase does not.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

# Text in straight or curly double quotes, at least 3 words (shorter ones are scare quotes).
_QUOTE_RE = re.compile(r"[\"“”]([^\"“”]{12,}?)[\"“”]")
_FOLD = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})
_MIN_WORDS = 3


class Quote(BaseModel):
    """A stretch of text presented as the article's words, and whether the article has it."""

    text: str = Field(description="The quoted words.")
    verified: bool = Field(description="Whether the article contains these words (normalised).")


def normalise(text: str) -> str:
    folded = text.translate(_FOLD).casefold()
    # Quote marks, and Markdown emphasis (a quote of **bold** words need not copy the stars).
    folded = re.sub(r"[\"'*]|__", "", folded)
    return " ".join(folded.split()).strip(" .,;:")


def quotes_in(text: str, article: str) -> list[Quote]:
    """Every quote of three or more words in `text`, each checked against `article`."""
    haystack = normalise(article)
    found = []
    for match in _QUOTE_RE.finditer(text):
        words = match.group(1).strip()
        if len(words.split()) < _MIN_WORDS:
            continue
        needle = normalise(words)
        found.append(Quote(text=words, verified=bool(needle) and needle in haystack))
    return found
