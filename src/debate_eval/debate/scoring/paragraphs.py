"""The article read once, paragraph by paragraph: yes/no questions asked of each paragraph alone,
after worked examples, every question on the same reading of the paragraph.

A 1.5B model asked about a whole article gives nearly the same P(yes) to every article; asked
about one short paragraph after a few worked examples it answers sharply (the screener's
planted-instruction check and the checklist's persuasion question; docs/evaluation.md,
docs/reliability.md). prompts/paragraph_reader.md holds the instructions, the questions
("id: question" lines under "Questions:") and the worked examples ("id answer: paragraph"
lines under "Examples:"). Each call is the shared prefix (instructions and examples), then the
paragraph, then one question: the calls about one paragraph are asked one after the other, so
a server's prefix cache evaluates the paragraph's tokens once and each further question costs
only its own few tokens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from debate_eval.core.schemas import ArticleReading, TokenUsage, UnitReading
from debate_eval.debate.prompts import fence, load_prompt
from debate_eval.debate.scoring.options import ask_option
from debate_eval.models.calls import add_usage, gather_calls

YES_NO = ("yes", "no")
# Shorter units are not asked about: too little text to judge.
MIN_WORDS = 4
PROMPT = "paragraph_reader"
# The questions, in the order each paragraph is asked them.
ADDRESSED_TO_AI = "addressed_to_ai"
PERSUASIVE = "persuasive"


def split_units(text: str) -> tuple[str, list[str]]:
    """The article's paragraphs, or its lines when it has fewer than three paragraphs."""
    paragraphs = text.split("\n\n")
    if len([p for p in paragraphs if p.strip()]) >= 3:
        return "\n\n", paragraphs
    return "\n", text.split("\n")


@dataclass(frozen=True)
class ReaderPrompt:
    """prompts/paragraph_reader.md, parsed: the shared prefix and each question's wording."""

    prefix: tuple[BaseMessage, ...]
    questions: dict[str, str]


def unit_question(paragraph: str, question: str) -> HumanMessage:
    """One call's last message: the fenced paragraph, then the question (after the paragraph,
    so that every question about it shares the paragraph's tokens)."""
    return HumanMessage(
        content=f"{fence('paragraph', paragraph)}\n\n{question}\n"
        "Answer with exactly one of: yes, no."
    )


@cache
def reader_prompt() -> ReaderPrompt:
    """The prompt file as chat turns: its instructions, then each example asked and answered."""
    head, _, examples = load_prompt(PROMPT).partition("\nExamples:\n")
    instructions, _, listed = head.partition("\nQuestions:\n")
    questions = dict(line.split(": ", 1) for line in listed.strip().splitlines())
    prefix: list[BaseMessage] = [SystemMessage(content=instructions.strip())]
    for line in examples.strip().splitlines():
        asked, _, paragraph = line.partition(": ")
        question, answer = asked.split()
        prefix += [unit_question(paragraph, questions[question]), AIMessage(content=answer)]
    return ReaderPrompt(tuple(prefix), questions)


def questions_asked(text: str) -> int:
    """How many calls reading `text` makes: each question of each unit long enough to ask."""
    units = split_units(text)[1]
    return len(reader_prompt().questions) * sum(len(u.split()) >= MIN_WORDS for u in units)


async def read_paragraphs(
    text: str,
    model: BaseChatModel,
    *,
    role: str,
    trace: Mapping[str, object] | None = None,
    questions: Sequence[str] | None = None,
) -> tuple[ArticleReading, TokenUsage]:
    """P(yes) for each question about each unit of `text` (split_units) of at least MIN_WORDS
    words: unit by unit, every question about a unit right after the other (the embedded
    backend's client queues calls in the order asked, so the unit stays in the prefix cache)."""
    prompt = reader_prompt()
    asked = list(questions or prompt.questions)
    separator, units = split_units(text)
    probed = [i for i, u in enumerate(units) if len(u.split()) >= MIN_WORDS]
    pairs = [(i, q) for i in probed for q in asked]

    async def one(i: int, question: str):
        messages = [*prompt.prefix, unit_question(units[i], prompt.questions[question])]
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
