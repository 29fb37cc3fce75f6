"""Debate turns as moves: each move's yes/no question about the turn's sentence, read against
the run's content-free answers; the turns each one answers, the side check with one more ask,
concessions (scripted models)."""

from __future__ import annotations

import asyncio
import math
from collections import Counter

import pytest

from debate_eval.core.moves import (
    ADVOCATE_MOVES,
    CONCEDE,
    CONTENT_FREE,
    FIXED_TURN,
    MOVE_QUESTIONS,
    SKEPTIC_MOVES,
    chosen_move,
    is_fixed_turn,
    move_scores,
    role_fidelity,
)
from debate_eval.debate.runner import RunOptions, arun_debate
from tests.fakes import (
    QUESTION_MOVES,
    SIDE_ASK,
    ScriptedChatModel,
    checked_sentence,
    checks_sides,
    debater_reply,
    move_asked,
    option_reply,
    picks_evidence,
    prompt_text,
    ruling_reply,
    scripted_models,
    side_answer,
    text_reply,
)

QUESTIONS = QUESTION_MOVES


def run(article, models, **options):
    return asyncio.run(arun_debate(article, models, RunOptions(**options)))


def reads_moves(on_sentence: dict[str, float], on_content_free: dict[str, float]):
    """A debater answering each move question with P(the answer that makes the move): from
    `on_sentence` about an article sentence, from `on_content_free` about the content-free one
    (any other call as picks_evidence does)."""

    def reply(messages):
        if asked := move_asked(messages):
            kind, sentence = asked
            p = (on_content_free if sentence == CONTENT_FREE else on_sentence)[kind]
            makes = MOVE_QUESTIONS[kind].makes
            return option_reply({makes: p, "no" if makes == "yes" else "yes": 1 - p})
        return picks_evidence(debater_reply)(messages)

    return reply


def asked_text(kind: str, sentence: str) -> str:
    """A move question as the debater must be asked it: the question, the sentence in its own
    fence, the question again, the answer's form (its worked examples are in the context)."""
    question = MOVE_QUESTIONS[kind].question
    return (
        f"Question about one sentence: {question}\n\n"
        f"The sentence:\n<sentence>\n{sentence}\n</sentence>\n\n"
        f"{question} Answer as in the worked examples of this question.\n\n"
        "Answer with exactly one of: yes, no."
    )


def worked_examples_block() -> str:
    """Every move question's worked examples, each with its answer, under its question."""
    return "\n\n".join(
        f"Question: {asked.question}\n"
        + "\n".join(f'Sentence: "{text}"\nAnswer: {answer}' for text, answer in asked.examples)
        for asked in MOVE_QUESTIONS.values()
    )


def test_the_move_is_the_one_answered_most_above_its_content_free_answer(article):
    # Loaded wording gets the highest P of all, but the model says it of any sentence (its
    # content-free answer is higher still); one case is said little, yet far above its own.
    # no_source is made by a "no": its P is P(no), equal on both sentences.
    on_sentence = {kind: 0.3 for kind in QUESTIONS["skeptic"]}
    on_content_free = {kind: 0.3 for kind in QUESTIONS["skeptic"]}
    on_sentence |= {"loaded_wording": 0.8, "one_case": 0.35, "no_source": 0.6}
    on_content_free |= {"loaded_wording": 0.9, "one_case": 0.1, "no_source": 0.6}
    assert max(on_sentence, key=on_sentence.__getitem__) == "loaded_wording"
    models = scripted_models()
    models.skeptic = ScriptedChatModel(reads_moves(on_sentence, on_content_free))
    report = run(article, models, rounds=1, max_claims=1)
    skeptic = next(t for t in report.debate if t.role == "skeptic")
    assert skeptic.move == "one_case"
    # The turn keeps each question's P(the answer that makes its move), not a share of a menu.
    assert skeptic.move_probabilities == pytest.approx(on_sentence, abs=1e-3)
    # The sentence is asked for after the move, with the move named.
    text_call = models.skeptic.prompts[-1]
    assert "Reply with that one sentence" in prompt_text(text_call)
    assert f"Your move: {SKEPTIC_MOVES['one_case']}." in prompt_text(text_call)


