"""Debate turns as moves: the kind picked by letter in both orders, the turns each one answers,
the side check with one more ask, concessions (scripted models)."""

from __future__ import annotations

import asyncio
import re

import pytest

from debate_eval.core.moves import ADVOCATE_MOVES, SKEPTIC_MOVES, role_fidelity
from debate_eval.debate.runner import RunOptions, arun_debate
from tests.fakes import (
    SIDE_ASK,
    ScriptedChatModel,
    checks_sides,
    debater_reply,
    move_letters,
    option_reply,
    picks_evidence,
    prompt_text,
    ruling_reply,
    scripted_models,
    text_reply,
)


def run(article, models, **options):
    return asyncio.run(arun_debate(article, models, RunOptions(**options)))


def offered_moves(messages) -> dict[str, str]:
    """Letter → move label, as a move call lists them."""
    block = re.search(r"<moves>\n(.*?)\n</moves>", prompt_text(messages), re.DOTALL).group(1)
    return dict(line.split(". ", 1) for line in block.splitlines())


def prefers(label: str, p: float = 0.6):
    """A debater whose move calls put `p` on `label` wherever it stands (the rest spread)."""

    def reply(messages):
        if letters := move_letters(messages):
            moves = offered_moves(messages)
            rest = (1 - p) / (len(letters) - 1)
            return option_reply({x: p if moves[x] == label else rest for x in letters})
        return picks_evidence(debater_reply)(messages)

    return reply


def test_the_move_is_read_from_its_letter_in_both_orders(article):
    models = scripted_models()
    models.skeptic = ScriptedChatModel(prefers(SKEPTIC_MOVES["view_left_out"]))
    report = run(article, models, rounds=1, max_claims=1)
    skeptic = next(t for t in report.debate if t.role == "skeptic")
    assert skeptic.move == "view_left_out"
    # Asked with the menu in order, then reversed: the same label gets the same share both
    # times, so the average is p; the others share the rest.
    assert skeptic.move_probabilities["view_left_out"] == pytest.approx(0.6, abs=1e-3)
    assert sum(skeptic.move_probabilities.values()) == pytest.approx(1.0, abs=1e-3)
    calls = [p for p in models.skeptic.prompts if move_letters(p)]
    assert [list(offered_moves(c).values()) for c in calls] == [
        list(SKEPTIC_MOVES.values()),
        list(SKEPTIC_MOVES.values())[::-1],
    ]
    # The sentence is asked for after the move, with the move named.
    text_call = models.skeptic.prompts[-1]
    assert "Your move: a view against it left out." in prompt_text(text_call)


def test_the_opener_is_not_offered_an_answer_to_a_point_not_yet_made(article):
    models = scripted_models()
    run(article, models, rounds=2, max_claims=1)
    menus = [list(offered_moves(p).values()) for p in models.advocate.prompts if move_letters(p)]
    answer = ADVOCATE_MOVES["answered"]
    # Round 1 (both orders): the skeptic has not spoken; round 2: it has.
    assert [answer in menu for menu in menus] == [False, False, True, True]
    assert len(menus[0]) == len(ADVOCATE_MOVES) - 1


def test_each_turn_sees_the_turns_it_answers(article):
    models = scripted_models()
    report = run(article, models, rounds=2, max_claims=1)
    turns = {t.id: t for t in report.debate}
    text_calls = {
        role: [
            p
            for p in getattr(models, role).prompts
            if "Reply with that one sentence" in prompt_text(p)
        ]
        for role in ("advocate", "skeptic")
    }
    opener, advocate_r2 = text_calls["advocate"]
    skeptic_r1, _ = text_calls["skeptic"]
    assert "(nothing yet: you open the debate)" in prompt_text(opener)
    # The skeptic's first turn answers the advocate's, shown with its move and sentence.
    first = turns["c1-r1-advocate"]
    assert f"[c1-r1-advocate] Advocate (move: {ADVOCATE_MOVES['direct_evidence']})" in (
        prompt_text(skeptic_r1)
    )
    assert first.content in prompt_text(skeptic_r1)
    # The advocate's second turn has the skeptic's first in front of it: it cannot say the
    # skeptic has not spoken.
    answered = turns["c1-r1-skeptic"]
    assert f"[c1-r1-skeptic] Skeptic (move: {SKEPTIC_MOVES['no_source']})" in prompt_text(
        advocate_r2
    )
    assert answered.content in prompt_text(advocate_r2)
    assert "you open the debate" not in prompt_text(advocate_r2)


