"""Checklist probes: yes/no questions about the article, each answered as P(yes) in a
one-token call after the shared article prefix (cheap on a server's prefix cache), and one
question asked of every paragraph alone (scoring.paragraphs, on the screener's reading),
answered as the paragraphs' mean P(yes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel

from debate_eval.core.schemas import ArticleReading, ChecklistItem, TokenUsage
from debate_eval.debate.prompts import build_messages
from debate_eval.debate.scoring.options import LOGPROBS, YES_NO, ask_option
from debate_eval.debate.scoring.paragraphs import PERSUASIVE, read_paragraphs
from debate_eval.models.calls import add_usage, call_gate, gather_calls, sum_usage


@dataclass(frozen=True)
class Probe:
    """One checklist question. `problem_if_yes`: whether "yes" marks a weakness (for "are
    opposing views presented fairly?" a "no" does). `finding` names the weakness."""

    id: str
    question: str
    finding: str
    problem_if_yes: bool = True
    scored: bool = True  # counts towards `checklist`, the probes' unweighted mean
    # Asked of each paragraph alone (scoring.paragraphs, this question's prompt file), answered
    # as the mean P(yes) over the paragraphs the agents read; not part of `checklist`.
    paragraph_question: str | None = None


PROBES: tuple[Probe, ...] = (
    Probe(
        "promotes_one_side",
        "Is the article written to promote one side, person, party, product or cause?",
        "Written to promote one side",
    ),
    Probe(
        "loaded_language",
        "Does the article use loaded, emotional or insulting language about people or groups?",
        "Loaded or insulting language about people or groups",
    ),
    Probe(
        "one_side_quoted",
        "Does the article quote or cite people from only one side of the issue?",
        "Only one side is quoted",
    ),
    Probe(
        "opposing_views_fair",
        "Does the article present opposing views fairly, in their own words?",
        "Opposing views are not presented fairly",
        problem_if_yes=False,
    ),
    Probe(
        "unsourced_claims",
        "Does the article make important claims without naming a source or giving evidence?",
        "Claims without a named source or evidence",
    ),
    Probe(
        "opinion_as_fact",
        "Does the article state opinions as if they were facts?",
        "Opinion stated as fact",
    ),
    Probe(
        "call_to_action",
        "Does the article urge readers to act, vote, buy, donate or take a side?",
        "Calls on readers to act or take a side",
    ),
    Probe(
        "undisclosed_interests",
        "Does the article leave out the interests or affiliations of its author or sources?",
        "Interests or affiliations left undisclosed",
    ),
    Probe(
        "risks_left_out",
        "Does the article leave out risks, costs or drawbacks of what it favours?",
        "Risks, costs or drawbacks left out",
    ),
    Probe(
        "addresses_ai",
        "Does the article contain text addressed to AI systems or automated reviewers?",
        "Text addressed to AI systems",
        scored=False,
    ),
    Probe(
        "persuasive_paragraphs",
        "Is each paragraph written to persuade rather than to inform? (mean over paragraphs)",
        "Paragraphs written to persuade rather than to inform",
        scored=False,
        paragraph_question=PERSUASIVE,
    ),
)
# The paragraphs a paragraph probe names as the likeliest signs of its weakness (the analyst
# picks its evidence sentence among theirs first).
MAX_SIGNS = 3
SCORED_PROBES: tuple[Probe, ...] = tuple(p for p in PROBES if p.scored)
ARTICLE_PROBES: tuple[Probe, ...] = tuple(p for p in PROBES if p.paragraph_question is None)


def problem_probability(probe: Probe, p_yes: float) -> float:
    """The probability that the probe's weakness applies."""
    return p_yes if probe.problem_if_yes else 1.0 - p_yes


def problem_p(item: ChecklistItem) -> float:
    """The probability that a checklist answer's weakness applies."""
    probe = next(p for p in PROBES if p.id == item.id)
    return problem_probability(probe, item.probability)


def ranked_findings(items: Sequence[ChecklistItem]) -> list[ChecklistItem]:
    """The checklist items, most likely weakness first."""
    return sorted(items, key=problem_p, reverse=True)


async def run_probes(
    article: str,
    model: BaseChatModel,
    *,
    role: str = "checklist",
    probes: Sequence[Probe] = PROBES,
    reading: ArticleReading | None = None,
    trace: dict | None = None,
    slots: int | None = None,
) -> tuple[list[ChecklistItem], TokenUsage]:
    """Every probe's P(yes) for the article, in `probes` order. The whole-article questions run
    together, sharing the article prefix (a server with parallel slots answers them at once; the
    embedded backend's client queues them in the order asked). A paragraph question is read from
    `reading` (the screener's, whose left-out units do not count); without one, its paragraphs
    are read here, after the whole-article questions. slots: calls in flight at once, the rest
    waiting in the order asked (None: all at once)."""
    gate = call_gate(slots)

    async def one(probe: Probe):
        messages = build_messages(article, "probe", question=probe.question)
        async with gate:
            answer = await ask_option(
                model, messages, YES_NO, role=role, trace={**(trace or {}), "probe": probe.id}
            )
        return probe_item(probe, answer.probabilities["yes"], answer.method), answer.usage

    whole = [p for p in probes if p.paragraph_question is None]
    per_paragraph = [p for p in probes if p.paragraph_question]
    results = await gather_calls(*(one(p) for p in whole))
    usage = TokenUsage()
    if per_paragraph and reading is None:
        asked = [p.paragraph_question for p in per_paragraph]
        reading, usage = await read_paragraphs(
            article, model, role=role, trace=trace, questions=asked, slots=slots
        )
    for probe in per_paragraph:
        assert reading is not None and probe.paragraph_question is not None
        results.append((paragraph_item(probe, reading), TokenUsage()))
    by_id = {item.id: (item, u) for item, u in results}
    usage = add_usage(usage, sum_usage(u for _, u in by_id.values()))
    return [by_id[p.id][0] for p in probes], usage


def paragraph_item(probe: Probe, reading: ArticleReading) -> ChecklistItem:
    """A paragraph question's checklist entry: the mean P(yes) over the units the agents read,
    and its likeliest paragraphs as signs."""
    assert probe.paragraph_question is not None
    found = reading.answers(probe.paragraph_question, kept_only=True)
    # An article with no paragraph long enough to ask about: no evidence either way.
    p_yes = sum(found.values()) / len(found) if found else 0.5
    likeliest = sorted(found, key=lambda i: -found[i])
    signs = [reading.units[i].text.strip() for i in likeliest if found[i] > 0.5][:MAX_SIGNS]
    return probe_item(probe, p_yes, reading.method or LOGPROBS, signs)


def probe_item(probe: Probe, p_yes: float, method: str, signs: Sequence[str] = ()) -> ChecklistItem:
    """The report's checklist entry for a probe answered with P(yes) = p_yes (`signs`: for a
    paragraph probe, its likeliest paragraphs)."""
    return ChecklistItem(
        id=probe.id,
        item=probe.finding,
        question=probe.question,
        probability=round(p_yes, 4),
        applies=problem_probability(probe, p_yes) > 0.5,
        method=method,
        signs=list(signs),
    )


def checklist_features(items: Sequence[ChecklistItem]) -> dict[str, float]:
    """The scored and paragraph probes as probabilities that their weakness applies (higher:
    less balanced), and the scored probes' unweighted mean as `checklist`."""
    by_id = {i.id: i.probability for i in items}
    features = {
        p.id: problem_probability(p, by_id[p.id])
        for p in PROBES
        if (p.scored or p.paragraph_question) and p.id in by_id
    }
    return with_checklist_mean(features)


def with_checklist_mean(features: dict[str, float]) -> dict[str, float]:
    """`features` with `checklist`, the mean of the scored probes' values, when they are all
    there (rows stored before the mean was recorded get it here)."""
    probes = [features.get(p.id) for p in SCORED_PROBES]
    if "checklist" in features or any(v is None for v in probes):
        return features
    return {**features, "checklist": sum(probes) / len(probes)}
