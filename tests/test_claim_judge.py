"""The claim judge node with a scripted model: probes, the decisive move, the point, the verdict."""

from __future__ import annotations

import asyncio

import pytest
from langchain_core.messages import AIMessage, SystemMessage
from langgraph.runtime import Runtime

from debate_eval.core.quotes import Quote
from debate_eval.core.schemas import Claim, ClaimRuling, Turn
from debate_eval.debate.agents.claim_judge import claim_judge
from debate_eval.debate.agents.judge.node import claims_with_rulings
from debate_eval.debate.state import DebateContext
from tests.fakes import (
    DECISIVE_ASK,
    PROBE_ASK,
    VERDICT_ASK,
    Barrier,
    ScriptedChatModel,
    offered,
    option_reply,
    ruling_reply,
    scripted_models,
)

CLAIM = Claim(
    id="c1",
    text="Bike lanes will halve traffic deaths.",
    passage="Supporters say it will cut traffic deaths by half within five years.",
)
HALF = "Supporters say it will cut traffic deaths by half within five years."
GRANT = "The mayor said the funding comes from a federal grant."
CLAIM_TEXT = (
    'Claim c1 under debate:\n<claim id="c1">\nBike lanes will halve traffic deaths.\n</claim>\n'
    f"<passage>\n{HALF}\n</passage>"
)
ADVOCATE = Turn(
    id="c1-r1-advocate",
    claim_id="c1",
    round=1,
    role="advocate",
    content="Supporters of the plan stand behind the halving figure in public.",
    evidence=Quote(text=HALF, verified=True),
    move="quoted_expert",
)
SKEPTIC = Turn(
    id="c1-r1-skeptic",
    claim_id="c1",
    round=1,
    role="skeptic",
    content="Nobody names a study or a city where deaths fell by half after new lanes.",
    evidence=Quote(text=HALF, verified=True),
    move="no_source",
)
# A judge's turn in the state is a ruling, never offered as a move.
EARLIER_RULING = Turn(
    id="c1-r1-judge", claim_id="c1", round=1, role="judge", content="Verdict: contested. Unclear."
)
ADVOCATE_LINE = (
    f"[c1-r1-advocate] Advocate; move: a participant or expert quoted; evidence: “{HALF}”; "
    "says: Supporters of the plan stand behind the halving figure in public."
)
SKEPTIC_LINE = (
    f"[c1-r1-skeptic] Skeptic; move: no named source or evidence; evidence: “{HALF}”; "
    "says: Nobody names a study or a city where deaths fell by half after new lanes."
)


def judge_claim(article: str, reply, turns: list[Turn], gate=None):
    models = scripted_models()
    models.claim_judge = ScriptedChatModel(reply)
    models.claim_judge.gate = gate
    state = {"article": article, "claim": CLAIM, "turns": turns, "rounds": 2}
    runtime = Runtime(context=DebateContext(models=models))
    out = asyncio.run(claim_judge(state, runtime))
    return out, models.claim_judge.prompts


def calls_asking(prompts, marker: str) -> list[list]:
    return [p for p in prompts if marker in str(p[-1].content)]


def text_calls(prompts) -> list[list]:
    return [p for p in prompts if "Answer with exactly one of:" not in str(p[-1].content)]


def test_three_probes_are_asked_about_the_claim_with_the_article_first(article):
    reply = ruling_reply(probe_yes={"evidence": 0.81237, "view_against": 0.1})
    out, prompts = judge_claim(article, reply, [ADVOCATE, SKEPTIC])
    probes = calls_asking(prompts, PROBE_ASK)
    assert sorted(p[-1].content for p in probes) == sorted(
        f"{CLAIM_TEXT}\n\nQuestion about claim c1: {question}\n\n"
        "Answer with exactly one of: yes, no."
        for question in (
            "Does the article give evidence for this claim (data, a named source, a document)?",
            "Does the article mention a view against this claim?",
            "Is this claim an opinion or a prediction stated as fact?",
        )
    )
    # The article is the first, identical message of every call (a shared prefix).
    first = {p[0].content for p in prompts}
    assert len(first) == 1 and isinstance(prompts[0][0], SystemMessage)
    assert article in first.pop()
    ruling = out["rulings"]["c1"]
    assert ruling.probes == {"evidence": 0.8124, "view_against": 0.1, "opinion_as_fact": 0.7}


