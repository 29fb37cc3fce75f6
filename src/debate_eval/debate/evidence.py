"""Picking one of the article's sentences by letter: the evidence a debate turn or an analysis
paragraph rests on (one token, read from its probabilities).

A small model's pick follows the letters as much as the sentences: offered the same sentences
in reverse order, the embedded 1.5B model chose the same one in 35% of picks (chance: 17%;
docs/evaluation.md, evals/pick_order.py). So each pick is asked in both orders and the sentence
with the most probability over the two is taken (averaging over permutations cancels a
preference for a position).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as default

from langchain_core.language_models import BaseChatModel

from debate_eval.core.evidence import LETTERS, PICK_ORDERS, lettered
from debate_eval.core.schemas import TokenUsage
from debate_eval.debate.prompts import build_messages, fence
from debate_eval.debate.scoring.options import ask_option
from debate_eval.models.calls import add_usage, gather_calls


def both_orders(forward: Sequence[float], backward: Sequence[float]) -> list[float]:
    """Each sentence's probability averaged over the two orders it was offered in (`forward`:
    as offered; `backward`: as answered when offered reversed)."""
    return [(p + q) / 2 for p, q in zip(forward, backward[::-1], strict=True)]


def most_probable(probabilities: Sequence[float]) -> int:
    """The position with the most probability; a tie goes to the earlier one."""
    return max(range(len(probabilities)), key=lambda i: (probabilities[i], -i))


def lettered_options(field: str, options: Sequence[str]) -> str:
    """`options` as lines "A. …" fenced in <`field`> tags: how a pick offers them."""
    return fence(field, lettered(list(options)))


async def letter_probabilities(
    model: BaseChatModel,
    article: str,
    prompt: str,
    options: Sequence[str],
    *,
    role: str,
    trace: Mapping[str, object] | None = None,
    field: str = "sentences",
    **values: object,
) -> tuple[list[float], TokenUsage]:
    """P(the model picks each of `options`), offered in the order given with letters A, B, …
    (`prompt` lists them, fenced in <`field`> tags, as its `{field}` value, and the letters to
    answer with)."""
    letters = list(LETTERS[: len(options)])
    messages = build_messages(
        article,
        prompt,
        letters=", ".join(letters),
        **{field: lettered_options(field, options)},
        **values,
    )
    answer = await ask_option(model, messages, letters, role=role, trace=trace)
    return [answer.probabilities[x] for x in letters], answer.usage


@dataclass(frozen=True)
class Pick:
    """One pick by letter: `prompt` offering `options` to `model` in its `{field}` value."""

    model: BaseChatModel
    prompt: str
    options: Sequence[str]
    role: str
    trace: Mapping[str, object] = default(default_factory=dict)
    field: str = "sentences"
    values: Mapping[str, object] = default(default_factory=dict)


async def picks_probabilities(
    article: str, picks: Sequence[Pick]
) -> list[tuple[list[float], TokenUsage]]:
    """Each pick's P(the model picks each of its options), asked with them in the order given
    and reversed, averaged; one option is certain, without a call (none: an empty list).
    Every pick's first order is sent before any reversed one: picks offering the same options
    (the two debaters' evidence) follow each other, so a prefix-caching server reads the
    options once for both."""
    asked = [i for i, p in enumerate(picks) if len(p.options) > 1]
    orders = [(name, i, picks[i]) for name in PICK_ORDERS for i in asked]
    found = await gather_calls(
        *(
            letter_probabilities(
                p.model,
                article,
                p.prompt,
                list(p.options) if name == PICK_ORDERS[0] else list(p.options)[::-1],
                role=p.role,
                trace={**p.trace, "order": name},
                field=p.field,
                **p.values,
            )
            for name, _, p in orders
        )
    )
    answers = dict(zip([(name, i) for name, i, _ in orders], found, strict=True))
    results = []
    for i, p in enumerate(picks):
        if len(p.options) <= 1:
            results.append(([1.0] * len(p.options), TokenUsage()))
            continue
        (forward, usage), (backward, more) = (answers[(name, i)] for name in PICK_ORDERS)
        results.append((both_orders(forward, backward), add_usage(usage, more)))
    return results


async def option_probabilities(
    model: BaseChatModel,
    article: str,
    prompt: str,
    options: Sequence[str],
    *,
    role: str,
    trace: Mapping[str, object] | None = None,
    field: str = "sentences",
    **values: object,
) -> tuple[list[float], TokenUsage]:
    """P(the model picks each of `options`) for one pick (picks_probabilities)."""
    pick = Pick(model, prompt, options, role, trace or {}, field, values)
    (found,) = await picks_probabilities(article, [pick])
    return found


async def pick_sentence(
    model: BaseChatModel,
    article: str,
    prompt: str,
    sentences: Sequence[str],
    *,
    role: str,
    trace: Mapping[str, object] | None = None,
    **values: object,
) -> tuple[str, TokenUsage]:
    """The sentence the model picks among `sentences`, asked with them in the order given and
    reversed (probabilities averaged; a tie goes to the earlier sentence); "" when there is
    none, the only one without a call."""
    if not sentences:
        return "", TokenUsage()
    probabilities, usage = await option_probabilities(
        model, article, prompt, sentences, role=role, trace=trace, **values
    )
    return sentences[most_probable(probabilities)], usage
