"""The rating reads the debate: the debate features next to the verdict share, their reach into
`measure_rating`, calibrations on the old features unchanged, and role fidelity in the eval's
summary and page."""

from __future__ import annotations

import asyncio
import math

import pytest

from debate_eval.core.schemas import (
    RATING_LABELS,
    ChecklistItem,
    Claim,
    TokenUsage,
    Transcript,
    Turn,
)
from debate_eval.debate import rating
from debate_eval.debate.rating import (
    choose_label,
    measure_rating,
    rating_features,
    refreshed_debate_features,
)
from debate_eval.debate.scoring.calibration import CALIBRATION_FEATURES, Calibration
from debate_eval.debate.scoring.checklist import PROBES
from debate_eval.debate.scoring.rating import LabelDistribution
from debate_eval.evaluation.datasets import SCHEMES, Example
from debate_eval.evaluation.metrics import probability_scored
from debate_eval.evaluation.store import Judgment, StoredDebate
from debate_eval.evaluation.summary import summarise
from tests.conftest import ARTICLE
from tests.fakes import ScriptedChatModel, judge_reply

DEBATE_FEATURES = {
    "claims_without_evidence",
    "claims_without_view_against",
    "opinion_as_fact_claims",
    "skeptic_upheld",
    "skeptic_loaded_wording",
    "advocate_direct_evidence",
}
ITEMS = [
    ChecklistItem(
        id="loaded_language",
        item="Loaded or insulting language about people or groups",
        question="Does the article use loaded, emotional or insulting language?",
        probability=0.6,
        applies=True,
        method="logprobs",
    ),
    ChecklistItem(
        id="opposing_views_fair",
        item="Opposing views are not presented fairly",
        question="Does the article present opposing views fairly, in their own words?",
        probability=0.3,
        applies=True,
        method="logprobs",
    ),
]
CLAIMS = [
    Claim(
        id="c1",
        text="Lanes halve deaths.",
        passage="cut traffic deaths by half",
        verdict="unsupported",
        verdict_probabilities={"supported": 0.2, "contested": 0.3, "unsupported": 0.5},
        probes={"evidence": 0.3, "view_against": 0.4, "opinion_as_fact": 0.8},
    ),
    Claim(
        id="c2",
        text="A grant pays.",
        passage="funding comes from a federal grant",
        verdict="supported",
        verdict_probabilities={"supported": 0.9, "contested": 0.05, "unsupported": 0.05},
        probes={"evidence": 0.9, "view_against": 0.6, "opinion_as_fact": 0.1},
    ),
    # Ruled before probabilities and probes were read: it counts by its verdict, and in no
    # probe's mean.
    Claim(id="c3", text="Shops will suffer.", passage="hurt local shops", verdict="contested"),
]


def turn(turn_id: str, move: str | None, **more) -> Turn:
    claim_id, round_, role = turn_id.split("-")
    return Turn(
        id=turn_id,
        claim_id=claim_id,
        round=int(round_[1:]),
        role=role,
        content=f"{role} on {claim_id}",
        move=move,
        **more,
    )


TURNS = [
    turn("c1-r1-advocate", "direct_evidence"),
    turn("c1-r1-skeptic", "no_source"),  # stands: c1 is not found supported
    turn("c1-r2-skeptic", "figure_without_context", off_side=True),  # counted, never upheld
    turn("c1-r3-skeptic", "concede"),  # a concession: not counted
    turn("c2-r1-skeptic", "loaded_wording"),  # c2 is supported: did not stand
    turn("c3-r1-skeptic", "one_case"),  # c3 contested (by its verdict): stands
    turn("c3-r2-skeptic", None),  # no move (a turn from before moves): not counted
    turn("c3-r2-judge", None),
]
DIST = LabelDistribution(
    {RATING_LABELS[0]: 0.1, RATING_LABELS[1]: 0.2, RATING_LABELS[2]: 0.3, RATING_LABELS[3]: 0.4},
    "logprobs",
    TokenUsage(),
)


def test_the_debate_features_computed_by_hand():
    features = rating_features(ITEMS, DIST, CLAIMS, TURNS)
    # Over the claims with probes (c1, c2): 1 - P(evidence), 1 - P(view against), P(opinion).
    assert features["claims_without_evidence"] == pytest.approx((0.7 + 0.1) / 2)
    assert features["claims_without_view_against"] == pytest.approx((0.6 + 0.4) / 2)
    assert features["opinion_as_fact_claims"] == pytest.approx((0.8 + 0.1) / 2)
    # Skeptic moves, concessions and move-less turns aside: c1-r1, c1-r2, c2-r1, c3-r1; of
    # them c1-r1 and c3-r1 stood.
    assert features["skeptic_upheld"] == pytest.approx(2 / 4)
    # Next to the verdict share, which is unchanged.
    assert features["verdict_share"] == pytest.approx((0.8 + 0.1 + 1.0) / 3)
    assert features["score"] == pytest.approx(1 * 0.1 + 2 * 0.2 + 3 * 0.3 + 4 * 0.4)


