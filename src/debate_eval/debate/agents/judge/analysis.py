"""The analysis: one paragraph per checklist finding, each resting on an article sentence the
analyst picked, grounded in the claims and turns it cites and in the skeptic's moves that stood
in the debate and are signs of that finding (core/moves.py FINDING_MOVES)."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from debate_eval.core.evidence import MAX_CANDIDATES, article_sentences, finding_sentences
from debate_eval.core.moves import FINDING_MOVES, MOVES, move_label, upheld_moves
from debate_eval.core.novelty import echoes
from debate_eval.core.quotes import Quote, quotes_in
from debate_eval.core.schemas import AnalysisParagraph, ChecklistItem, Claim, Turn
from debate_eval.core.sentences import fit_length
from debate_eval.debate.agents.judge.checks import (
    ground,
    repeats,
    stance,
    without_repeated_sentences,
)
from debate_eval.debate.agents.judge.parts import Parts, token_cap
from debate_eval.debate.prompts import fence
from debate_eval.debate.scoring.checklist import ranked_findings
from debate_eval.debate.transcript import format_claims
from debate_eval.models.calls import describe_error, gather_calls

# At most this many analysis paragraphs (one per checklist finding, strongest first).
MAX_FINDINGS = 4


# Added in code, never asked of the model, to a paragraph whose finding no upheld move of the
# debate bears on: the reader learns the finding is the checklist's measurement alone.
CHECKLIST_ALONE = (
    "No upheld move of the debate bears on this finding: it rests on the checklist alone."
)
# AnalysisParagraph.text's limit: the paragraph is cut to leave room for CHECKLIST_ALONE.
TEXT_LIMIT: int = AnalysisParagraph.model_json_schema()["properties"]["text"]["maxLength"]
# The analyst's cap: a paragraph that runs on past the limit is cut to it anyway.
FINDING_MAX_TOKENS = token_cap(TEXT_LIMIT)


def finding_moves(item_id: str, upheld: Sequence[Turn]) -> list[Turn]:
    """The upheld moves that are signs of the finding `item_id` (FINDING_MOVES), in order."""
    kinds = FINDING_MOVES.get(item_id, ())
    return [t for t in upheld if t.move in kinds]


def moves_evidence(moves: Sequence[Turn]) -> str:
    """The upheld moves as the analyst reads them, fenced (the sentences are the article's):
    each turn's id, its move's label and the sentence it attacked; empty without moves."""
    if not moves:
        return ""
    lines = [
        f"[{t.id}] {move_label(t.role, t.move)}" + (f': "{t.evidence.text}"' if t.evidence else "")
        for t in moves
        if t.move is not None
    ]
    return (
        "\nThe skeptic's points that stood in the debate and bear on this weakness (turn id, "
        "the point, the sentence it attacked):\n" + fence("debate", "\n".join(lines)) + "\n"
    )


def rests_on_checklist(text: str) -> str:
    """`text` with CHECKLIST_ALONE appended, cut first (at a sentence end) to leave it room."""
    return f"{fit_length(text, TEXT_LIMIT - len(CHECKLIST_ALONE) - 1)} {CHECKLIST_ALONE}"


COPY_RETRY = (
    "\nYour first draft copied the article's sentences or the claims instead of analysing "
    "them. Write the paragraph in your own words; quote the article only inside double "
    "quotes.\n"
)


async def write_finding(
    parts: Parts, item: ChecklistItem, evidence: str, sentence: str | None
) -> str | None:
    """The analyst's paragraph on one finding, asked once more if it copies the article's
    sentences (outside quote marks) or what it was given about the debate (the claims, the
    moves) instead of analysing them; left out if it does again."""
    part = f"analysis ({item.id})"
    given = f"{parts.article}\n{evidence}"
    for note in ("", COPY_RETRY):
        text = await parts.text(
            part,
            "finding",
            max_tokens=FINDING_MAX_TOKENS,
            finding=item.item.lower(),
            evidence=evidence + note,
            sentence=fence("evidence", sentence) if sentence else "(none)",
        )
        if text is None or not echoes(text, given):
            return text
    parts.problems.append(
        f"{part}: left out, it copied the article's sentences or the claims twice"
    )
    return None


async def write_analysis(
    parts: Parts,
    claims: Sequence[Claim],
    transcript: Sequence[Turn],
    items: Sequence[ChecklistItem],
) -> list[AnalysisParagraph]:
    """One paragraph per checklist finding that applies (strongest first; the most likely one
    when none applies), written concurrently, each grounded in its quotes, claims and turns;
    a paragraph repeating an earlier one, or copying the article twice, is left out.

    Each finding's upheld skeptic moves (FINDING_MOVES) are given to the analyst with its
    evidence and cited by the paragraph (turn_ids); when the debate made moves and none that
    stood bears on the finding, the paragraph says it rests on the checklist alone. A debate
    without moves (made before them) says nothing either way."""
    ranked = ranked_findings(items)
    chosen = [i for i in ranked if i.applies][:MAX_FINDINGS] or ranked[:1]
    if not chosen:  # no checklist answers (no probes ran): nothing to write about
        return []
    # The claims without their rulings: a small model given the decisive points copies them
    # instead of reading the article for the finding.
    evidence = "\nThe claims the debate was about:\n" + format_claims(claims, rulings=False)
    evidence = evidence + "\n" if claims else ""
    # The sentences the skeptics attacked first: the debate's likeliest signs of a weakness.
    cited = [t.evidence.text for t in transcript if t.evidence and t.role == "skeptic"]
    cited += [t.evidence.text for t in transcript if t.evidence and t.role == "advocate"]

    # Each finding is offered its own sentences, none offered to another (the debate's cited
    # ones dealt out in turn, then the closest to its question): a small model favours the
    # first letter, and paragraphs on one sentence repeat each other. Picked concurrently.
    cited = list(dict.fromkeys(cited))
    # A short article's sentences are shared out, so that every finding has a choice.
    each = min(MAX_CANDIDATES, max(2, len(article_sentences(parts.article)) // len(chosen)))
    offered: list[list[str]] = []
    for i, item in enumerate(chosen):
        # A paragraph probe's likeliest paragraphs come first: the measured signs of its finding.
        signs = [s for paragraph in item.signs for s in article_sentences(paragraph)]
        share = list(dict.fromkeys([*signs, *cited[i :: len(chosen)]]))
        others = [s for s in cited if s not in share] + [s for o in offered for s in o]
        offered.append(
            finding_sentences(parts.article, share, item.question, exclude=others, limit=each)
        )
    picked = await gather_calls(
        *(
            parts.sentence(
                f"analysis ({item.id})", "finding_evidence", sentences, finding=item.item.lower()
            )
            for item, sentences in zip(chosen, offered, strict=True)
        )
    )
    upheld = upheld_moves(claims, transcript)
    supporting = [finding_moves(item.id, upheld) for item in chosen]
    debated = any(t.move is not None for t in transcript if t.role in MOVES)
    texts = await gather_calls(
        *(
            write_finding(parts, item, evidence + moves_evidence(moves), sentence)
            for item, sentence, moves in zip(chosen, picked, supporting, strict=True)
        )
    )
    turn_ids = [t.id for t in transcript]
    paragraphs: list[AnalysisParagraph] = []
    written: list[str] = []  # the analyst's own words, without CHECKLIST_ALONE
    for item, sentence, text, moves in zip(chosen, picked, texts, supporting, strict=True):
        if text is None:
            continue
        # The probe is the measurement; a paragraph arguing against it is kept (the analyst
        # may be right) but marked, so the report never contradicts itself silently.
        shows, text = stance(text)
        text = without_repeated_sentences(text)
        if repeats(text, written):
            parts.problems.append(f"analysis ({item.id}): left out, it repeated an earlier one")
            continue
        claim_ids, cited_turns = ground(text, claims, turn_ids)
        # The upheld moves are cited whether or not the analyst named them.
        cited_turns = list(dict.fromkeys([*cited_turns, *(t.id for t in moves)]))
        claim_ids = list(dict.fromkeys([*claim_ids, *(t.claim_id for t in moves)]))
        try:
            paragraph = AnalysisParagraph(
                text=text,
                claim_ids=claim_ids,
                turn_ids=cited_turns,
                item=item.id,
                quotes=quotes_in(text, parts.article),
                evidence=Quote(text=sentence, verified=True) if sentence else None,
                confirmed=None if shows is None else shows == item.applies,
            )
        except ValidationError as exc:  # e.g. a one-word reply: left out, and said so
            parts.problems.append(f"analysis ({item.id}): {describe_error(exc)}")
            continue
        written.append(paragraph.text)
        if debated and not moves:
            # Validated above on the analyst's words alone: the sentence never makes a one-word
            # reply long enough to keep.
            paragraph = paragraph.model_copy(update={"text": rests_on_checklist(paragraph.text)})
        paragraphs.append(paragraph)
    return paragraphs
