"""The judge: turns the article, the claims, their verdicts and the debate into the report.

`judge` is a plain function so other tools (the eval harness) can re-judge a stored transcript.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from langgraph.runtime import Runtime
from pydantic import BaseModel, ValidationError

from debate_eval.core.errors import DebateEvalError
from debate_eval.core.evidence import MAX_CANDIDATES, article_sentences, finding_sentences
from debate_eval.core.novelty import content_words, echoes, without_quotes
from debate_eval.core.quotes import Quote, quotes_in
from debate_eval.core.schemas import (
    RATING_LABELS,
    AnalysisParagraph,
    ArticleReading,
    ChecklistItem,
    Claim,
    Rating,
    RatingMeasurement,
    Report,
    ReportMeta,
    SummaryDraft,
    TokenUsage,
    TopicsDraft,
    Turn,
)
from debate_eval.debate.evidence import pick_sentence
from debate_eval.debate.prompts import build_messages, fence
from debate_eval.debate.rating import check_judge, measure_rating, verdict_share
from debate_eval.debate.scoring.calibration import Calibration
from debate_eval.debate.scoring.checklist import problem_p, ranked_findings
from debate_eval.debate.state import DebateContext, GraphState, merge_timing, merge_usage, phase
from debate_eval.debate.transcript import format_claims
from debate_eval.models.calls import (
    add_usage,
    ask_structured,
    ask_text,
    describe_error,
    gather_calls,
)
from debate_eval.models.chat import model_name

T = TypeVar("T", bound=BaseModel)

_CITED_ID_RE = re.compile(r"\bc\d+(?:-r\d+-(?:advocate|skeptic|judge))?\b")
# At most this many analysis paragraphs (one per checklist finding, strongest first).
MAX_FINDINGS = 4
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


def findings_text(claims: Sequence[Claim], items: Sequence[ChecklistItem]) -> str:
    """What the probes and the claim judge found, as short lines for the writing calls."""
    lines = [f"- {i.item} (probability {problem_p(i):.2f})" for i in items if i.applies]
    lines += [f"- Claim {c.id} ({c.verdict}): {c.text}" for c in claims if c.verdict]
    return "\n".join(lines) or "- No checklist weakness was found likely."


class _Parts:
    """Writes the report's prose parts; a part that fails is recorded, never raised."""

    def __init__(self, article: str, model: BaseChatModel, method: str) -> None:
        self.article, self.model, self.method = article, model, method
        self.usage = TokenUsage()
        self.problems: list[str] = []

    async def structured(self, part: str, prompt: str, schema: type[T], **values) -> T | None:
        messages = build_messages(self.article, prompt, **values)
        try:
            draft, usage = await ask_structured(
                self.model, messages, schema, role="judge", method=self.method
            )
        except DebateEvalError as exc:
            self.problems.append(f"{part}: {exc}")
            return None
        self.usage = add_usage(self.usage, usage)
        return draft

    async def sentence(
        self, part: str, prompt: str, sentences: Sequence[str], **values
    ) -> str | None:
        """The article sentence picked by letter among `sentences`; None when the call failed."""
        try:
            picked, usage = await pick_sentence(
                self.model, self.article, prompt, sentences, role="judge", **values
            )
        except DebateEvalError as exc:
            self.problems.append(f"{part}: {exc}")
            return None
        self.usage = add_usage(self.usage, usage)
        return picked or None

    async def text(self, part: str, prompt: str, **values) -> str | None:
        messages = build_messages(self.article, prompt, **values)
        try:
            text, usage = await ask_text(self.model, messages, role="judge")
        except DebateEvalError as exc:
            self.problems.append(f"{part}: {exc}")
            return None
        self.usage = add_usage(self.usage, usage)
        return text


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


def measured_explanation(items: Sequence[ChecklistItem], claims: Sequence[Claim]) -> str:
    """The explanation from the measurements alone: the weaknesses found likely and the share
    of claims the debate did not uphold."""
    likely = [i for i in ranked_findings(items) if i.applies]
    text = (
        "The checks found these weaknesses likely: "
        + "; ".join(f"{i.item.lower()} ({problem_p(i):.2f})" for i in likely)
        + "."
        if likely
        else "None of the checklist weaknesses was found likely."
    )
    if any(c.verdict for c in claims):
        # The expected share, not a count of verdicts: a small claim judge's most probable
        # verdict is nearly always "supported", its doubt shows in the probabilities.
        text += (
            f" The claim judge put {verdict_share(claims):.0%} of its probability on the "
            "debated claims being unsupported or contested."
        )
    return text


