"""Graph logic with scripted models: order, concurrency, early stop, verdicts, retries."""

from __future__ import annotations

import asyncio

import pytest

from debate_eval.agents.judge import ajudge, judge
from debate_eval.errors import StructuredOutputError
from debate_eval.runner import (
    ClaimRuled,
    ClaimsExtracted,
    JudgeStarted,
    RunOptions,
    TurnTaken,
    arun_debate,
)
from debate_eval.schemas import Claim, Turn
from tests.fakes import (
    CLAIMS as CLAIM_ARGS,
)
from tests.fakes import (
    REPORT,
    Barrier,
    ScriptedChatModel,
    prompt_text,
    scripted_models,
    text_reply,
    tool_reply,
)


def run(article, models, **options):
    events = []
    report = asyncio.run(
        arun_debate(article, models, RunOptions(**options), on_event=events.append)
    )
    return report, events


def test_turn_order_per_claim_and_report_assembled(article):
    models = scripted_models()
    report, events = run(article, models)

    assert isinstance(events[0], ClaimsExtracted)
    assert isinstance(events[-1], JudgeStarted)
    assert [c.id for c in report.claims] == ["c1", "c2", "c3"]
    for claim in report.claims:
        ids = [t.id for t in report.debate if t.claim_id == claim.id]
        assert ids == [
            f"{claim.id}-r1-advocate",
            f"{claim.id}-r1-skeptic",
            f"{claim.id}-r2-advocate",
            f"{claim.id}-r2-skeptic",
            f"{claim.id}-r2-judge",
        ]
    # Every debate turn reached the live view, in its claim's order.
    seen = [e.turn.id for e in events if isinstance(e, TurnTaken)]
    assert sorted(seen) == sorted(t.id for t in report.debate if t.role != "judge")
    assert len([e for e in events if isinstance(e, ClaimRuled)]) == 3
    assert report.rating.label == REPORT["rating"]["label"]
    assert report.meta.rounds == 2
    assert report.meta.usage["advocate"].calls == 6
    assert report.meta.usage["judge"].calls == 1
    assert report.meta.usage["extractor"].input_tokens == 100


def test_skeptic_first_swaps_speaking_order(article):
    report, _ = run(article, scripted_models(), skeptic_first=True)
    ids = [t.id for t in report.debate if t.claim_id == "c1"]
    assert ids[:2] == ["c1-r1-skeptic", "c1-r1-advocate"]


def test_debates_run_concurrently(article):
    models = scripted_models()
    barrier = Barrier(parties=3)
    models.advocate.gate = barrier  # each claim's first advocate call waits for the others
    report, _ = run(article, models, rounds=1)
    assert barrier.max_in_flight == 3
    assert len(report.claims) == 3


def test_max_claims_caps_debates(article):
    report, _ = run(article, scripted_models(), max_claims=2)
    assert [c.id for c in report.claims] == ["c1", "c2"]
    assert {t.claim_id for t in report.debate} == {"c1", "c2"}


def test_debate_stops_early_when_a_round_adds_nothing(article):
    def repeat(messages):
        role = "advocate" if "Role: advocate" in prompt_text(messages) else "skeptic"
        return text_reply(f"The {role} repeats: cycling safety statistics remain uncertain here.")

    report, _ = run(article, scripted_models(debater=repeat), rounds=4)
    ids = [t.id for t in report.debate if t.claim_id == "c1"]
    # Round 2 repeats round 1, so rounds 3 and 4 never happen.
    assert ids == [
        "c1-r1-advocate",
        "c1-r1-skeptic",
        "c1-r2-advocate",
        "c1-r2-skeptic",
        "c1-r2-judge",
    ]


def test_debate_runs_all_rounds_while_points_are_new(article):
    report, _ = run(article, scripted_models(), rounds=3)
    assert [t.round for t in report.debate if t.claim_id == "c2" and t.role == "skeptic"] == [
        1,
        2,
        3,
    ]


def test_verdicts_reach_the_judge_and_the_report(article):
    models = scripted_models(verdicts={"c1": "unsupported", "c2": "supported"})
    report, _ = run(article, models)
    judge_prompt = prompt_text(models.judge.prompts[0])
    assert "[c1] Bike lanes will halve traffic deaths. — verdict: unsupported." in judge_prompt
    assert "[c2] Shops will lose business. — verdict: supported." in judge_prompt
    assert "[c1-r2-skeptic]" in judge_prompt
    assert {c.id: c.verdict for c in report.claims} == {
        "c1": "unsupported",
        "c2": "supported",
        "c3": "contested",
    }
    assert report.claims[0].decisive_point == "Decisive for c1: no data given."


def test_debaters_see_only_a_bounded_window_of_earlier_turns(article):
    models = scripted_models()
    run(article, models, rounds=3)
    last = next(
        p
        for p in models.skeptic.prompts
        if "Role: skeptic, round 3 of 3" in prompt_text(p) and "Claim c1 under" in prompt_text(p)
    )
    text = prompt_text(last)
    assert "[c1-r3-advocate]" in text and "[c1-r2-skeptic]" in text
    assert "[c1-r1-advocate]" not in text  # outside the two-turn window


def test_missing_structured_reply_is_retried_with_the_error(article):
    models = scripted_models()
    models.extractor = ScriptedChatModel(
        [text_reply("Here are the claims!"), tool_reply("ExtractedClaims", {"claims": CLAIM_ARGS})]
    )
    report, _ = run(article, models)
    assert len(models.extractor.prompts) == 2
    repair = prompt_text(models.extractor.prompts[1])
    assert "did not call the function ExtractedClaims" in repair
    assert [c.id for c in report.claims] == ["c1", "c2", "c3"]
    assert report.meta.usage["extractor"].calls == 2