def test_each_question_is_asked_once_per_turn_of_its_sentence_after_one_content_free_round(
    article,
):
    log: list[tuple[str, tuple[str, str] | None]] = []

    def logged(name, reply):
        def answer(messages):
            log.append((name, move_asked(messages)))
            return reply(messages)

        return answer

    models = scripted_models()
    models.advocate = ScriptedChatModel(logged("advocate", picks_evidence(debater_reply)))
    models.skeptic = ScriptedChatModel(logged("skeptic", picks_evidence(debater_reply)))
    models.claim_judge = ScriptedChatModel(logged("claim_judge", checks_sides(ruling_reply())))
    report = run(article, models, rounds=2, max_claims=2)
    turns = [t for t in report.debate if t.role != "judge"]
    assert len(turns) == 2 * 2 * 2 and all(t.evidence for t in turns)

    # Once per run, not per claim: each role's questions about the content-free sentence, on
    # its own model, before any other call of the debaters or the claim judge.
    content_free = [(name, a[0]) for name, a in log if a and a[1] == CONTENT_FREE]
    assert Counter(content_free) == Counter(
        (role, kind) for role, kinds in QUESTIONS.items() for kind in kinds
    )
    assert all(a and a[1] == CONTENT_FREE for _, a in log[: len(content_free)])
    # Once per turn: each of its role's questions about the sentence the turn argues from.
    about_turns = [(name, *a) for name, a in log if a and a[1] != CONTENT_FREE]
    assert Counter(about_turns) == Counter(
        (t.role, kind, t.evidence.text) for t in turns for kind in QUESTIONS[t.role]
    )
    # Each asked alone, after the shared context: the article, then every question's worked
    # examples, the same system message for every call of the debate (one cached prefix).
    systems = set()
    for role in ("advocate", "skeptic", "claim_judge"):
        for messages in getattr(models, role).prompts:
            if "<claim" in str(messages[-1].content) or move_asked(messages):
                systems.add(messages[0].content)
            if asked := move_asked(messages):
                system, question = messages
                assert question.content == asked_text(*asked)
    (system,) = systems
    fenced = f"<article>\n{article}\n</article>"
    assert fenced in system and system.endswith(worked_examples_block())
    assert system.index(fenced) < system.index(worked_examples_block())


def test_a_skeptic_whose_sentence_makes_no_move_above_its_baseline_concedes(article):
    # Every question answered less of the sentence than of the content-free one.
    models = scripted_models()
    models.skeptic = ScriptedChatModel(
        reads_moves(
            {kind: 0.4 for kind in QUESTIONS["skeptic"]},
            {kind: 0.5 for kind in QUESTIONS["skeptic"]},
        )
    )
    report = run(article, models, rounds=3, max_claims=1)
    debaters = [t for t in report.debate if t.role != "judge"]
    # The concession ends the debate: no second round of the three.
    assert [(t.id, t.move) for t in debaters] == [
        ("c1-r1-advocate", "direct_evidence"),
        ("c1-r1-skeptic", "concede"),
    ]
    assert debaters[1].move_probabilities == pytest.approx(
        {kind: 0.4 for kind in QUESTIONS["skeptic"]}, abs=1e-3
    )
    assert debaters[1].argues_for is None and not debaters[1].off_side
    side_checks = [p for p in models.claim_judge.prompts if SIDE_ASK in prompt_text(p)]
    # The claim's content-free sentence, then the advocate's sentence alone, each asked in
    # both orders.
    assert [checked_sentence(p) for p in side_checks] == [CONTENT_FREE] * 2 + [
        debaters[0].content
    ] * 2
    # The concession's sentence is asked for as one.
    assert "You concede this point on claim c1" in prompt_text(models.skeptic.prompts[-1])


def test_a_move_scores_its_log_odds_above_its_content_free_answer():
    scores = move_scores({"one_case": 0.75, "mechanism": 0.2}, {"one_case": 0.5, "mechanism": 0.2})
    assert scores == pytest.approx({"one_case": math.log(3), "mechanism": 0.0})
    # A move with no content-free answer is read against an even one (0.5).
    assert move_scores({"one_case": 0.8}, {}) == pytest.approx({"one_case": math.log(4)})
    assert move_scores({"one_case": 0.2}, {"mechanism": 0.9}) == pytest.approx(
        {"one_case": -math.log(4)}
    )
    # Certain answers stay finite.
    assert all(math.isfinite(s) for s in move_scores({"a": 1.0, "b": 0.0}, {"a": 0.0}).values())


