"""One short call whose answer is a single option token, read as probabilities.

The model is asked to answer with one of a few options (A-D, yes/no). With `logprobs` and
`top_logprobs`, the first generated token's alternatives give the probability of each option
(renormalised over the options: a leading space, case and trailing punctuation are variants of
the same option). A server that returns no logprobs is asked `samples` more times at
temperature 1 and the options are counted instead; the result says which method was used.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from debate_eval.core.errors import ModelCallError
from debate_eval.core.schemas import TokenUsage
from debate_eval.models.calls import (
    add_usage,
    gather_calls,
    invoke,
    run_config,
    sum_usage,
    usage_of,
)

# OpenAI's API accepts at most 20 alternatives per token.
TOP_LOGPROBS = 20
FALLBACK_SAMPLES = 5
LOGPROBS = "logprobs"
YES_NO = ("yes", "no")

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class OptionAnswer:
    """Probabilities over the options (summing to 1), how they were read, and the cost."""

    probabilities: dict[str, float]
    method: str  # "logprobs" or "sampled:<k>"
    usage: TokenUsage

    @property
    def best(self) -> str:
        return max(self.probabilities, key=self.probabilities.__getitem__)


def option_of(token: str, options: Sequence[str]) -> str | None:
    """The option a generated token spells (" A", "a", "A.", "Yes" -> "A"/"yes"), if any."""
    cleaned = token.strip().strip(".:)*\"'").strip().lower()
    if not cleaned:
        return None
    for option in options:
        if cleaned == option.lower():
            return option
    return None


def first_token_alternatives(metadata: Mapping[str, object]) -> list[tuple[str, float]] | None:
    """(token, logprob) alternatives of the first generated token, from an OpenAI-format
    `logprobs` in a reply's response metadata; None when the server sent none."""
    logprobs = metadata.get("logprobs")
    if not isinstance(logprobs, Mapping):
        return None
    content = logprobs.get("content")
    if not isinstance(content, list) or not content:
        return None
    first = content[0]
    if not isinstance(first, Mapping):
        return None
    alternatives = first.get("top_logprobs") or []
    pairs = [
        (str(a.get("token", "")), float(a["logprob"]))
        for a in alternatives
        if isinstance(a, Mapping) and isinstance(a.get("logprob"), int | float)
    ]
    if isinstance(first.get("logprob"), int | float):
        pairs.append((str(first.get("token", "")), float(first["logprob"])))
    return pairs or None


def probabilities_from_alternatives(
    alternatives: Sequence[tuple[str, float]], options: Sequence[str]
) -> dict[str, float] | None:
    """Probabilities over `options` from token alternatives: variants of one option are added
    up (each distinct token once), then the options are renormalised. None when no
    alternative is an option."""
    mass = dict.fromkeys(options, 0.0)
    seen: set[str] = set()
    for token, logprob in alternatives:
        option = option_of(token, options)
        if option is None or token in seen or not math.isfinite(logprob):
            continue
        seen.add(token)
        mass[option] += math.exp(logprob)
    total = sum(mass.values())
    if total <= 0:
        return None
    return {option: p / total for option, p in mass.items()}


def probabilities_from_counts(answers: Sequence[str], options: Sequence[str]) -> dict[str, float]:
    """Share of each option among sampled answers (answers that are no option are dropped)."""
    chosen = [o for a in answers if (o := option_of(a, options)) is not None]
    if not chosen:
        raise ValueError(f"no sampled answer was one of {', '.join(options)}")
    counts = Counter(chosen)
    return {option: counts[option] / len(chosen) for option in options}


async def ask_option(
    model: BaseChatModel,
    messages: Sequence[BaseMessage],
    options: Sequence[str],
    *,
    role: str,
    trace: Mapping[str, object] | None = None,
    samples: int = FALLBACK_SAMPLES,
) -> OptionAnswer:
    """Probabilities over `options` for the answer to `messages` (which must ask for exactly
    one of them). Raises ModelCallError when neither logprobs nor samples give an option."""
    config = run_config(role, trace)
    scored = model.bind(logprobs=True, top_logprobs=TOP_LOGPROBS, max_tokens=1)
    reply = await invoke(scored, messages, role, config, model)
    usage = usage_of(reply)
    alternatives = first_token_alternatives(reply.response_metadata)
    if alternatives is not None:
        probabilities = probabilities_from_alternatives(alternatives, options)
        if probabilities is not None:
            return OptionAnswer(probabilities, LOGPROBS, usage)
    # No logprobs (or no option among the alternatives): count sampled answers instead.
    answers = []
    for i in range(samples):
        # A seed per sample: a cache keyed by request content must not replay one answer.
        sampler = model.bind(temperature=1.0, max_tokens=2, seed=i)
        sample = await invoke(sampler, messages, role, config, model)
        usage = add_usage(usage, usage_of(sample))
        answers.append(str(sample.content))
    try:
        probabilities = probabilities_from_counts(answers, options)
    except ValueError as exc:
        raise ModelCallError(role, f"{exc} (answers: {', '.join(map(repr, answers))})") from exc
    return OptionAnswer(probabilities, f"sampled:{samples}", usage)


async def ask_yes_no(
    model: BaseChatModel,
    questions: Mapping[K, tuple[Sequence[BaseMessage], str]],
    *,
    role: str,
    trace: Mapping[str, object],
    key: str,
) -> tuple[dict[K, float], TokenUsage]:
    """P(the named answer) to each of several yes/no questions, {id: (messages, "yes" or
    "no")}, asked concurrently; each call traced as `trace` plus {key: its id}."""
    answers = await gather_calls(
        *(
            ask_option(model, messages, YES_NO, role=role, trace={**trace, key: question})
            for question, (messages, _) in questions.items()
        )
    )
    found = {
        question: round(answer.probabilities[wanted], 4)
        for (question, (_, wanted)), answer in zip(questions.items(), answers, strict=True)
    }
    return found, sum_usage(a.usage for a in answers)


def rounded(probabilities: Mapping[str, float], places: int = 6) -> dict[str, float]:
    """Probabilities rounded for the report, the rounding residue put on the most probable
    option so that they still sum to 1 (four values rounded apart can miss it by 2e-6)."""
    out = {option: round(p, places) for option, p in probabilities.items()}
    top = max(out, key=out.__getitem__)
    out[top] = round(1.0 - sum(p for option, p in out.items() if option != top), places)
    return out


def expected_score(probabilities: Mapping[str, float], options: Sequence[str]) -> float:
    """The expected position on a 1..len(options) scale (options in scale order)."""
    return sum((i + 1) * probabilities.get(o, 0.0) for i, o in enumerate(options))
