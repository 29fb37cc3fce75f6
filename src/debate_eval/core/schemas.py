"""Pydantic models: what the LLMs must return, and the report contract other tools rely on."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from debate_eval.core.quotes import Quote
from debate_eval.core.sentences import fit_length, split_into

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
# The judges that can choose a report's label.
RatingJudge = Literal["debate", "checklist", "baseline-prob"]
RATING_JUDGES: tuple[str, ...] = get_args(RatingJudge)
Verdict = Literal["supported", "contested", "unsupported"]
ROLES: tuple[str, ...] = ("extractor", "advocate", "skeptic", "claim_judge", "judge")
Role = Literal["extractor", "advocate", "skeptic", "claim_judge", "judge"]
TurnRole = Literal["advocate", "skeptic", "judge"]


# ---------------------------------------------------------------- LLM outputs


class ExtractedClaim(BaseModel):
    """One central claim as the extractor returns it."""

    text: str = Field(
        description=(
            "The claim itself restated as one checkable sentence, in your own words "
            "(what the article asserts, not 'The article argues that ...')."
        ),
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
    # Filled in after the reply (never asked of the model: left out of its schema).
    probabilities: SkipJsonSchema[dict[str, float] | None] = None
    probes: SkipJsonSchema[dict[str, float] | None] = None
    decisive_turn: SkipJsonSchema[str | None] = None


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
        default_factory=list,
        description="Ids of the claims this paragraph rests on, e.g. ['c1'].",
    )
    turn_ids: list[str] = Field(
        default_factory=list,
        description="Ids of the debate turns this paragraph rests on, e.g. ['c1-r1-skeptic'].",
    )
    item: str | None = Field(
        default=None, description="The checklist probe this paragraph discusses, if any."
    )
    quotes: list[Quote] = Field(
        default_factory=list, description="The article's words it quotes, each verified or not."
    )
    evidence: Quote | None = Field(
        default=None,
        description="The article sentence the analyst picked as the clearest sign of the "
        "weakness (by letter, from the article's own sentences: always verified).",
    )
    confirmed: bool | None = Field(
        default=None,
        description=(
            "Whether the analyst's opening yes/no on the finding agreed with the checklist "
            "probe; null when it gave no such answer."
        ),
    )

    _fit = field_validator("text", mode="before")(lambda v: fit_length(v, 900))


class SummaryDraft(BaseModel):
    """Three points saying what the article says."""

    points: list[Annotated[str, Field(min_length=5, max_length=400)]] = Field(
        description="Exactly three one-sentence points saying what the article says.",
        min_length=3,
        max_length=3,
    )

    @field_validator("points", mode="before")
    @classmethod
    def _three_points(cls, value: object) -> object:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return split_into([fit_length(v, 400) for v in value[:3]], 3)
        return value


class TopicsDraft(BaseModel):
    """Searchable topics for further research."""

    topics: list[Annotated[str, Field(min_length=3, max_length=120)]] = Field(
        description="Three to eight short topics a reader could search for.",
        min_length=3,
        max_length=8,
    )

    @field_validator("topics", mode="before")
    @classmethod
    def _keep_the_first(cls, value: object) -> object:
        # A small model repeats a topic; a repeat is left out (three distinct are still needed).
        if not isinstance(value, list):
            return value
        seen: set[str] = set()
        distinct = []
        for topic in value:
            key = " ".join(str(topic).lower().split())
            if key not in seen:
                seen.add(key)
                distinct.append(topic)
        return [fit_length(v, 120) for v in distinct[:8]]


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
    verdict_probabilities: dict[str, float] | None = Field(
        default=None,
        description="The claim judge's probability of each verdict (summing to 1); the verdict "
        "is the most probable one.",
    )
    probes: dict[str, float] | None = Field(
        default=None,
        description="The claim judge's yes/no questions about the claim, each as P(yes): "
        "evidence (the article gives data, a named source or a document for it), view_against "
        "(the article mentions a view against it), opinion_as_fact (an opinion or prediction "
        "stated as fact).",
    )
    decisive_turn: str | None = Field(
        default=None, description="The id of the turn whose move decided the verdict."
    )


class Turn(BaseModel):
    """One turn of a claim's debate."""

    id: str = Field(description="Turn id: <claim_id>-r<round>-<role>, e.g. c1-r2-skeptic.")
    claim_id: str = Field(description="The claim this turn debates.")
    round: int = Field(ge=1, description="Debate round, starting at 1.")
    role: TurnRole = Field(description="Who spoke: advocate, skeptic or judge.")
    content: str = Field(description="What was said.")
    quotes: list[Quote] = Field(
        default_factory=list,
        description="The article's words the turn quotes, each verified against the article.",
    )
    evidence: Quote | None = Field(
        default=None,
        description="The article sentence the debater chose to argue from (the advocate's "
        "evidence, the sentence the skeptic attacks), picked by letter from the article's own "
        "sentences, so always verified.",
    )
    move: str | None = Field(
        default=None,
        description="The kind of move the turn makes (core/moves.py: e.g. no_source, "
        "loaded_wording, direct_evidence, concede): the move whose yes/no question about the "
        "turn's sentence is answered most above its answer for a content-free sentence; "
        "None for the judge's turns.",
    )
    move_probabilities: dict[str, float] | None = Field(
        default=None,
        description="P(the answer that makes each move of the debater's menu) to the move's "
        "question about the turn's sentence (the concession has none).",
    )
    argues_for: float | None = Field(
        default=None,
        description="P that the turn's sentence argues that its claim holds (the side check: "
        "for or against, picked by letter in both orders, read against a content-free "
        "sentence's answer, so that 0.5 is no side): an advocate's turn should be above 0.5, a "
        "skeptic's below.",
    )
    off_side: bool = Field(
        default=False,
        description="The turn argued the other side's case and did again when asked once more, "
        "or its rewrite copied a turn it was shown (the first draft kept, and marked). A "
        "concession is never off side.",
    )