def test_the_chosen_move_is_the_highest_score_and_a_concession_when_none_is_above_zero():
    # The highest score wins, not the highest P.
    assert chosen_move({"a": 0.9, "b": 0.4}, {"a": 0.95, "b": 0.1}) == "b"
    # A tie goes to the earlier move, whichever that is.
    assert chosen_move({"a": 0.6, "b": 0.6}, {"a": 0.3, "b": 0.3}) == "a"
    assert chosen_move({"b": 0.6, "a": 0.6}, {"a": 0.3, "b": 0.3}) == "b"
    # Nothing above the content-free answer (equal is not above): a concession.
    assert chosen_move({"a": 0.3, "b": 0.5}, {"a": 0.3, "b": 0.5}) == CONCEDE
    assert chosen_move({"a": 0.2, "b": 0.1}, {"a": 0.3, "b": 0.5}) == CONCEDE
    assert chosen_move({}, {}) == CONCEDE
    # A missing content-free answer counts as 0.5: above it makes the move, below concedes.
    assert chosen_move({"a": 0.55}, {}) == "a"
    assert chosen_move({"a": 0.45}, {}) == CONCEDE


def test_every_move_but_the_concession_has_its_question_with_worked_examples():
    for role, moves in (("advocate", ADVOCATE_MOVES), ("skeptic", SKEPTIC_MOVES)):
        assert [kind for kind in moves if kind != CONCEDE] == list(QUESTIONS[role])
        assert CONCEDE in moves
    assert set(MOVE_QUESTIONS) == {kind for kinds in QUESTIONS.values() for kind in kinds}
    for asked in MOVE_QUESTIONS.values():
        assert asked.makes in ("yes", "no")
        # Two made-up sentences of each answer.
        assert sorted(answer for _, answer in asked.examples) == ["no", "no", "yes", "yes"]


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
            if SIDE_ASK in prompt_text(messages):
                sentence = checked_sentence(messages)
                if "skeptic" in sentence or sentence.startswith("retried"):
                    seen.append(sentence)
                    agrees = agrees_each_time or not sentence.startswith("retried")
                    return side_answer(messages, 0.8 if agrees else 0.1)
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
        # The draft and the retry, each checked in both orders.
        assert len(retries) == 1 and len(seen) == 4
        assert "You argue AGAINST claim c1" in prompt_text(retries[0])
        assert turn.content.startswith("retried")
        assert turn.off_side is stubborn
        assert turn.argues_for == (0.8 if stubborn else pytest.approx(0.1))
        # One advocate turn on its side; the skeptic's counts against fidelity when it stays.
        assert report.meta.role_fidelity == (0.5 if stubborn else 1.0)
        # The rewrite is the skeptic's call, the side checks the claim judge's: each role is
        # billed for the calls its own model answered.
        usage = report.meta.usage
        assert usage["skeptic"].calls == len(models.skeptic.prompts)
        assert usage["claim_judge"].calls == len(models.claim_judge.prompts)


def _copying_skeptic(copy_draft: bool):
    """An advocate whose turn is two sentences, and a skeptic whose side rewrite (and, with
    `copy_draft`, its draft and echo retry too) copies that turn word for word."""
    said: list[str] = []

    def advocate(messages):
        reply = debater_reply(messages)
        said.append(f"The advocate's opening sentence stands alone. {reply.content}")
        return text_reply(said[-1])

    def skeptic(messages):
        text = prompt_text(messages)
        if copy_draft or "argued the other side" in text:
            return text_reply(said[-1])
        return debater_reply(messages)

    return picks_evidence(advocate), picks_evidence(skeptic), said


