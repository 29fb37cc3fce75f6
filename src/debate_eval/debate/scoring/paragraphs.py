"""The article read paragraph by paragraph: yes/no questions asked of each paragraph alone,
after worked examples.

A 1.5B model asked about a whole article gives nearly the same P(yes) to every article; asked
about one short paragraph after a few worked examples it answers sharply (the screener's
planted-instruction check and the checklist's persuasion question; docs/evaluation.md,
docs/reliability.md). Each question has its own prompt file: the instructions, then "Examples:"
and one "answer: paragraph" line per example. One file serving both questions was tried
(2026-12-04): the 1.5B model then mixed them up, giving a promotional paragraph of the example
op-ed P(written to AI) = 0.89 and the planted notes 0.69-0.89, where the screener's own prompt
gives clean paragraphs at most 0.82 and the plants 0.80-0.93 (docs/reliability.md).

The calls go question by question, each question's units in order: on a server with one slot
the question's worked examples stay in its prefix cache from one call to the next, so each call
evaluates only its paragraph. On a server that runs `slots` calls at once the calls wait here in
the order asked: sent all together, the server's queue takes them as their connections arrive,
and the two prompts take turns in the cache.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from debate_eval.core.schemas import ArticleReading, TokenUsage, UnitReading
from debate_eval.debate.prompts import fence, load_prompt
from debate_eval.debate.scoring.options import YES_NO, ask_option
from debate_eval.models.calls import add_usage, call_gate, gather_calls

# Shorter units are not asked about: too little text to judge.
MIN_WORDS = 4
# The questions, in the order they are asked, each with its prompt file.
ADDRESSED_TO_AI = "addressed_to_ai"
PERSUASIVE = "persuasive"
QUESTION_PROMPTS: dict[str, str] = {ADDRESSED_TO_AI: "screener", PERSUASIVE: "paragraph_probe"}


def split_units(text: str) -> tuple[str, list[str]]:
    """The article's paragraphs, or its lines when it has fewer than three paragraphs."""
    paragraphs = text.split("\n\n")
    if len([p for p in paragraphs if p.strip()]) >= 3:
        return "\n\n", paragraphs
    return "\n", text.split("\n")


def paragraph_question(paragraph: str) -> HumanMessage:
    """One call's last message: the fenced paragraph and the answer's form."""
    return HumanMessage(
        content=f"{fence('paragraph', paragraph)}\n\nAnswer with exactly one of: yes, no."
    )


@cache
def worked_examples(question: str) -> tuple[BaseMessage, ...]:
    """`question`'s prompt file as chat turns: its instructions, then each example asked and
    answered (the prefix every call about a paragraph shares)."""
    text = load_prompt(QUESTION_PROMPTS[question])
    instructions, _, examples = text.partition("\nExamples:\n")
    messages: list[BaseMessage] = [SystemMessage(content=instructions.strip())]
    for line in examples.strip().splitlines():
        answer, _, paragraph = line.partition(": ")
        messages += [paragraph_question(paragraph), AIMessage(content=answer)]
    return tuple(messages)


def questions_asked(text: str) -> int:
    """How many calls reading `text` makes: each question about each unit long enough to ask."""
    units = split_units(text)[1]
    return len(QUESTION_PROMPTS) * sum(len(u.split()) >= MIN_WORDS for u in units)


async def read_paragraphs(
    text: str,
    model: BaseChatModel,
    *,
    role: str,
    trace: Mapping[str, object] | None = None,
    questions: Sequence[str] | None = None,
    slots: int | None = None,
) -> tuple[ArticleReading, TokenUsage]:
    """P(yes) for each question (`questions`, default all of QUESTION_PROMPTS) about each unit
    of `text` (split_units) of at least MIN_WORDS words, question by question.

    slots: how many calls the server runs at once (None: send them all); more wait here in the
    order asked."""
    asked = list(questions or QUESTION_PROMPTS)
    unknown = [q for q in asked if q not in QUESTION_PROMPTS]
    if unknown:
        raise ValueError(
            f"unknown paragraph question {unknown[0]!r}; expected one of "
            f"{', '.join(QUESTION_PROMPTS)}"
        )
    separator, units = split_units(text)
    probed = [i for i, u in enumerate(units) if len(u.split()) >= MIN_WORDS]
    pairs = [(i, q) for q in asked for i in probed]

    gate = call_gate(slots)

    async def one(i: int, question: str):
        messages = [*worked_examples(question), paragraph_question(units[i])]
        async with gate:
            return await ask_option(
                model,
                messages,
                YES_NO,
                role=role,
                trace={**(trace or {}), "unit": i, "question": question},
            )

    answers = await gather_calls(*(one(i, q) for i, q in pairs))
    usage = TokenUsage()
    found: dict[int, dict[str, float]] = {i: {} for i in probed}
    for (i, question), answer in zip(pairs, answers, strict=True):
        found[i][question] = round(answer.probabilities["yes"], 4)
        usage = add_usage(usage, answer.usage)
    reading = ArticleReading(
        separator=separator,
        units=[UnitReading(text=u, probabilities=found.get(i, {})) for i, u in enumerate(units)],
        method=answers[0].method if answers else None,
    )
    return reading, usage