async def write_explanation(
    parts: _Parts, label: str, items: Sequence[ChecklistItem], claims: Sequence[Claim]
) -> str | None:
    """The explanation, asked once more if it contradicts the label; if it still does, the
    measured explanation stands in and the problem is recorded."""
    findings = findings_text(claims, items)
    retry = (
        f'\n\nYour first draft contradicted the rating "{label}". Explain that rating; do not '
        "describe the article's balance in other words."
    )
    for note in ("", retry):
        text = await parts.text("explanation", "explanation", label=label, findings=findings + note)
        if text is None or not contradicts(label, text):
            return text
    parts.problems.append(
        "explanation: the model's text contradicted the rating twice; the measured findings "
        "stand in for it"
    )
    return measured_explanation(items, claims)


def _repeats(text: str, earlier: Sequence[str]) -> bool:
    # Quotes left out: two paragraphs quoting one sentence of the article need not repeat.
    words = content_words(without_quotes(text))
    for other in earlier:
        theirs = content_words(without_quotes(other))
        if words and theirs and len(words & theirs) / min(len(words), len(theirs)) > REPEAT_OVERLAP:
            return True
    return False


COPY_RETRY = (
    "\nYour first draft copied the article's sentences instead of analysing them. Write the "
    "paragraph in your own words; quote the article only inside double quotes.\n"
)


async def write_finding(
    parts: _Parts, item: ChecklistItem, evidence: str, sentence: str | None
) -> str | None:
    """The analyst's paragraph on one finding, asked once more if it copies the article's
    sentences (outside quote marks) instead of analysing them; left out if it does again."""
    part = f"analysis ({item.id})"
    for note in ("", COPY_RETRY):
        text = await parts.text(
            part,
            "finding",
            finding=item.item.lower(),
            evidence=evidence + note,
            sentence=fence("evidence", sentence) if sentence else "(none)",
        )
        if text is None or not echoes(text, parts.article):
            return text
    parts.problems.append(f"{part}: left out, it copied the article's sentences twice")
    return None


async def write_analysis(
    parts: _Parts,
    claims: Sequence[Claim],
    transcript: Sequence[Turn],
    items: Sequence[ChecklistItem],
) -> list[AnalysisParagraph]:
    """One paragraph per checklist finding that applies (strongest first; the most likely one
    when none applies), written concurrently, each grounded in its quotes, claims and turns;
    a paragraph repeating an earlier one, or copying the article twice, is left out."""
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
    texts = await gather_calls(
        *(
            write_finding(parts, item, evidence, sentence)
            for item, sentence in zip(chosen, picked, strict=True)
        )
    )
    turn_ids = [t.id for t in transcript]
    paragraphs: list[AnalysisParagraph] = []
    for item, sentence, text in zip(chosen, picked, texts, strict=True):
        if text is None:
            continue
        # The probe is the measurement; a paragraph arguing against it is kept (the analyst
        # may be right) but marked, so the report never contradicts itself silently.
        shows, text = stance(text)
        if _repeats(text, [p.text for p in paragraphs]):
            parts.problems.append(f"analysis ({item.id}): left out, it repeated an earlier one")
            continue
        claim_ids, cited_turns = ground(text, claims, turn_ids)
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
        paragraphs.append(paragraph)
    return paragraphs