def test_the_verdict_is_asked_after_the_point_with_the_probe_answers(article):
    reply = ruling_reply({"c1": "unsupported"}, probe_yes={"evidence": 0.2, "view_against": 0.6})
    out, prompts = judge_claim(article, reply, [ADVOCATE, SKEPTIC])
    verdicts = calls_asking(prompts, VERDICT_ASK)
    for verdict in verdicts:
        assert verdict[-2] == AIMessage(content="Decisive for c1: no data given.")
        assert verdict[-1].content.startswith(
            "What the article shows for claim c1:\n"
            "Evidence in the article: no (P=0.20)\n"
            "A view against it in the article: yes (P=0.60)\n"
            "An opinion or prediction stated as fact: yes (P=0.70)\n\n"
            "Which verdict fits claim c1, given the debate, the decisive point and these answers?\n"
            "A. "
        )
        assert verdict[-1].content.endswith("Answer with exactly one of: A, B, C.")
    # Three calls, the verdicts rotated: each one offered once under each letter.
    assert [[v for _, v in offered(str(c[-1].content))] for c in verdicts] == [
        ["supported", "contested", "unsupported"],
        ["contested", "unsupported", "supported"],
        ["unsupported", "supported", "contested"],
    ]
    assert "C. unsupported: the article asserts it with little or no evidence" in str(
        verdicts[0][-1].content
    )
    ruling = out["rulings"]["c1"]
    assert ruling.verdict == "unsupported"
    assert ruling.probabilities == {"supported": 0.1, "contested": 0.1, "unsupported": 0.8}
    (turn,) = out["turns"]
    assert (turn.id, turn.role) == ("c1-r1-judge", "judge")
    assert turn.content == "Verdict: unsupported. Decisive for c1: no data given."
    # Probes (3) and the pick in both orders (2), then the point, then the verdict (3 orders).
    assert len(prompts) == 9 and out["usage"]["claim_judge"].calls == 9
    assert prompts[-3:] == verdicts and prompts[-4] == text_calls(prompts)[0]


def test_a_preference_for_a_letter_is_averaged_out_of_the_verdict(article):
    """A judge that gives the first letter half its probability whatever it offers, and leans
    to "contested" with the rest: one order would rule "supported"; the three rule "contested"."""

    def reply(messages):
        last = str(messages[-1].content)
        if VERDICT_ASK not in last:
            return ruling_reply()(messages)
        letters = offered(last)
        rest = [v for k, v in letters if k != "A"]
        lean = {
            v: (0.3 if v == "contested" else 0.2) if "contested" in rest else 0.25 for v in rest
        }
        return option_reply({k: 0.5 if k == "A" else lean[v] for k, v in letters})

    out, _ = judge_claim(article, reply, [ADVOCATE, SKEPTIC])
    ruling = out["rulings"]["c1"]
    assert ruling.verdict == "contested"
    assert ruling.probabilities == pytest.approx(
        {"supported": 0.95 / 3, "contested": 1.1 / 3, "unsupported": 0.95 / 3}, abs=1e-5
    )


def test_the_decisive_move_is_offered_in_both_orders_and_excludes_judge_turns(article):
    out, prompts = judge_claim(article, ruling_reply(), [ADVOCATE, SKEPTIC, EARLIER_RULING])
    picks = calls_asking(prompts, DECISIVE_ASK)
    fenced = {
        f"<debate>\nA. {ADVOCATE_LINE}\nB. {SKEPTIC_LINE}\n</debate>",
        f"<debate>\nA. {SKEPTIC_LINE}\nB. {ADVOCATE_LINE}\n</debate>",
    }
    assert {p[-1].content for p in picks} == {
        f"{CLAIM_TEXT}\n\nThe debaters' moves on this claim, each with a letter:\n{block}\n\n"
        "Role: claim judge. The debate on claim c1 is over. Which one of these moves decided "
        "it: the move your verdict on claim c1 rests on?\n\nAnswer with exactly one of: A, B."
        for block in fenced
    }
    assert out["rulings"]["c1"].decisive_turn == "c1-r1-skeptic"
    # The point's prompt opens as the forward pick's did (its cached prefix), then names the
    # picked move by its name and turn id; judge turns are not moves.
    (point,) = text_calls(prompts)
    forward = next(p for p in picks if f"A. {ADVOCATE_LINE}" in p[-1].content)
    opening = forward[-1].content.split("\n\nRole: claim judge.")[0]
    assert point[-1].content == (
        f"{opening}\n\nThe move that decided it: no named source or evidence "
        "(c1-r1-skeptic)\n\nRole: claim judge. The debate on claim c1 is over. In one or two "
        "sentences of your own, say why this move decides claim c1, naming the move. Do not "
        "copy any turn.\n\nReply with those sentences only."
    )
    assert point[0] == forward[0]


def test_the_decisive_move_follows_the_turn_over_the_letters(article):
    later = [
        t.model_copy(update={"id": t.id.replace("r1", "r2"), "round": 2, "content": c})
        for t, c in (
            (ADVOCATE, "The grant pays for lanes like those that cut deaths elsewhere."),
            (SKEPTIC, "The elsewhere is never named, so the halving stays a promise."),
        )
    ]
    turns = [ADVOCATE, SKEPTIC, *later]
    # Each order's letter probabilities, A first. A model partial to the letter A would pick
    # c1-r1-advocate in one order and c1-r2-skeptic in the other; averaged over the two orders,
    # c1-r2-advocate (C as offered, B reversed) is the most probable turn.
    forward = {"A": 0.4, "B": 0.05, "C": 0.35, "D": 0.2}
    backward = {"A": 0.4, "B": 0.35, "C": 0.05, "D": 0.2}
    base = ruling_reply()

    def reply(messages):
        last = str(messages[-1].content)
        if DECISIVE_ASK in last:
            return option_reply(forward if "A. [c1-r1-advocate]" in last else backward)
        return base(messages)

    out, prompts = judge_claim(article, reply, turns)
    assert len(calls_asking(prompts, DECISIVE_ASK)) == 2
    assert out["rulings"]["c1"].decisive_turn == "c1-r2-advocate"


