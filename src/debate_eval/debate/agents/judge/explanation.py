"""The rating's explanation: written by the model from the label and the findings, and replaced
by the measured findings when it contradicts the label twice."""

from __future__ import annotations

from collections.abc import Sequence

from debate_eval.core.schemas import ChecklistItem, Claim, RatingDraft
from debate_eval.debate.agents.judge.checks import contradicts
from debate_eval.debate.agents.judge.parts import Parts, token_cap
from debate_eval.debate.rating import verdict_share
from debate_eval.debate.scoring.checklist import problem_p, ranked_findings

# The explanation's cap: as long as RatingDraft's explanation may be (one to three sentences).
EXPLANATION_MAX_TOKENS = token_cap(
    RatingDraft.model_json_schema()["properties"]["explanation"]["maxLength"]
)


def findings_text(claims: Sequence[Claim], items: Sequence[ChecklistItem]) -> str:
    """What the probes and the claim judge found, as short lines for the writing calls."""
    lines = [f"- {i.item} (probability {problem_p(i):.2f})" for i in items if i.applies]
    lines += [f"- Claim {c.id} ({c.verdict}): {c.text}" for c in claims if c.verdict]
    return "\n".join(lines) or "- No checklist weakness was found likely."


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
    parts: Parts, label: str, items: Sequence[ChecklistItem], claims: Sequence[Claim]
) -> str | None:
    """The explanation, asked once more if it contradicts the label; if it still does, the
    measured explanation stands in and the problem is recorded."""
    findings = findings_text(claims, items)
    retry = (
        f'\n\nYour first draft contradicted the rating "{label}". Explain that rating; do not '
        "describe the article's balance in other words."
    )
    for note in ("", retry):
        text = await parts.text(
            "explanation",
            "explanation",
            max_tokens=EXPLANATION_MAX_TOKENS,
            label=label,
            findings=findings + note,
        )
        if text is None or not contradicts(label, text):
            return text
    parts.problems.append(
        "explanation: the model's text contradicted the rating twice; the measured findings "
        "stand in for it"
    )
    return measured_explanation(items, claims)
