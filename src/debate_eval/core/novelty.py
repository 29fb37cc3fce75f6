"""Cheap lexical checks on debate turns: does a turn add a new point, does it echo another."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from debate_eval.core.schemas import Claim, Turn

_WORD_RE = re.compile(r"[a-z0-9][a-z0-9'-]{3,}")
_STOPWORDS = frozenset(
    [
        "that",
        "this",
        "with",
        "from",
        "have",
        "been",
        "were",
        "will",
        "would",
        "could",
        "should",
        "their",
        "there",
        "they",
        "them",
        "these",
        "those",
        "which",
        "while",
        "what",
        "when",
        "where",
        "about",
        "also",
        "more",
        "most",
        "than",
        "then",
        "into",
        "over",
        "such",
        "only",
        "other",
        "some",
        "very",
        "just",
        "because",
        "does",
        "doesn't",
        "article",
        "claim",
        "point",
        "points",
        "argue",
        "argues",
        "argument",
        "skeptic",
        "advocate",
        "evidence",
    ]
)

NEW_POINT_THRESHOLD = 0.25


def content_words(text: str) -> set[str]:
    return {w for w in _WORD_RE.findall(text.lower()) if w not in _STOPWORDS}


def novelty(text: str, earlier: Iterable[str]) -> float:
    """Share of `text`'s content words that no earlier text used (1.0 when all are new)."""
    words = content_words(text)
    if not words:
        return 0.0
    seen: set[str] = set()
    for other in earlier:
        seen |= content_words(other)
    return len(words - seen) / len(words)


def adds_new_point(text: str, earlier: Iterable[str]) -> bool:
    """True when `text` says enough that was not said before to count as a new point."""
    return novelty(text, earlier) >= NEW_POINT_THRESHOLD


_TOKEN_RE = re.compile(r"[a-z0-9']+")
ECHO_SHINGLE = 4
ECHO_THRESHOLD = 0.5
# What decides that a turn copies another (part of a stored debate's key: a turn asked again
# under one rule and not under another makes another debate). Bump "left_out" with the rule.
ECHO_RULE = {
    "shingle": ECHO_SHINGLE,
    "threshold": ECHO_THRESHOLD,
    "left_out": "quoted stretches; the claim's text and passage",
}


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _TOKEN_RE.findall(text.lower())
    return {tuple(words[i : i + ECHO_SHINGLE]) for i in range(len(words) - ECHO_SHINGLE + 1)}


# A quoted stretch of text (straight or curly double quotes).
_QUOTED_RE = re.compile(r"[\"“”][^\"“”]*[\"“”]")


def without_quotes(text: str) -> str:
    """`text` with its double-quoted stretches left out: what its author wrote themselves."""
    return _QUOTED_RE.sub(" ", text)


def echoes(text: str, previous: str, shared: str = "") -> bool:
    """True when most of `text`'s word 4-grams are copied from `previous`.

    A rebuttal shares the opponent's vocabulary but not their phrasing; a pasted turn shares both.
    Quotes are left out of both: two turns quoting the same article sentence (the advocate's
    evidence, the skeptic attacking it) are a debate, not a copy. So is `shared`, the text both
    argue about (the claim): restating it is not copying the other turn.
    """
    mine = _shingles(without_quotes(text)) - _shingles(shared)
    if not mine:
        return False
    return len(mine & _shingles(without_quotes(previous))) / len(mine) >= ECHO_THRESHOLD


def echoed_turn(text: str, turns: Sequence[Turn], claim: Claim) -> Turn | None:
    """The first of `turns` that `text` copies, the claim they argue about (its text and the
    article passage it rests on) left out of the comparison; None when it copies none."""
    shared = f"{claim.text}\n{claim.passage}"
    return next((t for t in turns if echoes(text, t.content, shared)), None)
