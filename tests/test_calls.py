"""Structured output as JSON in a plain-text reply (the embedded backend's default)."""

from __future__ import annotations

import asyncio
import json

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from debate_eval.core.errors import StructuredOutputError
from debate_eval.core.schemas import ClaimRuling
from debate_eval.core.sentences import fit_length, trim_to_sentence
from debate_eval.models.calls import ask_structured, ask_text, parse_json_reply
from tests.fakes import ScriptedChatModel, text_reply

RULING = {"verdict": "contested", "decisive_point": "The skeptic showed the figure is unsourced."}
PROMPT = [HumanMessage(content="Rule on claim c1.")]


def ask(model, **kwargs):
    return asyncio.run(
        ask_structured(model, PROMPT, ClaimRuling, role="claim_judge", method="json_text", **kwargs)
    )


@pytest.mark.parametrize(
    "reply",
    [
        json.dumps(RULING),
        f"Here is my ruling:\n```json\n{json.dumps(RULING, indent=2)}\n```",
        f"```\n{json.dumps(RULING)}\n```\nHope this helps.",
    ],
)
def test_json_is_read_from_bare_or_fenced_text(reply):
    assert parse_json_reply(reply, ClaimRuling) == ClaimRuling(**RULING)


def test_json_with_unescaped_quotes_from_the_article_is_mended():
    reply = (
        '{"decisive_point": "The mayor said "it works" with no data.", "verdict": "unsupported"}'
    )
    ruling = parse_json_reply(reply, ClaimRuling)
    assert ruling.verdict == "unsupported"
    assert ruling.decisive_point == 'The mayor said "it works" with no data.'


def test_json_text_puts_the_schema_in_the_prompt_and_counts_usage():
    model = ScriptedChatModel([text_reply(json.dumps(RULING), usage=(300, 40))])
    ruling, usage = ask(model)
    assert ruling.verdict == "contested"
    sent = model.prompts[0]
    assert sent[0].content == "Rule on claim c1."
    assert "JSON Schema:" in sent[-1].content and '"decisive_point"' in sent[-1].content
    assert (usage.calls, usage.input_tokens, usage.output_tokens) == (1, 300, 40)


def test_unparseable_json_gets_one_repair_retry_naming_the_error():
    model = ScriptedChatModel(
        [text_reply("I think it is contested."), text_reply(json.dumps(RULING))]
    )
    ruling, usage = ask(model)
    assert ruling.decisive_point.startswith("The skeptic")
    repair = model.prompts[1][-1].content
    assert repair.startswith("Your previous reply could not be used:")
    # The model is shown its own reply, so it can fix it.
    assert model.prompts[1][-2].content == "I think it is contested."
    assert "ClaimRuling" in repair
    assert usage.calls == 2


def test_json_that_breaks_the_schema_fails_after_the_retry():
    bad = json.dumps({"verdict": "maybe", "decisive_point": "x"})
    model = ScriptedChatModel([text_reply(bad), text_reply(bad)])
    with pytest.raises(StructuredOutputError) as info:
        ask(model)
    message = str(info.value)
    assert message.startswith("claim_judge: invalid structured reply for ClaimRuling after a retry")
    assert "verdict" in message
    assert len(model.prompts) == 2


def test_unknown_method_names_the_allowed_ones():
    with pytest.raises(ValueError, match="function_calling, json_mode, json_text"):
        asyncio.run(
            ask_structured(ScriptedChatModel([]), PROMPT, ClaimRuling, role="x", method="xml")
        )


def test_a_turn_cut_by_the_token_cap_ends_at_its_last_full_sentence():
    cut = AIMessage(
        content="Triton kernels trail cuBLAS on attention. The article cites no benchmark for",
        response_metadata={"finish_reason": "length"},
    )
    text, _ = asyncio.run(ask_text(ScriptedChatModel([cut]), PROMPT, role="skeptic"))
    assert text == "Triton kernels trail cuBLAS on attention."


def test_a_cut_turn_without_a_sentence_end_is_marked_as_cut():
    assert trim_to_sentence("The article never says which models") == (
        "The article never says which models …"
    )
    finished = AIMessage(content="No benchmark is cited for", response_metadata={})
    text, _ = asyncio.run(ask_text(ScriptedChatModel([finished]), PROMPT, role="skeptic"))
    assert text == "No benchmark is cited for"  # not cut by the cap: left alone


def test_overlong_strings_are_cut_to_fit_at_a_sentence_end():
    text = "First point is short. " * 30
    cut = fit_length(text, 100)
    assert len(cut) <= 100 and cut.endswith("short.")
    assert fit_length("fits", 100) == "fits" and fit_length(["x"], 1) == ["x"]