async def ajudge(
    article: str,
    claims: Sequence[Claim],
    transcript: Sequence[Turn],
    model: BaseChatModel,
    *,
    method: str = "function_calling",
    template: str | None = None,
    rating_judge: str = "debate",
    calibration: Calibration | None = None,
    measurement: RatingMeasurement | None = None,
    reading: ArticleReading | None = None,
) -> Report:
    """Write the report from a finished debate (async). Meta covers the judge's calls only.

    The rating is measured, not written (debate/rating.py): `measurement` when the rater
    measured it already, else measured here. The prose parts (summary, explanation, analysis,
    topics) are small calls of their own; one that fails is listed in meta.problems and never
    costs the rating. reading: the screener's reading of the article (the checklist's paragraph
    question comes from it, and the report shows it).
    template: a replacement for prompts/rating.md (same placeholders), e.g. from an eval config.
    """
    check_judge(rating_judge)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    parts = _Parts(article, model, method)
    usage = TokenUsage()
    if measurement is None or measurement.label is None:
        measurement = await measure_rating(
            article,
            model,
            judge=rating_judge,
            calibration=calibration,
            reading=reading,
            debate=(claims, transcript),
            checklist=measurement.checklist if measurement else None,
            template=template,
        )
        usage = measurement.usage
    assert measurement.label is not None
    items = measurement.checklist
    findings = findings_text(claims, items)
    # The prose parts, concurrently: the summary (from the article alone), the explanation, the
    # analysis and the topics (from the label and the findings).
    summary, explanation, analysis, topics = await gather_calls(
        parts.structured("summary", "summary", SummaryDraft),
        write_explanation(parts, measurement.label, items, claims),
        write_analysis(parts, claims, transcript, items),
        parts.structured("research topics", "topics", TopicsDraft, findings=findings),
    )
    return Report(
        summary=[s.strip() for s in summary.points] if summary else [],
        rating=Rating(
            label=measurement.label,
            explanation=(explanation or "(The explanation could not be written: see problems.)"),
            probabilities=measurement.probabilities,
            score=measurement.score,
            confidence=measurement.confidence,
            judge=measurement.judge,
            calibration=measurement.calibration,
        ),
        analysis=analysis,
        research_topics=[t.strip() for t in topics.topics] if topics else [],
        claims=list(claims),
        debate=list(transcript),
        checklist=items,
        reading=reading,
        meta=ReportMeta(
            models={"judge": model_name(model)},
            rounds=max((t.round for t in transcript), default=0),
            started_at=started.isoformat(timespec="seconds"),
            duration_s=round(time.perf_counter() - t0, 3),
            usage={"judge": add_usage(usage, parts.usage)},
            problems=parts.problems,
            probabilities_method=measurement.method,
        ),
    )


def judge(
    article: str,
    claims: Sequence[Claim],
    transcript: Sequence[Turn],
    model: BaseChatModel,
    **options,
) -> Report:
    """Write the report from a finished debate (ajudge's options). Meta covers the judge's
    calls only."""
    from debate_eval.core.sync import run_sync

    return run_sync(ajudge(article, claims, transcript, model, **options))


def claims_with_rulings(state: GraphState) -> list[Claim]:
    rulings = state.get("rulings", {})
    return [
        c.model_copy(
            update={
                "verdict": rulings[c.id].verdict,
                "decisive_point": rulings[c.id].decisive_point,
                "verdict_probabilities": rulings[c.id].probabilities,
            }
        )
        if c.id in rulings
        else c
        for c in state.get("claims", [])
    ]


def transcript_in_order(turns: Sequence[Turn], claims: Sequence[Claim]) -> list[Turn]:
    """Turns grouped by claim (in claim order), then by round, advocate/skeptic/judge order kept."""
    order = {c.id: i for i, c in enumerate(claims)}
    position = {id(t): i for i, t in enumerate(turns)}
    return sorted(
        turns,
        key=lambda t: (
            order.get(t.claim_id, len(order)),
            t.round,
            t.role == "judge",
            position[id(t)],
        ),
    )


async def judge_node(state: GraphState, runtime: Runtime[DebateContext]) -> GraphState:
    """The report, after the debate: the debate judge's label first (its own phase), then the
    prose."""
    models, context = runtime.context.models, runtime.context
    claims = claims_with_rulings(state)
    transcript = transcript_in_order(state.get("turns", []), claims)
    measurement = state.get("rating")
    timing: dict = {}
    if measurement is None or measurement.label is None:
        t0 = time.perf_counter()
        measurement = await measure_rating(
            state["article"],
            models.judge,
            judge=context.rating_judge,
            calibration=context.calibration,
            reading=state.get("reading"),
            debate=(claims, transcript),
            checklist=measurement.checklist if measurement else None,
        )
        timing = phase("rating", t0, measurement.usage)
    t0 = time.perf_counter()
    report = await ajudge(
        state["article"],
        claims,
        transcript,
        models.judge,
        method=models.structured_method,
        rating_judge=context.rating_judge,
        calibration=context.calibration,
        measurement=measurement,
        reading=state.get("reading"),
    )
    usage = report.meta.usage["judge"]
    update: GraphState = {
        "rating": measurement,
        "usage": {"judge": add_usage(usage, measurement.usage) if timing else usage},
        "timing": {**timing, **phase("report", t0, usage)},
    }
    # The report's meta covers the whole run (a graph served without the runner returns it).
    meta = report.meta.model_copy(
        update={
            "usage": merge_usage(state.get("usage"), update["usage"]),
            "timing": merge_timing(state.get("timing"), update["timing"]),
            "notices": [*report.meta.notices, *state.get("notices", [])],
        }
    )
    return {**update, "report": report.model_copy(update={"meta": meta})}