def test_a_skeptic_move_on_a_claim_ruled_supported_by_a_plurality_did_not_stand():
    """The verdict the reader sees decides: "supported" at P 0.4 (three labels near a third
    each) is supported, though the share against it is 0.6."""
    plurality = Claim(
        id="c4",
        text="Rents will fall.",
        passage="rents fall",
        verdict="supported",
        verdict_probabilities={"supported": 0.4, "contested": 0.3, "unsupported": 0.3},
    )
    moves = [turn("c4-r1-skeptic", "no_source"), turn("c3-r1-skeptic", "one_case")]
    features = rating_features(ITEMS, DIST, [plurality, CLAIMS[2]], moves)
    assert features["skeptic_upheld"] == pytest.approx(1 / 2)
    assert features["verdict_share"] == pytest.approx((0.6 + 1.0) / 2)


def test_the_move_answers_features_computed_by_hand():
    """One move question each, read as a measurement of the sentence the debater picked."""
    skeptic = {"no_source": 0.6, "loaded_wording": 0.8, "one_case": 0.3}
    moves = [
        turn("c1-r1-advocate", "direct_evidence", move_probabilities={"direct_evidence": 0.7}),
        # A concession counts: its answers were read before nothing beat the baseline.
        turn("c2-r1-advocate", "concede", move_probabilities={"direct_evidence": 0.2}),
        turn("c3-r1-advocate", "mechanism", move_probabilities={"mechanism": 0.9}),  # not asked
        turn("c1-r1-skeptic", "loaded_wording", move_probabilities=skeptic),
        # Off side: counted too.
        turn(
            "c2-r1-skeptic", "no_source", move_probabilities={"loaded_wording": 0.4}, off_side=True
        ),
        turn("c3-r1-skeptic", None),  # no move questions read: not counted
    ]
    features = rating_features(ITEMS, DIST, CLAIMS, moves)
    assert features["advocate_direct_evidence"] == pytest.approx((0.7 + 0.2) / 2)
    assert features["skeptic_loaded_wording"] == pytest.approx((0.8 + 0.4) / 2)
    unread = [t.model_copy(update={"move_probabilities": None}) for t in moves]
    assert not {"advocate_direct_evidence", "skeptic_loaded_wording"} & set(
        rating_features(ITEMS, DIST, CLAIMS, unread)
    )


def test_a_full_debate_yields_every_debate_feature_the_refresh_replaces():
    answers = {"move_probabilities": {"loaded_wording": 0.5, "direct_evidence": 0.3}}
    read = [t.model_copy(update=answers) if t.role != "judge" else t for t in TURNS]
    features = rating_features(ITEMS, DIST, CLAIMS, read)
    assert set(features) - {"score", "checklist", *(i.id for i in ITEMS)} == set(
        rating.DEBATE_FEATURES
    )
    assert set(rating.DEBATE_FEATURES) == DEBATE_FEATURES | {"verdict_share"}


def test_stored_features_are_refreshed_from_the_debate_by_todays_rules():
    stored = {"checklist": 0.4, "score": 2.5, "verdict_share": 0.9, "skeptic_upheld": 1.0}
    turns = [
        *TURNS,
        turn("c2-r1-advocate", "mechanism", move_probabilities={"direct_evidence": 0.6}),
    ]
    # The checklist's and the letter's kept; the debate's computed again (c2's move on a
    # supported claim does not stand), and the ones added since measured.
    assert refreshed_debate_features(stored, CLAIMS, turns) == {
        "checklist": 0.4,
        "score": 2.5,
        "verdict_share": pytest.approx((0.8 + 0.1 + 1.0) / 3, abs=1e-6),
        "claims_without_evidence": pytest.approx((0.7 + 0.1) / 2),
        "claims_without_view_against": pytest.approx((0.6 + 0.4) / 2),
        "opinion_as_fact_claims": pytest.approx((0.8 + 0.1) / 2),
        "skeptic_upheld": pytest.approx(2 / 4),
        "advocate_direct_evidence": pytest.approx(0.6),
    }
    # A measurement without the letter over the claims has no debate features to refresh.
    assert refreshed_debate_features({"checklist": 0.4}, CLAIMS, TURNS) == {"checklist": 0.4}


