"""The article sentences a debate turn may cite.

A debater does not write its evidence: it picks one of a few of the article's own sentences by
letter (the ones sharing the rarest words with the claim), so every turn carries a quote that
is the article's by construction. Small models paraphrase when asked to quote.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from debate_eval.core.novelty import content_words
from debate_eval.core.quotes import normalise
from debate_eval.core.sentences import sentences_of

MAX_CANDIDATES = 6
MIN_WORDS = 6
MAX_CHARS = 320
LETTERS = "ABCDEFGH"
# The orders each pick is asked in (debate/evidence.py), part of a stored debate's key and of
# the debate judge's calibration key: debates made with other picks are not reused.
PICK_ORDERS: tuple[str, ...] = ("as offered", "reversed")
# A sentence restates a claim when it carries at least this share of the claim's content words.
RESTATES_SHARE = 0.6
# What the advocate is not offered as evidence for a claim (debate/agents/debater.py), part of a
# stored debate's key: a claim is no evidence for itself. Bump "rule" with the code.
EVIDENCE_RULE = {
    "rule": "advocate: no sentence restating the claim (at least 2 shared stems, possessive and "
    "plural cut); a passage of one sentence left out whole",
    "restates_share": RESTATES_SHARE,
}
# Markdown markers at a line's start (headings, quotes, list bullets) and emphasis (**bold**,
# __bold__) are not the article's words; quote verification ignores them too.
_MARKUP_RE = re.compile(r"^\s*(?:[#>*+-]+\s+|\d+[.)]\s+)")
_EMPHASIS_RE = re.compile(r"\*\*|__")


def _clip(sentence: str) -> str:
    """A sentence on one line, cut at a word boundary when very long (the cut text is still
    the article's words, in order)."""
    flat = " ".join(sentence.split())
    if len(flat) <= MAX_CHARS:
        return flat
    return flat[:MAX_CHARS].rsplit(" ", 1)[0]


def article_sentences(article: str) -> list[str]:
    """The article's sentences of at least MIN_WORDS words, each once, in order (paragraphs
    and lines split first: a heading has no full stop to end it)."""
    seen: set[str] = set()
    found = []
    for line in article.splitlines():
        for sentence in sentences_of(_EMPHASIS_RE.sub("", _MARKUP_RE.sub("", line))):
            text = _clip(sentence)
            key = normalise(text)
            if len(text.split()) >= MIN_WORDS and key not in seen:
                seen.add(key)
                found.append(text)
    return found


def candidate_sentences(
    article: str, query: str, *, exclude: Iterable[str] = (), limit: int = MAX_CANDIDATES
) -> list[str]:
    """Up to `limit` of the article's sentences sharing the most (rarest-weighted) content
    words with `query`, in article order; sentences in `exclude` are left out."""
    skip = {normalise(e) for e in exclude}
    sentences = [s for s in article_sentences(article) if normalise(s) not in skip]
    words = [content_words(s) for s in sentences]
    frequency = Counter(w for ws in words for w in ws)
    wanted = content_words(query)

    def score(i: int) -> float:
        # Inverse sentence frequency: a word every sentence uses says little about the claim.
        return sum(math.log(1 + len(sentences) / frequency[w]) for w in words[i] & wanted)

    ranked = sorted(range(len(sentences)), key=lambda i: (-score(i), i))[:limit]
    return [sentences[i] for i in sorted(ranked)]


def passage_sentences(article: str, passage: str) -> list[str]:
    """The article's sentences a claim's `passage` is made of: each one the passage contains,
    or that contains the passage (a passage may be part of one sentence)."""
    wanted = normalise(passage)
    if not wanted:
        return []
    return [s for s in article_sentences(article) if (n := normalise(s)) in wanted or wanted in n]


def _stem(word: str) -> str:
    # A possessive's "'s" and a plural's "s" cut: "kernels" and "pytorch's" restate "kernel"
    # and "pytorch".
    word = word.removesuffix("'s")
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _stems(text: str) -> set[str]:
    return {_stem(w) for w in content_words(text)}


def restating_sentences(article: str, claim: str) -> list[str]:
    """The article's sentences that say the claim again: each carrying at least
    RESTATES_SHARE of the claim's content words, and two at least (one shared word is a topic,
    not a restatement). One-way on purpose: also asking that the claim's words be half the
    sentence's let 6 source sentences of the first 19 development claims back in (a longer
    sentence saying the claim); support that repeats most of a short claim's words is left
    out too, the rule's price."""
    wanted = _stems(claim)
    needed = max(2, RESTATES_SHARE * len(wanted))
    return [s for s in article_sentences(article) if len(_stems(s) & wanted) >= needed]


def claim_sentences(article: str, claim: str, passage: str) -> list[str]:
    """The sentences that are the claim itself, not evidence for it: its passage when that is
    one sentence, and any sentence restating it. A passage of several sentences is the
    writer's case around the claim, and its other sentences stay (on the example op-ed the
    whole-passage rule took every supporting sentence of a paragraph away)."""
    own = passage_sentences(article, passage) if len(sentences_of(passage)) == 1 else []
    return list(dict.fromkeys([*own, *restating_sentences(article, claim)]))


def lettered(sentences: list[str]) -> str:
    """The sentences as lines "A. …", one per sentence."""
    return "\n".join(f"{LETTERS[i]}. {s}" for i, s in enumerate(sentences))


def finding_sentences(
    article: str,
    cited: Iterable[str],
    query: str,
    *,
    exclude: Iterable[str] = (),
    limit: int = MAX_CANDIDATES,
) -> list[str]:
    """What an analyst may pick as the sign of a weakness: up to half of `limit` from
    the sentences the debate cited (`cited`, most telling first), the rest the article's
    closest to `query` (the checklist question); none of `exclude` (picked for another
    finding already)."""
    skip = {normalise(e) for e in exclude}
    fresh = [s for s in dict.fromkeys(cited) if normalise(s) not in skip]
    from_debate = fresh[: max(1, limit // 2)]
    rest = candidate_sentences(
        article, query, exclude=[*from_debate, *exclude], limit=limit - len(from_debate)
    )
    return from_debate + rest