def test_two_missing_structured_replies_fail_clearly(article):
    models = scripted_models()
    models.extractor = ScriptedChatModel([text_reply("no"), text_reply("still no")])
    with pytest.raises(StructuredOutputError) as info:
        run(article, models)
    assert str(info.value).startswith("extractor: invalid structured reply for ExtractedClaims")
    assert len(models.extractor.prompts) == 2


def test_invalid_structured_reply_gets_the_validation_error(article):
    models = scripted_models()
    bad = {**REPORT, "summary": ["only one point"]}
    models.judge = ScriptedChatModel(
        [tool_reply("ReportDraft", bad), tool_reply("ReportDraft", REPORT)]
    )
    report, _ = run(article, models)
    repair = prompt_text(models.judge.prompts[1])
    assert "summary" in repair and "at least 3 items" in repair
    assert '"summary": ["only one point"]' in repair  # its own reply, to be fixed
    assert len(report.summary) == 3


def test_judge_rejects_ids_that_are_not_in_the_debate(article):
    models = scripted_models()
    paragraph = dict(
        REPORT["analysis"][0],
        text="The article leans on one source for its central figure [c9].",
        claim_ids=["c9"],
        turn_ids=[],
    )
    ghost = {**REPORT, "analysis": [paragraph] * 2}
    models.judge = ScriptedChatModel([tool_reply("ReportDraft", ghost)] * 2)
    with pytest.raises(StructuredOutputError, match=r"judge: .*cites no claim.*c9"):
        run(article, models)


def test_judge_keeps_the_known_ids_a_paragraph_cites(article):
    models = scripted_models()
    mixed = dict(
        REPORT["analysis"][0],
        text="The skeptic's point [c2-r1-skeptic] went unanswered by the article at any length.",
        claim_ids=["c1-r1-skeptic", "c7"],
        turn_ids=["c1-r9-advocate"],
    )
    reply = tool_reply("ReportDraft", {**REPORT, "analysis": [mixed] * 2})
    models.judge = ScriptedChatModel([reply])
    report, _ = run(article, models, rounds=1)
    paragraph = report.analysis[0]
    assert paragraph.turn_ids == ["c1-r1-skeptic", "c2-r1-skeptic"]
    assert paragraph.claim_ids == ["c1", "c2"]


CLAIMS = [
    Claim(
        id="c1",
        text="Lanes halve deaths.",
        passage="cut deaths by half",
        verdict="unsupported",
        decisive_point="No data.",
    ),
]
TRANSCRIPT = [
    Turn(id="c1-r1-advocate", claim_id="c1", round=1, role="advocate", content="Cities saw drops."),
    Turn(id="c1-r1-skeptic", claim_id="c1", round=1, role="skeptic", content="Which cities?"),
]


def test_judge_is_a_plain_function_on_a_stored_transcript(article):
    report_args = {
        **REPORT,
        "analysis": [
            {
                "text": "The safety claim has no data behind it at all [c1].",
                "claim_ids": ["c1"],
                "turn_ids": ["c1-r1-skeptic"],
            },
        ]
        * 2,
    }
    model = ScriptedChatModel([tool_reply("ReportDraft", report_args)])
    report = judge(article, CLAIMS, TRANSCRIPT, model)
    assert report.claims == CLAIMS
    assert report.debate == TRANSCRIPT
    assert report.analysis[0].turn_ids == ["c1-r1-skeptic"]
    assert report.meta.usage["judge"].calls == 1
    assert set(report.meta.models) == {"judge"}


def test_judge_async_variant_matches(article):
    report_args = {
        **REPORT,
        "analysis": [
            {
                "text": "The safety claim has no data behind it at all [c1].",
                "claim_ids": ["c1"],
                "turn_ids": [],
            }
        ]
        * 2,
    }
    model = ScriptedChatModel([tool_reply("ReportDraft", report_args)])
    report = asyncio.run(ajudge(article, CLAIMS, TRANSCRIPT, model))
    assert report.rating.label == REPORT["rating"]["label"]


def test_a_turn_that_echoes_the_previous_one_is_asked_for_again(article):
    echoed = "As the advocate in round one, cities with lanes saw fewer deaths overall."

    def skeptic(messages):
        text = prompt_text(messages)
        if "Your first draft repeated an earlier turn" in text:
            return text_reply("The cited cities also cut speed limits, confounding the figures.")
        return text_reply(echoed)

    def advocate(messages):
        return text_reply(echoed)

    models = scripted_models()
    models.advocate = ScriptedChatModel(advocate)
    models.skeptic = ScriptedChatModel(skeptic)
    report, _ = run(article, models, rounds=1, max_claims=2)
    turns = {t.role: t.content for t in report.debate if t.claim_id == "c1"}
    assert turns["skeptic"].startswith("The cited cities also cut speed limits")
    assert len(models.skeptic.prompts) == 4  # two claims, each asked twice
    assert report.meta.usage["skeptic"].calls == 4
    assert report.meta.usage["advocate"].calls == 2


def test_bare_paragraphs_are_grounded_in_the_claim_they_discuss(article):
    models = scripted_models()
    bare = {
        **REPORT,
        "analysis": [
            "Nothing in the article backs the figure that bike lanes halve traffic deaths.",
            "The article never shows that shops lose business; no sales data is quoted.",
        ],
    }
    models.judge = ScriptedChatModel([tool_reply("ReportDraft", bare)])
    report, _ = run(article, models, rounds=1)
    assert [p.claim_ids for p in report.analysis] == [["c1"], ["c2"]]
    assert report.analysis[0].text.startswith("Nothing in the article")
