"""Prompt files: loading, fencing untrusted text, and building the messages each role sends.

Every role's messages start with the same system message (shared context + the fenced article),
so an OpenAI-compatible server with a prefix cache reads the article once per run, not per turn.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from functools import cache
from importlib import resources
from pathlib import Path

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

# The prompts a debate (claims, turns, verdicts) is made with: a stored debate's key, and part
# of the debate judge's calibration key (its features come from the debate).
DEBATE_PROMPTS: tuple[str, ...] = (
    "context",
    "screener",
    "paragraph_probe",
    "extractor",
    "advocate_evidence",
    "move_examples",
    "move_question",
    "advocate",
    "skeptic_evidence",
    "skeptic",
    "concession",
    "side_check",
    "claim_probe",
    "decisive_move",
    "claim_judge",
    "claim_judge_retry",
    "verdict",
)
# The prompts the judges and the report's parts use.
JUDGE_PROMPTS: tuple[str, ...] = (
    "baseline_judge",
    "rating",
    "probe",
    "summary",
    "explanation",
    "finding_evidence",
    "finding",
    "topics",
)
PROMPT_NAMES: tuple[str, ...] = DEBATE_PROMPTS + JUDGE_PROMPTS

# What a turn is asked again for (once): repeating an earlier turn, or arguing the other side.
# A turn needs no retry for quoting nothing: its evidence is an article sentence the debater
# picked by letter.
RETRY_NOTES: dict[str, str] = {
    "echo": "Your first draft repeated an earlier turn. Make a point of your own that nobody "
    "has made yet.",
    "side": "Your first draft argued the other side. You argue {side} claim {claim_id}: your "
    "sentence must do that.",
}
# How a retry is sampled (debate/agents/debater.retry_sampling): asked again at the run's
# temperature with a nearly identical prompt, the small model wrote the same turn word for word
# (4 of 5 echo retries on the example op-ed); a seed keeps the retry repeatable, so a cached or
# stored debate is the same debate. The model's own seed and a higher temperature win.
RETRY_SAMPLING: dict[str, float | int] = {"temperature": 0.7, "seed": 7}
# What a retried turn is shown and what stands when the retry copies a turn anyway
# (debate/agents/debater.py); bump it with the code.
RETRY_RULE = (
    "shown: the answered turns cut to their first sentence; a retry that copies a shown turn: "
    "echo -> FIXED_TURN (move and sentence alone, not side-checked), side -> the draft kept, "
    "marked off side; sampled at max(own, 0.7), the model's seed else 7"
)

# The placeholders each prompt file must use, no more and no fewer.
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "context": frozenset({"article"}),
    "extractor": frozenset({"max_claims"}),
    "advocate_evidence": frozenset({"claim_id", "claim", "sentences", "letters"}),
    "move_examples": frozenset({"examples"}),
    "move_question": frozenset({"question", "sentence"}),
    "advocate": frozenset(
        {"round", "rounds", "claim_id", "claim", "history", "evidence", "words", "move"}
    ),
    "skeptic_evidence": frozenset({"claim_id", "claim", "sentences", "letters"}),
    "skeptic": frozenset(
        {"round", "rounds", "claim_id", "claim", "history", "evidence", "words", "move"}
    ),
    "concession": frozenset(
        {"round", "rounds", "claim_id", "claim", "history", "evidence", "words", "move", "speaker"}
    ),
    "side_check": frozenset({"claim_id", "claim", "sentence", "sides", "letters"}),
    "claim_probe": frozenset({"claim_id", "claim", "question"}),
    "decisive_move": frozenset({"claim_id", "claim", "debate", "letters"}),
    "claim_judge": frozenset({"claim_id", "claim", "debate", "move"}),
    "claim_judge_retry": frozenset({"turn_id"}),
    "baseline_judge": frozenset({"labels", "persona"}),
    "rating": frozenset({"persona", "evidence"}),
    "probe": frozenset({"question"}),
    "summary": frozenset(),
    "explanation": frozenset({"label", "findings"}),
    "finding_evidence": frozenset({"finding", "sentences", "letters"}),
    "finding": frozenset({"finding", "evidence", "sentence"}),
    "topics": frozenset({"findings"}),
    "verdict": frozenset({"claim_id", "probes", "verdicts", "letters"}),
    "screener": frozenset(),
    "paragraph_probe": frozenset(),
}


def _prompt_dir() -> Path:
    # Package data: src/debate_eval/prompts/ (in the wheel and in an editable install).
    return Path(str(resources.files("debate_eval") / "prompts"))


@cache
def load_prompt(name: str) -> str:
    """The text of prompt file `name` (one of PROMPT_NAMES)."""
    if name not in PROMPT_NAMES:
        raise ValueError(f"unknown prompt {name!r}; expected one of {', '.join(PROMPT_NAMES)}")
    return (_prompt_dir() / f"{name}.md").read_text(encoding="utf-8")


def prompt_hash(text: str) -> str:
    """A short stable hash of a prompt's text (what stored results and calibrations record)."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def debate_text_sha256() -> dict[str, str]:
    """Hashes of the text a debate is made with besides its prompt files (the moves and their
    questions, the side check's answers, the claim judge's questions and verdicts, the retry
    notes, sampling and rule, the orders the picks are asked in), of the echo rule that decides
    which turns are asked again and of the rule for what the advocate is not offered: part of
    a stored debate's key and of the debate judge's calibration key, so a change in any of
    them is never silently read as the same debate."""
    from dataclasses import asdict

    from debate_eval.core.claim_probes import CLAIM_PROBES, VERDICT_MEANINGS
    from debate_eval.core.evidence import EVIDENCE_RULE, PICK_ORDERS
    from debate_eval.core.moves import (
        CONTENT_FREE,
        FIXED_TURN,
        MOVE_QUESTIONS,
        MOVES,
        SIDE_STATEMENTS,
    )
    from debate_eval.core.novelty import ECHO_RULE

    questions = {kind: asdict(asked) for kind, asked in MOVE_QUESTIONS.items()}
    return {
        "moves": prompt_hash(json.dumps(MOVES, sort_keys=True)),
        "move_questions": prompt_hash(json.dumps([questions, CONTENT_FREE], sort_keys=True)),
        "claim_probes": prompt_hash(json.dumps(CLAIM_PROBES, sort_keys=True)),
        "verdicts": prompt_hash(json.dumps(VERDICT_MEANINGS)),
        "turn_retries": prompt_hash(
            json.dumps([RETRY_NOTES, RETRY_SAMPLING, RETRY_RULE, FIXED_TURN], sort_keys=True)
        ),
        "side_statements": prompt_hash(json.dumps(SIDE_STATEMENTS)),
        "evidence_pick_orders": prompt_hash("\n".join(PICK_ORDERS)),
        "evidence_rule": prompt_hash(json.dumps(EVIDENCE_RULE, sort_keys=True)),
        "echo_rule": prompt_hash(json.dumps(ECHO_RULE, sort_keys=True)),
    }