def test_a_summary_with_an_overlong_point_is_kept_not_refused():
    from debate_eval.core.schemas import SummaryDraft

    long_point = "The article says the plan works. " * 20  # 660 characters
    draft = SummaryDraft.model_validate({"points": [long_point, "b" * 9, "c" * 9]})
    assert len(draft.points[0]) <= 400 and draft.points[0].endswith("works.")


def test_too_many_items_keep_the_first_ones():
    from debate_eval.core.schemas import SummaryDraft, TopicsDraft

    summary = SummaryDraft.model_validate({"points": [f"Point number {i}." for i in range(5)]})
    assert summary.points == ["Point number 0.", "Point number 1.", "Point number 2."]
    topics = TopicsDraft.model_validate({"topics": [f"topic {i}" for i in range(10)]})
    assert topics.topics == [f"topic {i}" for i in range(8)]
    with pytest.raises(ValueError, match="at least 3 items"):
        TopicsDraft.model_validate({"topics": ["one topic", "two topic"]})


def test_repeated_research_topics_are_left_out():
    # A real reply of the embedded model on the example op-ed listed one topic six times.
    from debate_eval.core.schemas import TopicsDraft

    reply = ["PyTorch 2.0 and Triton", "GPU compiler optimization"] + ["PyTorch and Triton"] * 3
    reply += ["pytorch  and triton"]
    topics = TopicsDraft.model_validate({"topics": reply})
    assert topics.topics == [
        "PyTorch 2.0 and Triton",
        "GPU compiler optimization",
        "PyTorch and Triton",
    ]
    with pytest.raises(ValueError, match="at least 3 items"):
        TopicsDraft.model_validate({"topics": ["HBM supply", "HBM supply", "hbm supply"]})


def test_a_list_cut_by_a_parts_cap_is_sent_the_cap_closed_and_read_in_one_call():
    # The embedded model's topics on the example op-ed ran on repeating one topic to the role's
    # 900 tokens (50 s); capped, the cut reply is closed and read, with no repair retry.
    from debate_eval.core.schemas import TopicsDraft

    topics = ["Triton benchmarks", "GPU market share", "CUDA lock-in"] + ["mainframe sets"] * 9
    cut = AIMessage(
        content='{"topics":' + json.dumps(topics)[:-12],
        response_metadata={"finish_reason": "length"},
    )
    model = ScriptedChatModel([cut])
    draft, usage = asyncio.run(
        ask_structured(model, PROMPT, TopicsDraft, role="judge", method="json_text", max_tokens=120)
    )
    assert draft.topics == [
        "Triton benchmarks",
        "GPU market share",
        "CUDA lock-in",
        "mainframe sets",
    ]
    assert model.sampling == [{"max_tokens": 120}] and usage.calls == 1


def test_a_call_without_a_parts_cap_keeps_the_roles_limit():
    structured = ScriptedChatModel([text_reply(json.dumps(RULING))])
    ask(structured)
    text = ScriptedChatModel([text_reply("A reply.")])
    asyncio.run(ask_text(text, PROMPT, role="judge"))
    assert "max_tokens" not in structured.sampling[0] and "max_tokens" not in text.sampling[0]


@pytest.mark.parametrize(
    ("reply", "kept"),
    [
        # Cut inside the fourth item: it goes.
        ('{"topics":["a b","c d","e f","main', '{"topics":["a b","c d","e f"'),
        # The list closed before the cap cut later chatter: nothing to drop.
        ('{\n "topics": [\n  "a b",\n  "c d"\n ]\n}\nMore thoughts on', None),
        # An escaped quote inside the cut item is not its end.
        ('{"topics":["a b","He said \\"no\\", then sto', '{"topics":["a b"'),
        # No item finished: left for json-repair and the schema to judge.
        ('{"topics": ["Trit', None),
    ],
)
def test_a_reply_cut_by_a_cap_loses_only_its_unfinished_item(reply, kept):
    from debate_eval.models.calls import without_cut_item

    assert without_cut_item(reply) == (reply if kept is None else kept)


def test_first_sentence():
    from debate_eval.core.sentences import first_sentence

    assert first_sentence(' He said "no." Then left. ') == 'He said "no."'
    assert first_sentence("no end here") == "no end here"