def test_a_stored_judgment_is_relabelled_by_its_calibration_when_its_features_change():
    from debate_eval.evaluation.harness import with_todays_features
    from debate_eval.evaluation.judges import Judge

    calibration = Calibration(
        judge="debate",
        model="m",
        prompts_sha256={},
        features=["skeptic_upheld"],
        mean=[0.2],
        scale=[0.25],
        weights=[4.0],
        intercept=0.0,
        threshold=0.5,
    )
    # Stored under an older rule: no skeptic move stood, so the calibration said balanced.
    old = {"score": 2.0, "verdict_share": 0.5, "skeptic_upheld": 0.0}
    found = Judgment("a0", "debate", 0, "advocate_first", None, None, 1, 1, 1.0, {}, features=old)
    found.rating = calibration.label(calibration.probability(old))
    debate = StoredDebate(
        "a0", "advocate_first", Transcript(claims=CLAIMS, debate=TURNS), None, 1, 1, 1.0
    )
    judge = Judge(name="debate", kind="debate", calibration=calibration)
    today = with_todays_features(found, judge, debate)
    # Two of four skeptic moves stand today: P = logistic(4 × (0.5 − 0.2) / 0.25) = 0.992.
    assert today.features["skeptic_upheld"] == pytest.approx(0.5)
    assert today.rating == RATING_LABELS[3] != found.rating
    assert today.confidence == pytest.approx(1 / (1 + math.exp(-4.8)), abs=1e-4)
    # Without a calibration the label is the letter's, which the debate features do not move.
    plain = with_todays_features(found, Judge(name="debate", kind="debate"), debate)
    assert plain.rating == found.rating and plain.features == today.features
    # A judgment whose features are already today's is returned as stored.
    assert with_todays_features(today, judge, debate) == today


def test_a_debate_feature_nothing_measured_is_left_out():
    unprobed = [c.model_copy(update={"probes": None}) for c in CLAIMS]
    conceded = [t for t in TURNS if t.role != "skeptic" or t.move in ("concede", None)]
    features = rating_features(ITEMS, DIST, unprobed, conceded)
    assert not DEBATE_FEATURES & set(features)
    assert "verdict_share" in features
    # Without the transcript only the claims' features.
    assert set(rating_features(ITEMS, DIST, CLAIMS)) & DEBATE_FEATURES == DEBATE_FEATURES - {
        "skeptic_upheld",
        "skeptic_loaded_wording",
        "advocate_direct_evidence",
    }
    # A probe some claims lack is averaged over those that have it.
    partial = [CLAIMS[0].model_copy(update={"probes": {"evidence": 0.25}}), CLAIMS[1]]
    features = rating_features(ITEMS, DIST, partial)
    assert features["claims_without_evidence"] == pytest.approx((0.75 + 0.1) / 2)
    assert features["opinion_as_fact_claims"] == pytest.approx(0.1)
    # No letter call, no claims: none of the debate's features (as for the verdict share).
    assert not (DEBATE_FEATURES | {"verdict_share"}) & set(rating_features(ITEMS, None, CLAIMS))
    assert not (DEBATE_FEATURES | {"verdict_share"}) & set(rating_features(ITEMS, DIST))


def test_the_debate_judge_reads_the_transcripts_moves():
    """`run` and `eval` measure the debate judge with the claims and turns; the turns reach
    the features."""
    model = ScriptedChatModel(judge_reply())
    measured = asyncio.run(
        measure_rating(ARTICLE, model, judge="debate", debate=(CLAIMS, TURNS), checklist=ITEMS)
    )
    assert measured.features["skeptic_upheld"] == pytest.approx(0.5)
    assert measured.features["claims_without_evidence"] == pytest.approx(0.4)
    assert measured.label is not None