def placeholders(template: str) -> set[str]:
    """The {placeholder} names a template uses."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def check_template(name: str, template: str) -> None:
    """A replacement for prompt `name` may use only that prompt's placeholders."""
    unknown = placeholders(template) - PLACEHOLDERS[name]
    if unknown:
        raise ValueError(
            f"a {name} prompt may use only {{{'}, {'.join(sorted(PLACEHOLDERS[name]))}}}, "
            f"not {{{'}, {'.join(sorted(unknown))}}}"
        )


def render(name: str, template: str | None = None, **values: object) -> str:
    """Fill prompt `name` (or a replacement `template` for it) with `values`; values are
    inserted verbatim, never re-parsed."""
    if template is not None:
        check_template(name, template)
    else:
        template = load_prompt(name)
    missing = (PLACEHOLDERS[name] & placeholders(template)) - values.keys()
    if missing:
        raise ValueError(f"prompt {name!r} needs values for: {', '.join(sorted(missing))}")
    return template.format_map(values).strip()


FENCE_TAGS = (
    "article",
    "claim",
    "passage",
    "debate",
    "claims",
    "paragraph",
    "sentences",
    "sentence",
    "evidence",
    "sides",
)
_TAG_RE = re.compile(rf"<\s*(/?)\s*({'|'.join(FENCE_TAGS)})\b", re.IGNORECASE)
# Chat-template markers (<|im_start|>, <|endoftext|>, ...): a server that reads them as special
# tokens would let the article open a system turn of its own.
_SPECIAL_RE = re.compile(r"<\s*\|")


def fence(tag: str, text: str, **attrs: str) -> str:
    """Wrap untrusted `text` in <tag>…</tag>, defusing any fence tags planted inside it."""
    # A planted "</article>" must not close the fence: turn its "<" into a look-alike.
    safe = _TAG_RE.sub(lambda m: f"‹{m.group(1)}{m.group(2)}", text)
    safe = _SPECIAL_RE.sub("‹|", safe)
    attr_text = "".join(f' {k}="{v}"' for k, v in attrs.items())
    return f"<{tag}{attr_text}>\n{safe.strip()}\n</{tag}>"


# The prompts of a claim's debate (its turns and the claim judge's calls: those after the
# extractor). Their system message also carries the worked examples of every move question,
# after the article: one prefix a prefix-caching server reads once per run, where each
# question's own examples were read again at every turn (docs/performance.md: -12% of the
# debates' evaluated tokens on the example).
DEBATE_TURN_PROMPTS: frozenset[str] = frozenset(
    DEBATE_PROMPTS[DEBATE_PROMPTS.index("extractor") + 1 :]
) - {"move_examples"}


def move_examples() -> str:
    """The worked examples of every move question, each under its question."""
    from debate_eval.core.moves import MOVE_QUESTIONS

    return "\n\n".join(
        f"Question: {asked.question}\n"
        + "\n".join(f'Sentence: "{text}"\nAnswer: {answer}' for text, answer in asked.examples)
        for asked in MOVE_QUESTIONS.values()
    )


def context_message(article: str, *, debate: bool = False) -> SystemMessage:
    """The shared, stable prefix: instructions about the task and the fenced article, and for a
    debate's calls (`debate`) the move questions' worked examples after it."""
    text = render("context", article=fence("article", article))
    if debate:
        text += "\n\n" + render("move_examples", examples=move_examples())
    return SystemMessage(content=text)


def build_messages(
    article: str, role_prompt: str, *, template: str | None = None, **values: object
) -> list[BaseMessage]:
    """Messages for one call: the shared context first, then the role's instructions
    (`template` replaces the role's prompt file, e.g. a judge's prompt from an eval config)."""
    return [
        context_message(article, debate=role_prompt in DEBATE_TURN_PROMPTS),
        HumanMessage(content=render(role_prompt, template, **values)),
    ]
