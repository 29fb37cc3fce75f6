"""Text checks on the report's prose: the analyst's opening answer, prose that calls the
article balanced against its label, a paragraph repeating another or itself, and the claims and
turns a paragraph rests on."""

from __future__ import annotations

import re
from collections.abc import Sequence

from debate_eval.core.novelty import content_words, echoes, without_quotes
from debate_eval.core.schemas import RATING_LABELS, Claim
from debate_eval.core.sentences import sentences_of

_CITED_ID_RE = re.compile(r"\bc\d+(?:-r\d+-(?:advocate|skeptic|judge))?\b")
# Two paragraphs sharing more than this share of their content words repeat each other.
REPEAT_OVERLAP = 0.6
# The analyst opens with its answer ("Yes." / "No.": does the article show the weakness?).
_STANCE_RE = re.compile(r"^[\s*_\"]*(yes|no)[*_]*\s*[.,:;!\-–—][\s*_]*", re.IGNORECASE)
# Words that call an article balanced, or not; a negation earlier in the clause cancels them.
_BALANCED_RE = re.compile(r"\b(?:well[- ])?balanced\b|\beven[- ]handed\b|\bimpartial\b", re.I)
_IMBALANCED_RE = re.compile(r"\b(?:imbalanced|unbalanced|one[- ]sided|biased|slanted)\b", re.I)
_NEGATION_RE = re.compile(
    r"\b(?:not|no|never|hardly|less|more|lacks?|lacking|without|rather than|instead of)\b|n't\b",
    re.I,
)


def _closest_claim(text: str, claim_texts: dict[str, str]) -> str | None:
    words = content_words(text)
    overlap = {cid: len(words & content_words(ct)) for cid, ct in claim_texts.items()}
    best = max(overlap, key=overlap.__getitem__, default=None)
    return best if best is not None and overlap[best] >= 2 else None


def ground(text: str, claims: Sequence[Claim], turn_ids: Sequence[str]) -> tuple[list, list]:
    """The claim and turn ids a paragraph cites (unknown ids dropped; a cited turn also
    grounds its claim); a paragraph citing none rests on the claim whose words it shares."""
    known_claims = [c.id for c in claims]
    cited = list(dict.fromkeys(_CITED_ID_RE.findall(text)))
    turns = [c for c in cited if c in set(turn_ids)]
    from_turns = [t.split("-", 1)[0] for t in turns]
    claim_ids = [c for c in dict.fromkeys([*cited, *from_turns]) if c in known_claims]
    if not claim_ids:
        near = _closest_claim(text, {c.id: c.text for c in claims})
        claim_ids = [near] if near else []
    return claim_ids, turns


def stance(text: str) -> tuple[bool | None, str]:
    """The analyst's opening answer (True: the article shows the weakness) and the paragraph
    without it; None when the reply does not open with "Yes." or "No."."""
    match = _STANCE_RE.match(text)
    if match is None:
        return None, text.strip()
    rest = text[match.end() :].strip()
    return match.group(1).lower() == "yes", rest[:1].upper() + rest[1:]


def _says(text: str, words: re.Pattern[str]) -> bool:
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        for match in words.finditer(sentence):
            clause = re.split(r"[,;:]", sentence[: match.start()])[-1]
            if not _NEGATION_RE.search(clause):
                return True
    return False


def contradicts(label: str, text: str) -> bool:
    """Whether `text` calls the article balanced when the label says it is not, or the reverse
    (a negation earlier in the clause, "not", "lacks", "a more balanced", cancels the word)."""
    if label == RATING_LABELS[0]:
        return _says(text, _IMBALANCED_RE)
    return _says(text, _BALANCED_RE)


def repeats(text: str, earlier: Sequence[str]) -> bool:
    """Whether `text` shares more than REPEAT_OVERLAP of its content words with one of
    `earlier`."""
    # Quotes left out: two paragraphs quoting one sentence of the article need not repeat.
    words = content_words(without_quotes(text))
    for other in earlier:
        theirs = content_words(without_quotes(other))
        if words and theirs and len(words & theirs) / min(len(words), len(theirs)) > REPEAT_OVERLAP:
            return True
    return False


def without_repeated_sentences(text: str) -> str:
    """`text` without the sentences that copy its earlier ones (most of their own 4-word runs
    already said): a small model runs on restating one point ("..., which implies that CUDA is
    no longer a barrier to writing fast GPU kernels." three times)."""
    kept: list[str] = []
    cuts: list[tuple[int, int]] = []
    cursor = 0
    for sentence in sentences_of(text):
        start = text.find(sentence, cursor)
        cursor = start + len(sentence)
        if echoes(sentence, " ".join(kept)):
            cuts.append((start, cursor))
        else:
            kept.append(sentence)
    # Cut where each repeat stands (last first, so the earlier spans keep their places), with
    # the spaces before it: the paragraph's own breaks are kept.
    for start, end in reversed(cuts):
        head, rest = text[:start].rstrip(" \t"), text[end:].lstrip(" \t")
        joined = head and rest and not head.endswith("\n") and not rest.startswith("\n")
        text = head + (" " if joined else "") + rest
    return text.strip()