def test_a_calibration_on_the_earlier_features_labels_as_before():
    calibration = Calibration(
        judge="debate",
        model="m",
        prompts_sha256={},
        features=list(CALIBRATION_FEATURES["debate"]),
        mean=[0.4, 2.5, 0.5],
        scale=[0.2, 0.8, 0.3],
        weights=[1.5, 0.7, -0.4],
        intercept=-0.2,
        threshold=0.5,
    )
    # Every probe answered, as in a run: the checklist mean is one of the features.
    items = [
        ChecklistItem(
            id=p.id,
            item=p.finding,
            question=p.question,
            probability=0.1 + 0.08 * i,
            applies=True,
            method="logprobs",
        )
        for i, p in enumerate(PROBES)
    ]
    answers = {"move_probabilities": {"loaded_wording": 0.5, "direct_evidence": 0.3}}
    read = [t.model_copy(update=answers) if t.role != "judge" else t for t in TURNS]
    features = rating_features(items, DIST, CLAIMS, read)
    assert set(features) >= DEBATE_FEATURES
    # By hand: the logistic of the three features it was fitted on.
    x = [
        (features[name] - mean) / scale
        for name, mean, scale in zip(
            calibration.features, calibration.mean, calibration.scale, strict=True
        )
    ]
    z = sum(w * v for w, v in zip(calibration.weights, x, strict=True)) + calibration.intercept
    assert calibration.probability(features) == pytest.approx(1 / (1 + math.exp(-z)))
    earlier = {k: v for k, v in features.items() if k not in DEBATE_FEATURES}
    assert choose_label("debate", DIST, features, calibration) == choose_label(
        "debate", DIST, earlier, calibration
    )


# ------------------------------------------------------------------ the eval's summary


def checked(turn_id: str, move: str, argues_for: float) -> Turn:
    return turn(turn_id, move, argues_for=argues_for)


def stored(article_id: str, order: str, turns: list[Turn] | None, error=None) -> StoredDebate:
    transcript = Transcript(claims=CLAIMS, debate=turns) if turns is not None else None
    return StoredDebate(article_id, order, transcript, error, 10, 5, 1.0)


DEBATES = {
    # Two of four side-checked turns on their own side (the concession is not counted): 0.5.
    ("a0", "advocate_first"): stored(
        "a0",
        "advocate_first",
        [
            checked("c1-r1-advocate", "direct_evidence", 0.8),
            checked("c1-r1-skeptic", "no_source", 0.2),
            checked("c1-r2-advocate", "mechanism", 0.3),
            checked("c1-r2-skeptic", "one_case", 0.6),
            checked("c1-r3-skeptic", "concede", 0.9),
        ],
    ),
    # One side-checked turn, on its side: 1.0.
    ("a1", "advocate_first"): stored(
        "a1", "advocate_first", [checked("c1-r1-skeptic", "no_source", 0.1)]
    ),
    # No side check: no role fidelity, and not in the mean.
    ("a2", "advocate_first"): stored("a2", "advocate_first", TURNS),
    ("a3", "advocate_first"): stored("a3", "advocate_first", None, "the extractor failed"),
}
EXAMPLES = [Example(f"a{i}", f"Article {i}", ARTICLE, "hyperpartisan") for i in range(4)]


def test_the_summary_has_each_debates_role_fidelity_and_their_mean():
    summary = summarise([], EXAMPLES, SCHEMES["semeval"], DEBATES, [])
    debates = summary["debates"]
    assert debates["role_fidelity"] == pytest.approx((0.5 + 1.0) / 2)
    assert debates["side_checked"] == 2
    assert {(r["article_id"], r["role_fidelity"], r["error"]) for r in debates["rows"]} == {
        ("a0", 0.5, None),
        ("a1", 1.0, None),
        ("a2", None, None),
        ("a3", None, "the extractor failed"),
    }
    unchecked = {k: d for k, d in DEBATES.items() if k[0] in ("a2", "a3")}
    summary = summarise([], EXAMPLES, SCHEMES["semeval"], unchecked, [])
    assert "role_fidelity" not in summary["debates"]
    assert "side_checked" not in summary["debates"]


def test_the_summary_counts_moves_verdicts_and_decisive_points_in_own_words():
    from debate_eval.core.quotes import Quote
    from debate_eval.core.schemas import TokenUsage as Usage
    from debate_eval.debate.agents.claim_judge import fixed_point

    skeptic = turn("c1-r1-skeptic", "no_source", evidence=Quote(text="Deaths fell.", verified=True))
    advocate = turn("c2-r1-advocate", "mechanism")
    claims = [
        # Copied a turn twice: replaced by the move's fixed form.
        CLAIMS[0].model_copy(
            update={"decisive_turn": skeptic.id, "decisive_point": fixed_point(skeptic)}
        ),
        CLAIMS[1].model_copy(
            update={"decisive_turn": advocate.id, "decisive_point": "The grant is documented."}
        ),
        CLAIMS[2],  # no decisive turn: not counted either way
    ]
    usage = {"advocate": Usage(calls=4), "claim_judge": Usage(calls=3)}
    debate = Transcript(claims=claims, debate=[skeptic, advocate, TURNS[-1]], usage=usage)
    debates = {
        ("a0", "advocate_first"): StoredDebate("a0", "advocate_first", debate, None, 1, 1, 1.0),
        ("a1", "advocate_first"): stored("a1", "advocate_first", None, "the extractor failed"),
    }
    summary = summarise([], EXAMPLES, SCHEMES["semeval"], debates, [])["debates"]
    assert summary["moves"] == {"advocate": {"mechanism": 1}, "skeptic": {"no_source": 1}}
    assert summary["verdicts"] == {"unsupported": 1, "supported": 1, "contested": 1}
    assert summary["decisive_points"] == {"own_words": 1, "fixed_form": 1}
    assert summary["calls"] == {"mean": 7.0, "p95": 7.0}