def test_a_paragraph_is_grounded_in_the_ids_it_cites_or_the_claim_it_discusses():
    from debate_eval.core.schemas import Claim
    from debate_eval.debate.agents.judge.checks import ground

    claims = [
        Claim(id="c1", text="Lanes halve traffic deaths", passage="p"),
        Claim(id="c2", text="Shops lose trade from parking removal", passage="p"),
    ]
    turns = ["c1-r1-skeptic", "c2-r1-advocate"]
    # Unknown ids dropped; a cited turn grounds its claim too.
    assert ground("As [c2-r1-advocate] and [c9, c1-r7-skeptic] say", claims, turns) == (
        ["c2"],
        ["c2-r1-advocate"],
    )
    # No id: the claim whose words it shares (two or more), else none.
    assert ground("Shops and their trade are never measured.", claims, turns) == (["c2"], [])
    assert ground("The article says nothing relevant.", claims, turns) == ([], [])


def test_a_two_item_summary_with_three_sentences_becomes_three_points():
    from debate_eval.core.schemas import SummaryDraft

    two = [
        "The op-ed says PyTorch 2.0 frees users from CUDA. It credits Triton.",
        "It cites no data.",
    ]
    draft = SummaryDraft.model_validate({"points": two})
    assert draft.points == [
        "The op-ed says PyTorch 2.0 frees users from CUDA.",
        "It credits Triton.",
        "It cites no data.",
    ]
    with pytest.raises(ValueError, match="at least 3 items"):
        SummaryDraft.model_validate({"points": ["Only one point.", "And two."]})


def test_an_unescaped_quote_that_ends_the_object_early_does_not_drop_later_fields():
    # A real reply of the embedded model (dev set, semeval19:0000046): read as partial JSON the
    # stray `"` closes decisive_point and the verdict is lost; it must be read past instead.
    reply = (
        "```json\n{\n"
        '  "decisive_point": "The article states \'Equality is in the air we breathe.\' It adds '
        "'Nor freedom in this 'homeland of the free'\" when discussing oppression.\",\n"
        '  "verdict": "supported"\n}\n```'
    )
    ruling = parse_json_reply(reply, ClaimRuling)
    assert ruling.verdict == "supported"
    assert ruling.decisive_point.endswith("when discussing oppression.")


@pytest.mark.parametrize("bound", [1, None])
def test_calls_in_order_reach_the_server_one_at_a_time_in_the_order_asked(tmp_path, bound):
    """Asked together from fresh clients (one per role, as a run has), the calls reach a real
    server on loopback one at a time and in the order asked when bounded to one in flight;
    unbounded, several are in flight at once."""
    import httpx

    from debate_eval.core.schemas import ROLES
    from debate_eval.models.backend import select_backend
    from debate_eval.models.calls import calls_in_order, gather_calls
    from debate_eval.models.chat import build_role_models
    from debate_eval.models.settings import load_settings
    from tests.conftest import StubServerProcess

    server = StubServerProcess(tmp_path / "requests.jsonl", delay=0.05)
    flags = {"base_url": server.base_url, "model": "stub"}
    models = build_role_models(select_backend(load_settings(flags, env={})).role_settings())
    roles = list(ROLES) * 2
    asked = [f"Question {i} for the {role}." for i, role in enumerate(roles)]

    async def ask_all() -> None:
        with calls_in_order(bound):
            await gather_calls(
                *(
                    ask_text(models.for_role(role), [HumanMessage(content=q)], role=role)
                    for q, role in zip(asked, roles, strict=True)
                )
            )

    try:
        asyncio.run(ask_all())
        stats = httpx.get(server.base_url.removesuffix("/v1") + "/stats").json()
        seen = [r["messages"][-1]["content"] for r in server.requests()]
    finally:
        server.stop()
    assert sorted(seen) == sorted(asked)
    if bound:
        assert stats["max_in_flight"] == 1
        assert seen == asked
    else:
        assert stats["max_in_flight"] > 1


def test_calls_in_order_inside_another_keeps_the_outer_bound():
    """An eval's debate opens its own calls_in_order inside the eval's: the calls of both
    share the outer bound (one), not the inner one's (three)."""
    from debate_eval.models.calls import calls_in_order, gather_calls

    in_flight = {"now": 0, "peak": 0}

    async def gate() -> None:
        in_flight["now"] += 1
        in_flight["peak"] = max(in_flight["peak"], in_flight["now"])
        await asyncio.sleep(0.002)
        in_flight["now"] -= 1

    model = ScriptedChatModel(lambda messages: text_reply("An answer."))
    model.gate = gate

    def ask(i: int):
        return ask_text(model, [HumanMessage(content=f"q{i}")], role="judge")

    async def debate() -> None:
        with calls_in_order(3):
            await gather_calls(*(ask(i) for i in range(3)))

    async def eval_article() -> None:
        with calls_in_order(1):
            await gather_calls(debate(), *(ask(i) for i in range(3, 6)))

    asyncio.run(eval_article())
    assert len(model.prompts) == 6
    assert in_flight["peak"] == 1
