"""Running an evaluation: debates once per article (stored), then every judge on them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from debate_eval.core.errors import DebateEvalError
from debate_eval.core.schemas import ArticleReading
from debate_eval.debate.agents.screener import read_article, screened
from debate_eval.debate.prompts import DEBATE_PROMPTS, debate_text_sha256, load_prompt
from debate_eval.debate.rating import choose_label, refreshed_debate_features
from debate_eval.debate.runner import RunOptions, arun_transcript
from debate_eval.debate.scoring.paragraphs import ADDRESSED_TO_AI
from debate_eval.evaluation.datasets import Example
from debate_eval.evaluation.judges import Judge, prompt_hash, to_judgment
from debate_eval.evaluation.store import Judgment, ResultsStore, StoredDebate, settings_key
from debate_eval.models.calls import calls_in_order
from debate_eval.models.chat import RoleModels

ADVOCATE_FIRST = "advocate_first"
SKEPTIC_FIRST = "skeptic_first"

# Repeats must be able to differ, or self-consistency is trivially perfect.
REPEAT_TEMPERATURE = 0.7


@dataclass
class EvalPlan:
    """What to run: judges per repeat (each repeat's models carry their own seed)."""

    judges_for_repeat: Callable[[int], list[Judge]]
    repeats: int = 1
    swap: bool = True
    article_concurrency: int = 4


DEBATE_ROLES = ("extractor", "advocate", "skeptic", "claim_judge")


def _sampling(model: Any) -> dict[str, Any]:
    sampling = {name: getattr(model, name, None) for name in ("temperature", "max_tokens")}
    # A seed only when one is set: keys of debates stored without one stay valid.
    if getattr(model, "seed", None) is not None:
        sampling["seed"] = model.seed
    return sampling


def debate_settings(models: RoleModels, options: RunOptions) -> dict[str, Any]:
    """Everything that changes a debate: the store's key for it, so changing any of these
    never silently reuses a debate made with the old value."""
    return {
        "models": models.names(),
        "sampling": {role: _sampling(models.for_role(role)) for role in DEBATE_ROLES},
        "rounds": options.rounds,
        "max_claims": options.max_claims,
        "words_per_turn": options.words_per_turn,
        "history_turns": options.history_turns,
        "structured_method": models.structured_method,
        "prompts_sha256": {name: prompt_hash(load_prompt(name)) for name in DEBATE_PROMPTS},
        "text_sha256": debate_text_sha256(),
    }


async def get_debate(
    example: Example,
    order: str,
    models: RoleModels,
    options: RunOptions,
    store: ResultsStore,
    key: str,
) -> StoredDebate:
    """The stored debate for this article and speaking order, run and stored if missing.

    A failed debate is stored with its error (judges that need it are then unscored) and is
    retried on the next run.
    """
    stored = store.debate(example.id, order, key)
    if stored is not None and stored.transcript is not None:
        return stored
    t0 = time.perf_counter()
    run_options = replace(options, skeptic_first=order == SKEPTIC_FIRST)
    try:
        transcript = await arun_transcript(example.text, models, run_options)
    except DebateEvalError as exc:
        debate = StoredDebate(example.id, order, None, str(exc), 0, 0, time.perf_counter() - t0)
    else:
        debate = StoredDebate(
            example.id,
            order,
            transcript,
            None,
            sum(u.input_tokens for u in transcript.usage.values()),
            sum(u.output_tokens for u in transcript.usage.values()),
            round(time.perf_counter() - t0, 3),
        )
    store.save_debate(debate, key)
    return debate


@dataclass(frozen=True)
class Screened:
    """An example as every judge reads it, the screener's reading of it, and what it left out."""

    example: Example
    reading: ArticleReading | None
    left_out: list[dict[str, Any]]


async def screen_example(example: Example, models: RoleModels) -> Screened:
    """The example as every judge reads it: paragraphs the screener (agents/screener.py) finds
    written to AI systems left out, as in `run` (a debate screens its article itself; on the
    same text that is the same, cached, request), with the reading the checklist reuses."""
    try:
        reading, _ = await read_article(example.text, models.judge, slots=models.reading_slots)
    except DebateEvalError:
        # The judges' own calls to the same model fail the same way and are marked unscored.
        return Screened(example, None, [])
    text, reading = screened(example.text, reading, [])
    left_out = [
        {"text": u.text, "p_addressed_to_ai": u.probabilities[ADDRESSED_TO_AI]}
        for u in reading.units
        if u.left_out
    ]
    kept = replace(example, text=text) if text != example.text else example
    return Screened(kept, reading, left_out)


async def evaluate_article(
    example: Example,
    plan: EvalPlan,
    models: RoleModels,
    options: RunOptions,
    store: ResultsStore,
) -> list[Judgment]:
    """Every judgment for one article (stored ones reused), debating first if a judge needs it."""
    judged: Screened | None = None  # screened once a judge has to run (a rerun may need none)
    debate_config = debate_settings(models, options)
    debate_key = settings_key(debate_config)
    judges0 = plan.judges_for_repeat(0)
    needs_debate = any(j.needs_debate for j in judges0)
    debates: dict[str, StoredDebate] = {}
    if needs_debate:
        orders = [ADVOCATE_FIRST, SKEPTIC_FIRST] if plan.swap else [ADVOCATE_FIRST]
        for order in orders:
            debates[order] = await get_debate(example, order, models, options, store, debate_key)
    out: list[Judgment] = []
    for repeat in range(plan.repeats):
        judges = judges0 if repeat == 0 else plan.judges_for_repeat(repeat)
        for judge in judges:
            # The swapped debate is judged once (repeat 0) for swap consistency.
            orders = [ADVOCATE_FIRST]
            if judge.needs_debate and plan.swap and repeat == 0:
                orders.append(SKEPTIC_FIRST)
            for order in orders:
                settings = {"judge": judge.settings(), "repeat": repeat}
                if judge.needs_debate:
                    settings["debate"] = debate_config
                key = settings_key(settings)
                found = store.judgment(example.id, judge.name, repeat, order, key)
                debate = debates.get(order)
                if found is not None and judge.needs_debate and debate is not None:
                    found = with_todays_features(found, judge, debate)
                if found is None:
                    judged = judged or await screen_example(example, models)
                    rating = await judge.rate(
                        judged.example, debate.transcript if debate else None, judged.reading
                    )
                    debate_failed = judge.needs_debate and (debate is None or debate.error)
                    if rating.rating is None and debate is not None and debate.error:
                        rating.unscored_reason = f"the debate failed: {debate.error}"
                    found = to_judgment(
                        judge,
                        example,
                        repeat,
                        order,
                        rating,
                        settings,
                        judged.left_out,
                        [u.probabilities for u in judged.reading.units if u.probabilities]
                        if judged.reading
                        else None,
                    )
                    if not debate_failed:
                        # Not stored when the debate failed: a rerun retries the debate and
                        # must then judge it.
                        store.save_judgment(found, key)
                out.append(found)
    return out


def with_todays_features(found: Judgment, judge: Judge, debate: StoredDebate) -> Judgment:
    """A stored judgment with the debate's features computed again from the debate it judged
    (a feature or rule changed since applies without running anything again) and, where they
    changed and a calibration labels the judge, the label and confidence it gives them, so the
    row's label and features agree. Every stored judgment of a debate is read this way."""
    if not found.features or debate.transcript is None:
        return found
    features = refreshed_debate_features(
        found.features, debate.transcript.claims, debate.transcript.debate
    )
    if features == found.features:
        return found
    if judge.calibration is None:
        return replace(found, features=features)
    choice = choose_label(judge.kind, None, features, judge.calibration)
    return replace(
        found, features=features, rating=choice.label, confidence=round(choice.confidence, 4)
    )


async def run_eval(
    examples: Sequence[Example],
    plan: EvalPlan,
    models: RoleModels,
    options: RunOptions,
    store: ResultsStore,
    on_article_done: Callable[[Example], None] | None = None,
) -> list[Judgment]:
    """All judgments for all examples, `plan.article_concurrency` articles at a time."""
    gate = asyncio.Semaphore(max(1, plan.article_concurrency))

    async def one(example: Example) -> list[Judgment]:
        async with gate:
            result = await evaluate_article(example, plan, models, options, store)
        if on_article_done is not None:
            on_article_done(example)
        return result

    # On the embedded server, one call at a time in the order asked, the debates' and the
    # judges' together, whatever its slots: the judges' probes are read as `run` reads its
    # rating's (one call at a time), and on one slot an article is measured the same every run.
    with calls_in_order(models.reading_slots):
        results = await asyncio.gather(*(one(e) for e in examples))
    return [j for per_article in results for j in per_article]


def stored_debates(
    examples: Sequence[Example], models: RoleModels, options: RunOptions, store: ResultsStore
) -> dict[tuple[str, str], StoredDebate]:
    key = settings_key(debate_settings(models, options))
    out = {}
    for e in examples:
        for order in (ADVOCATE_FIRST, SKEPTIC_FIRST):
            if (d := store.debate(e.id, order, key)) is not None:
                out[(e.id, order)] = d
    return out