def test_a_side_rewrite_that_copies_a_turn_is_dropped_and_the_draft_kept_marked(article):
    def judge(messages):
        if SIDE_ASK in prompt_text(messages):
            sentence = checked_sentence(messages)
            if sentence == CONTENT_FREE:
                return side_answer(messages, 0.5)
            # Every skeptic draft reads as arguing for the claim.
            return side_answer(messages, 0.9 if "advocate" in sentence.lower() else 0.8)
        return ruling_reply()(messages)

    advocate, skeptic, said = _copying_skeptic(copy_draft=False)
    models = scripted_models()
    models.advocate = ScriptedChatModel(advocate)
    models.skeptic = ScriptedChatModel(skeptic)
    models.claim_judge = ScriptedChatModel(judge)
    report = run(article, models, rounds=1, max_claims=1)
    turn = next(t for t in report.debate if t.role == "skeptic")
    retry = next(p for p in models.skeptic.prompts if "argued the other side" in prompt_text(p))
    # The rewrite was shown the advocate's turn cut to its first sentence, yet copied it: the
    # draft stands, marked off side with its own P; the copy is never side-checked.
    assert "The advocate's opening sentence stands alone." in prompt_text(retry)
    assert said[0] not in prompt_text(retry)
    assert turn.content.startswith("skeptic on c1, round 1:")
    assert turn.off_side is True and turn.argues_for == pytest.approx(0.8)
    checked = [
        checked_sentence(p) for p in models.claim_judge.prompts if SIDE_ASK in prompt_text(p)
    ]
    assert checked.count(said[0]) == 2  # the advocate's own turn, in both orders


def test_a_turn_whose_retry_still_copies_is_its_move_and_sentence(article):
    advocate, skeptic, said = _copying_skeptic(copy_draft=True)
    models = scripted_models()
    models.advocate = ScriptedChatModel(advocate)
    models.skeptic = ScriptedChatModel(skeptic)
    report = run(article, models, rounds=1, max_claims=1)
    turn = next(t for t in report.debate if t.role == "skeptic")
    echo_retries = [
        p for p in models.skeptic.prompts if "repeated an earlier turn" in prompt_text(p)
    ]
    assert len(echo_retries) == 1
    # Draft and retry both copied the advocate: the turn keeps its move and sentence alone,
    # quotes nothing, and has no words of its own to side-check.
    assert turn.content == FIXED_TURN and is_fixed_turn(turn)
    assert turn.move in SKEPTIC_MOVES and turn.evidence.verified
    assert turn.quotes == [] and turn.argues_for is None and not turn.off_side
    # Nothing the skeptic said was side-checked: only the advocate's turn and the baseline.
    checked = {
        checked_sentence(p) for p in models.claim_judge.prompts if SIDE_ASK in prompt_text(p)
    }
    assert checked == {CONTENT_FREE, said[0]}


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


def test_a_turn_is_fixed_only_when_a_debater_is_left_with_its_move_alone():
    from debate_eval.core.schemas import Turn

    def turn(role, content, move="no_source"):
        return Turn(
            id=f"c1-r1-{role}", claim_id="c1", round=1, role=role, content=content, move=move
        )

    assert is_fixed_turn(turn("skeptic", FIXED_TURN))
    assert is_fixed_turn(turn("advocate", FIXED_TURN, move="a move of an older menu"))
    assert not is_fixed_turn(turn("skeptic", "The figure has no source."))
    assert not is_fixed_turn(turn("judge", FIXED_TURN, move=None))


def test_a_retry_is_sampled_warmer_than_the_run_with_its_models_seed():
    from langchain_openai import ChatOpenAI

    from debate_eval.debate.agents.debater import retry_sampling

    def model(**sampling):
        return ChatOpenAI(model="m", api_key="k", base_url="http://127.0.0.1:9/v1", **sampling)

    # An eval's repeat seeds its models: its retries differ between repeats.
    assert retry_sampling(model(temperature=0.0, seed=3)) == {"temperature": 0.7, "seed": 3}
    assert retry_sampling(model(temperature=0.9)) == {"temperature": 0.9, "seed": 7}


def test_a_round_of_turns_left_with_their_move_alone_adds_no_new_point():
    from debate_eval.core.schemas import Turn
    from debate_eval.debate.graph.routing import round_adds_new_point

    def turn(role, round_, content):
        return Turn(
            id=f"c1-r{round_}-{role}", claim_id="c1", round=round_, role=role, content=content
        )

    turns = [
        turn("advocate", 1, "The council cites a study of forty cities."),
        turn("skeptic", 1, "The study is not named anywhere in the piece."),
        turn("advocate", 2, FIXED_TURN),
        turn("skeptic", 2, FIXED_TURN),
    ]
    assert not round_adds_new_point(turns, 2)
    turns[3] = turn("skeptic", 2, "Nobody who opposes the lanes is quoted.")
    assert round_adds_new_point(turns, 2)