def turn_id(claim_id: str, round_: int, role: str) -> str:
    """The id of the turn `role` takes in `round_` of `claim_id`'s debate."""
    return f"{claim_id}-r{round_}-{role}"


class Rating(BaseModel):
    label: RatingLabel = Field(description="One of the four balance labels.")
    explanation: str = Field(description="What is missing and what a reader should seek out.")
    probabilities: dict[str, float] | None = Field(
        default=None,
        description="The model's probability of each of the four labels (summing to 1).",
    )
    score: float | None = Field(
        default=None,
        ge=1,
        le=4,
        description="Expected position on the scale 1 (well balanced) .. 4 (strongly "
        "imbalanced), from the label probabilities.",
    )
    confidence: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Probability that the chosen label is right, by the judge that chose it "
        "(calibrated: the calibrated probability of its side of the strongly-imbalanced cut).",
    )
    judge: str | None = Field(
        default=None, description="The judge behind the label: baseline-prob, checklist, debate."
    )
    calibration: str | None = Field(
        default=None, description="The calibration applied, or null when uncalibrated."
    )


class TokenUsage(BaseModel):
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = Field(
        default=0,
        description="Of the input tokens, those the server read from its prompt cache instead "
        "of evaluating (0 where the server does not say).",
    )

    @property
    def evaluated_tokens(self) -> int:
        """Input tokens the server evaluated (sent, less those it had cached)."""
        return self.input_tokens - self.cached_tokens


class PhaseTiming(BaseModel):
    """Where a run's time went: one phase (screening, rating, a claim's debate, ...)."""

    seconds: float = Field(description="Wall-clock seconds spent in the phase's steps.")
    usage: TokenUsage = Field(
        default_factory=TokenUsage, description="Tokens sent, cached and generated in the phase."
    )


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
    problems: list[str] = Field(
        default_factory=list,
        description="Parts of the report that could not be written, each with the reason.",
    )
    timing: dict[str, PhaseTiming] = Field(
        default_factory=dict,
        description="Seconds and tokens per phase, in the order the phases ran: screening, "
        "rating, extraction, debate <claim id>, claim judge <claim id>, report.",
    )
    role_fidelity: float | None = Field(
        default=None,
        description="The share of debate turns (concessions aside) that argued their own "
        "side, by the side check; None without debate turns.",
    )
    probabilities_method: str | None = Field(
        default=None,
        description="How probabilities were read: logprobs, or sampled:<k> when the server "
        "returns no logprobs.",
    )


