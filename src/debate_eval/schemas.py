"""Pydantic models: what the LLMs must return, and the report contract other tools rely on."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from debate_eval.sentences import fit_length, split_into

RATING_LABELS: tuple[str, ...] = (
    "Appears well balanced",
    "May be slightly imbalanced",
    "Appears moderately imbalanced",
    "Appears strongly imbalanced",
)
RatingLabel = Literal[
    "Appears well balanced",
    "May be slightly imbalanced",
    "Appears moderately imbalanced",
    "Appears strongly imbalanced",
]
VERDICTS: tuple[str, ...] = ("supported", "contested", "unsupported")
Verdict = Literal["supported", "contested", "unsupported"]
ROLES: tuple[str, ...] = ("extractor", "advocate", "skeptic", "claim_judge", "judge")
Role = Literal["extractor", "advocate", "skeptic", "claim_judge", "judge"]
TurnRole = Literal["advocate", "skeptic", "judge"]


# ---------------------------------------------------------------- LLM outputs


class ExtractedClaim(BaseModel):
    """One central claim as the extractor returns it."""

    text: str = Field(
        description="The claim restated as one checkable sentence, in your own words.",
        min_length=8,
    )
    passage: str = Field(
        description="The sentence(s) of the article the claim comes from, quoted verbatim.",
        min_length=8,
    )


class ExtractedClaims(BaseModel):
    """The article's central, checkable claims, most important first."""

    claims: list[ExtractedClaim] = Field(
        description="The article's central, checkable claims, most important first.",
        min_length=1,
    )


class ClaimRuling(BaseModel):
    """The claim judge's ruling on one debated claim."""

    # The decisive point comes first: a model writing the fields in order reasons, then decides.

    decisive_point: str = Field(
        description="One or two sentences: the point of the debate that decided the verdict.",
        min_length=8,
    )
    verdict: Verdict = Field(
        description=(
            "supported: the article backs the claim and the skeptic found no serious gap; "
            "contested: reasonable evidence exists on both sides; "
            "unsupported: the article gives little or no evidence for it."
        )
    )


class RatingDraft(BaseModel):
    """The balance rating with a short explanation."""

    explanation: str = Field(
        description=(
            "One to three sentences: what is missing from the article and what a reader "
            "should seek out."
        ),
        min_length=20,
        max_length=600,
    )
    label: RatingLabel = Field(description="Exactly one of the four balance labels.")

    _fit = field_validator("explanation", mode="before")(lambda v: fit_length(v, 600))


class AnalysisParagraph(BaseModel):
    """One paragraph of the article analysis, grounded in claims and debate turns."""

    text: str = Field(
        description=(
            "A paragraph naming one weakness (or strength) of the article, citing claim and "
            "turn ids in square brackets, e.g. [c1, c1-r1-skeptic]."
        ),
        min_length=40,
        max_length=900,
    )
    claim_ids: list[str] = Field(
        description="Ids of the claims this paragraph rests on, e.g. ['c1'].", min_length=1
    )
    turn_ids: list[str] = Field(
        default_factory=list,
        description="Ids of the debate turns this paragraph rests on, e.g. ['c1-r1-skeptic'].",
    )

    _fit = field_validator("text", mode="before")(lambda v: fit_length(v, 900))


