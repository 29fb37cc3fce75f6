"""Yes/no questions asked of each paragraph alone, after worked examples.

A 1.5B model asked about a whole article gives nearly the same P(yes) to every article; asked
about one short paragraph after a few worked examples it answers sharply (the screener's
planted-instruction check and the checklist's persuasion question; docs/evaluation.md,
docs/reliability.md). The prompt file holds the instructions, then "Examples:" and one
"answer: paragraph" line per example; they come first and are the same for every paragraph, so
a server's prefix cache reads them once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from debate_eval.core.schemas import TokenUsage
from debate_eval.debate.prompts import fence, load_prompt
from debate_eval.debate.scoring.options import ask_option
from debate_eval.models.calls import add_usage, gather_calls

YES_NO = ("yes", "no")
# Shorter units are not asked about: too little text to judge.
MIN_WORDS = 4


@dataclass(frozen=True)
class ParagraphAnswers:
    """P(yes) by unit index for the units asked about, how it was read, and what it cost."""

    separator: str
    units: tuple[str, ...]
    unit_p: dict[int, float]
    usage: TokenUsage
    method: str | None  # "logprobs" or "sampled:<k>"; None when no unit was asked about

    @property
    def mean(self) -> float | None:
        return sum(self.unit_p.values()) / len(self.unit_p) if self.unit_p else None


def split_units(text: str) -> tuple[str, list[str]]:
    """The article's paragraphs, or its lines when it has fewer than three paragraphs."""
    paragraphs = text.split("\n\n")
    if len([p for p in paragraphs if p.strip()]) >= 3:
        return "\n\n", paragraphs
    return "\n", text.split("\n")


def paragraph_question(paragraph: str) -> HumanMessage:
    return HumanMessage(
        content=f"{fence('paragraph', paragraph)}\n\nAnswer with exactly one of: yes, no."
    )


def worked_examples(prompt: str) -> list[BaseMessage]:
    """Prompt file `prompt` as chat turns: its instructions, then each example asked and
    answered."""
    instructions, _, examples = load_prompt(prompt).partition("\nExamples:\n")
    messages: list[BaseMessage] = [SystemMessage(content=instructions.strip())]
    for line in examples.strip().splitlines():
        answer, _, paragraph = line.partition(": ")
        messages += [paragraph_question(paragraph), AIMessage(content=answer)]
    return messages


async def ask_paragraphs(
    text: str,
    model: BaseChatModel,
    prompt: str,
    *,
    role: str,
    trace: Mapping[str, object] | None = None,
) -> ParagraphAnswers:
    """P(yes) for each unit of `text` (split_units) of at least MIN_WORDS words, asked with
    prompt file `prompt`."""
    separator, units = split_units(text)
    probed = [i for i, u in enumerate(units) if len(u.split()) >= MIN_WORDS]
    prefix = worked_examples(prompt)

    async def one(i: int):
        messages = [*prefix, paragraph_question(units[i])]
        return await ask_option(
            model, messages, YES_NO, role=role, trace={**(trace or {}), "unit": i}
        )

    answers = await gather_calls(*(one(i) for i in probed))
    usage = TokenUsage()
    unit_p: dict[int, float] = {}
    for i, answer in zip(probed, answers, strict=True):
        unit_p[i] = round(answer.probabilities["yes"], 4)
        usage = add_usage(usage, answer.usage)
    method = answers[0].method if answers else None
    return ParagraphAnswers(separator, tuple(units), unit_p, usage, method)