class ChecklistItem(BaseModel):
    """One checklist probe's answer, as it appears in the report."""

    id: str = Field(description="Probe id, e.g. loaded_language.")
    item: str = Field(description="The weakness this probe looks for.")
    question: str = Field(description="The yes/no question the model answered.")
    probability: float = Field(ge=0, le=1, description="The model's probability of 'yes'.")
    applies: bool = Field(description="Whether the weakness applies (probability past 0.5).")
    method: str = Field(description="How the probability was read: logprobs or sampled:<k>.")
    signs: list[str] = Field(
        default_factory=list,
        description="For a question asked of each paragraph: the paragraphs most likely to show "
        "the weakness (P(yes) above 0.5), most likely first, at most three.",
    )


class UnitReading(BaseModel):
    """One paragraph (or line) of the article, as the paragraph questions read it."""

    text: str
    probabilities: dict[str, float] = Field(
        default_factory=dict,
        description="P(yes) per paragraph question (addressed_to_ai, persuasive); empty for a "
        "unit too short to ask about.",
    )
    left_out: bool = Field(
        default=False, description="Left out of what the agents read (written to AI systems)."
    )


class ArticleReading(BaseModel):
    """The article read once, paragraph by paragraph (the screener's and the persuasion
    question's answers on one reading)."""

    separator: str = Field(description="What joins the units back into the article.")
    units: list[UnitReading]
    method: str | None = Field(
        default=None, description="How probabilities were read: logprobs or sampled:<k>."
    )

    def answers(self, question: str, *, kept_only: bool = False) -> dict[int, float]:
        """P(yes) to `question` by unit index (`kept_only`: the units not left out)."""
        return {
            i: u.probabilities[question]
            for i, u in enumerate(self.units)
            if question in u.probabilities and not (kept_only and u.left_out)
        }


class RatingMeasurement(BaseModel):
    """The measured rating, before any prose: what the rating judge read and the label it chose.
    Known right after the probes for the checklist and baseline-prob judges; the debate judge's
    label waits for the debate (`label` None until then)."""

    judge: str = Field(description="The rating judge: baseline-prob, checklist or debate.")
    checklist: list[ChecklistItem] = Field(description="The checklist probes' answers.")
    features: dict[str, float] = Field(description="What a calibration reads.")
    probabilities: dict[str, float] | None = Field(
        default=None, description="The letter call's four label probabilities, if one was made."
    )
    score: float | None = Field(default=None, description="Their expected score on 1-4.")
    method: str | None = Field(default=None, description="How probabilities were read.")
    label: RatingLabel | None = Field(
        default=None, description="The label; null while it waits for the debate."
    )
    confidence: float | None = Field(default=None, description="P(the label is right).")
    calibration: str | None = Field(default=None, description="The calibration applied.")
    usage: TokenUsage = Field(default_factory=TokenUsage)


class Report(BaseModel):
    """The full debate-eval report (JSON contract)."""

    summary: list[str] = Field(
        max_length=3,
        description="Three summary points (empty when that part failed: see meta.problems).",
    )
    rating: Rating
    analysis: list[AnalysisParagraph] = Field(description="Analysis paragraphs with their ids.")
    research_topics: list[str] = Field(description="Searchable topics for further research.")
    claims: list[Claim]
    debate: list[Turn]
    meta: ReportMeta
    checklist: list[ChecklistItem] = Field(
        default_factory=list, description="The checklist probes' answers."
    )
    reading: ArticleReading | None = Field(
        default=None,
        description="The article paragraph by paragraph with each one's measured P(written to "
        "persuade) and P(written to AI systems), and which were left out.",
    )


class Transcript(BaseModel):
    """A finished debate without its report: what judges rate (stored by the eval harness)."""

    claims: list[Claim] = Field(description="The claims, with the claim judge's verdicts.")
    debate: list[Turn] = Field(description="Every turn, grouped by claim, in order.")
    usage: dict[str, TokenUsage] = Field(default_factory=dict, description="Tokens per role.")