def test_the_eval_page_shows_role_fidelity_and_each_turns_move():
    from debate_eval.evaluation.html_report import render_html

    summary = summarise([], EXAMPLES, SCHEMES["semeval"], DEBATES, [])
    page = render_html(summary, EXAMPLES, {a: d for (a, _), d in DEBATES.items()})
    assert "mean role fidelity\n0.750" in page
    assert "over 2 debates" in page
    # CLAIMS have no decisive turn: none counted either way; their verdicts, once per debate.
    assert "own\nwords 0, replaced" in page and "twice 0; verdicts\nunsupported 3, " in page
    a0 = page.split('id="a0"', 1)[1].split("</details>", 1)[0]
    assert "<p>Role fidelity 0.500.</p>" in a0
    assert "<b>[c1-r1-skeptic] skeptic</b> <i>(move: no named source or evidence)</i>:" in a0
    a2 = page.split('id="a2"', 1)[1].split("</details>", 1)[0]
    assert "Role fidelity" not in a2
    assert '<b class="bad">(argued the other side)</b>' in a2  # c1-r2-skeptic is off side


def judgment(article_id: str, features: dict[str, float]) -> Judgment:
    return Judgment(
        article_id=article_id,
        judge="debate",
        repeat=0,
        speaking_order="advocate_first",
        rating=RATING_LABELS[3],
        unscored_reason=None,
        tokens_in=1,
        tokens_out=1,
        latency_s=0.1,
        settings={"judge": {"kind": "debate"}},
        features=features,
    )


def test_raw_scores_are_read_where_measured_and_cv_on_complete_rows():
    """A debate whose claims had no probes lacks their features: each raw score is read over
    the debates that have it, and the calibration's design is cross-validated on the articles
    that have all of its features, instead of failing."""
    examples = [
        Example(f"a{i}", f"Article {i}", ARTICLE, label)
        for i, label in enumerate(["hyperpartisan", "not_hyperpartisan"] * 3)
    ]
    base = {"checklist": 0.5, "score": 2.0, "verdict_share": 0.5, "skeptic_upheld": 0.5}
    judgments = [
        judgment(e.id, {**base, "checklist": 0.3 + 0.1 * i, "claims_without_evidence": 0.2})
        for i, e in enumerate(examples[:-1])
    ]
    judgments.append(judgment(examples[-1].id, base))
    summary = summarise(judgments, examples, SCHEMES["semeval"], {}, ["debate"])
    scored = summary["judges"]["debate"]["probability_scored"]
    assert set(scored["raw_auc"]) == {*base, "claims_without_evidence"}
    assert scored["raw_auc_articles"] == {**dict.fromkeys(base, 6), "claims_without_evidence": 5}
    # checklist rises with i: a0, a2, a4 (hyperpartisan) at 0.3, 0.5, 0.7 against a1, a3 at 0.4,
    # 0.6 and a5 at 0.5 (base): 4 of 9 pairs above, one tied.
    assert scored["raw_auc"]["checklist"] == pytest.approx(4.5 / 9, abs=1e-4)
    assert scored["calibrated_on"] == ["checklist", "score", "verdict_share"]
    assert scored["missing_features"] == 0

    # A design that reads the feature one debate lacks: cross-validated on the others.
    positive = [i % 2 == 0 for i in range(12)]
    rows = [{"checklist": 0.1 * i, "claims_without_evidence": 0.5} for i in range(11)]
    rows.append({"checklist": 0.9})
    cv_scored = probability_scored(
        [f"a{i}" for i in range(12)], rows, positive, ["checklist", "claims_without_evidence"]
    )
    assert cv_scored["missing_features"] == 1
    assert cv_scored["cross_validation"]["articles"] == 11
    severe = cv_scored["cross_validation"]["severe_errors"]
    assert severe["positive_labelled_well_balanced"]["of"] == 6
    assert severe["negative_labelled_strongly_imbalanced"]["of"] == 5