class ReportDraft(BaseModel):
    """The report the judge writes after reading the article and the debates."""

    # The analysis comes before the rating, so that the rating follows from it.

    summary: list[Annotated[str, Field(min_length=5, max_length=400)]] = Field(
        description="Exactly three numbered points summarising what the article says.",
        min_length=3,
        max_length=3,
    )
    analysis: list[AnalysisParagraph] = Field(
        description=(
            "Two to five paragraphs on one-sidedness, unsupported claims, missing evidence, "
            "unexplored counterarguments, unmentioned risks, promotional content, undisclosed "
            "sources or affiliations, and whether both sides get equal room."
        ),
        min_length=2,
        max_length=5,
    )
    rating: RatingDraft = Field(description="The balance rating and its explanation.")
    research_topics: list[Annotated[str, Field(min_length=3, max_length=120)]] = Field(
        description="Four to eight short, searchable topics for further research.",
        min_length=4,
        max_length=8,
    )

    @field_validator("summary", "research_topics", mode="before")
    @classmethod
    def _fit_items(cls, value: object, info: ValidationInfo) -> object:
        limit = 400 if info.field_name == "summary" else 120
        return [fit_length(v, limit) for v in value] if isinstance(value, list) else value

    @field_validator("summary", "analysis", "research_topics", mode="before")
    @classmethod
    def _keep_the_first(cls, value: object, info: ValidationInfo) -> object:
        # Too many items is harmless (keep the first ones, as a reader would); too few is not.
        most = {"summary": 3, "analysis": 5, "research_topics": 8}[info.field_name]
        return value[:most] if isinstance(value, list) else value

    @field_validator("summary", mode="before")
    @classmethod
    def _three_points(cls, value: object) -> object:
        # Small models often write the three points as two items, one holding two sentences:
        # split that item at a sentence end rather than fail the report.
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return split_into(value, 3)
        return value


# ------------------------------------------------------------ report contract


class Claim(BaseModel):
    """A claim with its id, source passage and (once debated) its verdict."""

    id: str = Field(description="Stable claim id: c1, c2, ...")
    text: str = Field(description="The claim as one checkable sentence.")
    passage: str = Field(description="The article passage the claim comes from.")
    verdict: Verdict | None = Field(default=None, description="The claim judge's verdict.")
    decisive_point: str | None = Field(
        default=None, description="The point of the debate that decided the verdict."
    )


class Turn(BaseModel):
    """One turn of a claim's debate."""

    id: str = Field(description="Turn id: <claim_id>-r<round>-<role>, e.g. c1-r2-skeptic.")
    claim_id: str = Field(description="The claim this turn debates.")
    round: int = Field(ge=1, description="Debate round, starting at 1.")
    role: TurnRole = Field(description="Who spoke: advocate, skeptic or judge.")
    content: str = Field(description="What was said.")


def turn_id(claim_id: str, round_: int, role: str) -> str:
    """The id of the turn `role` takes in `round_` of `claim_id`'s debate."""
    return f"{claim_id}-r{round_}-{role}"


class Rating(BaseModel):
    label: RatingLabel = Field(description="One of the four balance labels.")
    explanation: str = Field(description="What is missing and what a reader should seek out.")


class TokenUsage(BaseModel):
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


class ReportMeta(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    models: dict[str, str] = Field(description="Model name used for each role.")
    rounds: int = Field(description="Maximum debate rounds per claim.")
    started_at: str = Field(description="ISO 8601 UTC time the run started.")
    duration_s: float = Field(description="Wall-clock duration of the run in seconds.")
    usage: dict[str, TokenUsage] = Field(description="Token usage per role.")
    run_id: str | None = Field(default=None, description="The run's id.")
    notices: list[str] = Field(
        default_factory=list,
        description="What the reader should know about the input: text left out to fit the "
        "model, a guessed encoding, instructions aimed at AI systems found in the article.",
    )


class Report(BaseModel):
    """The full debate-eval report (JSON contract)."""

    summary: list[str] = Field(min_length=3, max_length=3, description="Three summary points.")
    rating: Rating
    analysis: list[AnalysisParagraph] = Field(description="Analysis paragraphs with their ids.")
    research_topics: list[str] = Field(description="Searchable topics for further research.")
    claims: list[Claim]
    debate: list[Turn]
    meta: ReportMeta


class Transcript(BaseModel):
    """A finished debate without its report: what judges rate (stored by the eval harness)."""

    claims: list[Claim] = Field(description="The claims, with the claim judge's verdicts.")
    debate: list[Turn] = Field(description="Every turn, grouped by claim, in order.")
    usage: dict[str, TokenUsage] = Field(default_factory=dict, description="Tokens per role.")