def test_a_single_debater_turn_is_decisive_without_a_pick(article):
    out, prompts = judge_claim(article, ruling_reply(), [ADVOCATE, EARLIER_RULING])
    assert calls_asking(prompts, DECISIVE_ASK) == []
    assert len(prompts) == 7  # three probes, the point, the verdict in three orders
    assert out["rulings"]["c1"].decisive_turn == "c1-r1-advocate"


def test_probes_and_the_pick_are_in_flight_together(article):
    gate = Barrier(5, timeout=2.0)
    out, _ = judge_claim(article, ruling_reply(), [ADVOCATE, SKEPTIC], gate=gate)
    assert gate.max_in_flight == 5
    assert out["rulings"]["c1"].decisive_turn == "c1-r1-skeptic"


OWN_WORDS = "The halving figure rests on supporters alone, so the missing source decides it."


@pytest.mark.parametrize(
    ("replies", "evidence", "expected"),
    [
        # Copied twice: the move's fixed form, with its evidence sentence.
        (
            [SKEPTIC.content, SKEPTIC.content],
            HALF,
            f"no named source or evidence (c1-r1-skeptic): “{HALF}”",
        ),
        # Without an evidence sentence, the fixed form has none.
        ([SKEPTIC.content, ADVOCATE.content], None, "no named source or evidence (c1-r1-skeptic)"),
        # Copied once, then its own words: those are kept.
        ([SKEPTIC.content, OWN_WORDS], HALF, OWN_WORDS),
    ],
    ids=["copied twice", "copied twice, no evidence sentence", "own words when asked again"],
)
def test_a_point_that_copies_a_turn_is_asked_again_then_replaced(
    article, replies, evidence, expected
):
    skeptic = SKEPTIC.model_copy(
        update={"evidence": Quote(text=evidence, verified=True) if evidence else None}
    )
    answers = iter(replies)
    reply = ruling_reply(point=lambda messages: next(answers))
    out, prompts = judge_claim(article, reply, [ADVOCATE, skeptic])
    first, retry = text_calls(prompts)
    assert retry[:-2] == first
    assert retry[-2] == AIMessage(content=SKEPTIC.content)
    assert retry[-1].content == (
        "Your reply copied turn c1-r1-skeptic. Write in your own words, in one or two "
        "sentences, why the move decides the claim, naming the move.\n\n"
        "Reply with those sentences only."
    )
    assert out["rulings"]["c1"].decisive_point == expected
    assert out["turns"][0].content == f"Verdict: contested. {expected}"
    assert all(v[-2] == AIMessage(content=expected) for v in calls_asking(prompts, VERDICT_ASK))


def test_a_point_in_own_words_is_asked_once(article):
    out, prompts = judge_claim(
        article, ruling_reply(point=lambda m: OWN_WORDS), [ADVOCATE, SKEPTIC]
    )
    assert len(text_calls(prompts)) == 1
    assert out["rulings"]["c1"].decisive_point == OWN_WORDS


def test_a_point_restating_the_claim_beside_a_turn_that_does_is_kept(article):
    """Restating the claim both argue about is not copying the turn: no second ask."""
    restating = SKEPTIC.model_copy(
        update={"content": "No: bike lanes will halve traffic deaths, it says."}
    )
    point = "Yes: bike lanes will halve traffic deaths, as shown."
    out, prompts = judge_claim(article, ruling_reply(point=lambda m: point), [ADVOCATE, restating])
    assert len(text_calls(prompts)) == 1
    assert out["rulings"]["c1"].decisive_point == point


def test_a_point_too_short_to_use_is_replaced_by_the_moves_form(article):
    out, prompts = judge_claim(article, ruling_reply(point=lambda m: "Yes."), [ADVOCATE, SKEPTIC])
    assert len(text_calls(prompts)) == 1
    assert out["rulings"]["c1"].decisive_point == (
        f"no named source or evidence (c1-r1-skeptic): “{HALF}”"
    )


def test_claims_carry_the_rulings_probes_and_decisive_turn():
    ruling = ClaimRuling(
        decisive_point="The missing source decides it.",
        verdict="unsupported",
        probabilities={"supported": 0.1, "contested": 0.2, "unsupported": 0.7},
        probes={"evidence": 0.2, "view_against": 0.4, "opinion_as_fact": 0.9},
        decisive_turn="c1-r1-skeptic",
    )
    other = CLAIM.model_copy(update={"id": "c2"})
    claims = claims_with_rulings({"claims": [CLAIM, other], "rulings": {"c1": ruling}})
    assert claims[0].probes == {"evidence": 0.2, "view_against": 0.4, "opinion_as_fact": 0.9}
    assert claims[0].decisive_turn == "c1-r1-skeptic"
    assert claims[0].verdict == "unsupported"
    assert claims[1] == other