def test_a_turn_on_the_wrong_side_is_asked_once_more_then_kept_and_marked(article):
    def judge(agrees_each_time: bool):
        """A claim judge whose side check finds every skeptic turn arguing for the claim
        (agrees_each_time), or only its first draft of each turn."""
        seen: list[str] = []

        def reply(messages):
            text = prompt_text(messages)
            if SIDE_ASK in text and "] Skeptic" in text:
                seen.append(text)
                if agrees_each_time or "retried" not in text:
                    return option_reply({"yes": 0.8, "no": 0.2})
            return checks_sides(ruling_reply())(messages)

        return reply, seen

    def skeptic(messages):
        if "Your first draft argued the other side" in prompt_text(messages):
            return text_reply("retried: the sentence names no study behind the figure.")
        return picks_evidence(debater_reply)(messages)

    for stubborn in (True, False):
        reply, seen = judge(stubborn)
        models = scripted_models()
        models.claim_judge = ScriptedChatModel(reply)
        models.skeptic = ScriptedChatModel(skeptic)
        report = run(article, models, rounds=1, max_claims=1)
        turn = next(t for t in report.debate if t.role == "skeptic")
        retries = [p for p in models.skeptic.prompts if "argued the other side" in prompt_text(p)]
        assert len(retries) == 1 and len(seen) == 2
        assert "You argue AGAINST claim c1" in prompt_text(retries[0])
        assert turn.content.startswith("retried")
        assert turn.off_side is stubborn
        assert turn.argues_for == (0.8 if stubborn else pytest.approx(0.1))
        # One advocate turn on its side; the skeptic's counts against fidelity when it stays.
        assert report.meta.role_fidelity == (0.5 if stubborn else 1.0)


def test_a_concession_is_not_side_checked_and_ends_the_debate(article):
    models = scripted_models()
    models.skeptic = ScriptedChatModel(prefers(SKEPTIC_MOVES["concede"], p=0.9))
    report = run(article, models, rounds=3, max_claims=1)
    debaters = [t for t in report.debate if t.role != "judge"]
    assert [(t.id, t.move) for t in debaters] == [
        ("c1-r1-advocate", "direct_evidence"),
        ("c1-r1-skeptic", "concede"),
    ]
    assert debaters[1].argues_for is None and not debaters[1].off_side
    side_checks = [p for p in models.claim_judge.prompts if SIDE_ASK in prompt_text(p)]
    assert len(side_checks) == 1 and "] Advocate" in prompt_text(side_checks[0])
    # The concession's sentence is asked for as one.
    assert "You concede this point on claim c1" in prompt_text(models.skeptic.prompts[-1])


def test_role_fidelity_counts_checked_turns_on_their_side():
    from debate_eval.core.schemas import Turn

    def turn(role, p, move="no_source"):
        return Turn(
            id=f"c1-r1-{role}",
            claim_id="c1",
            round=1,
            role=role,
            content="x",
            move=move,
            argues_for=p,
        )

    turns = [
        turn("advocate", 0.9, "direct_evidence"),
        turn("advocate", 0.2, "direct_evidence"),
        turn("skeptic", 0.1),
        turn("skeptic", 0.7),
        turn("skeptic", 0.95, "concede"),  # a concession is never off side
        turn("skeptic", None),  # not checked
    ]
    assert role_fidelity(turns) == 0.5
    assert role_fidelity(turns[4:]) is None
