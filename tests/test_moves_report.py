"""Debate moves downstream of the debaters: each report format shows a turn's move and marks a
turn that argued the other side, the claims table shows the claim judge's probes and decisive
turn, role fidelity reaches the report's meta, and the analysis cites the upheld moves."""

from __future__ import annotations

import asyncio
import io
import re

from rich.console import Console

from debate_eval.core.quotes import Quote
from debate_eval.core.schemas import (
    AnalysisParagraph,
    ChecklistItem,
    Claim,
    ClaimRuling,
    Rating,
    Report,
    ReportMeta,
    Turn,
)
from debate_eval.report.docx import to_docx
from debate_eval.report.html import to_html
from debate_eval.report.markdown import report_renderable, to_markdown, turn_panel
from debate_eval.report.terminal import LiveView
from tests.fakes import ScriptedChatModel, judge_reply, prompt_text, text_reply

# The menus' labels, as a reader sees them (core/moves.py).
NO_SOURCE = "no named source or evidence"
DIRECT_EVIDENCE = "direct evidence: data, a document or a named source"
QUOTED_EXPERT = "a participant or expert quoted"
OFF_SIDE = "(argued the other side)"
PROBES = "evidence 0.20 · view against 0.70 · opinion as fact 0.90"

CLAIMS = [
    Claim(
        id="c1",
        text="Lanes halve traffic deaths.",
        passage="cut traffic deaths by half",
        verdict="unsupported",
        decisive_point="No figures were given.",
        verdict_probabilities={"supported": 0.1, "contested": 0.2, "unsupported": 0.7},
        probes={"evidence": 0.2, "view_against": 0.7, "opinion_as_fact": 0.9},
        decisive_turn="c1-r1-skeptic",
    ),
    Claim(id="c2", text="A grant pays for it.", passage="funding comes from a federal grant"),
]
TURNS = [
    Turn(
        id="c1-r1-advocate",
        claim_id="c1",
        round=1,
        role="advocate",
        content="The article cites supporters.",
        move="direct_evidence",
        argues_for=0.9,
    ),
    Turn(
        id="c1-r1-skeptic",
        claim_id="c1",
        round=1,
        role="skeptic",
        content="No study is named.",
        move="no_source",
        argues_for=0.1,
    ),
    Turn(
        id="c1-r2-advocate",
        claim_id="c1",
        round=2,
        role="advocate",
        content="Perhaps the lanes do little.",
        move="quoted_expert",
        argues_for=0.2,
        off_side=True,
    ),
    Turn(id="c1-r2-judge", claim_id="c1", round=2, role="judge", content="Closing the debate."),
    # A turn from a report written before moves: shown as it always was.
    Turn(id="c2-r1-advocate", claim_id="c2", round=1, role="advocate", content="A grant pays."),
]


def hand_report() -> Report:
    return Report(
        summary=["The council approved lanes.", "Critics fear for shops.", "A grant pays."],
        rating=Rating(label="May be slightly imbalanced", explanation="Data on other cities."),
        analysis=[
            AnalysisParagraph(
                text="The safety claim rests on supporters' word alone, with no study named.",
                claim_ids=["c1"],
                turn_ids=["c1-r1-skeptic"],
            )
        ],
        research_topics=["bike lane safety data", "federal grants", "parking and retail"],
        claims=CLAIMS,
        debate=TURNS,
        meta=ReportMeta(
            models={"judge": "m"},
            rounds=2,
            started_at="2025-01-01T00:00:00+00:00",
            duration_s=1.0,
            usage={},
            role_fidelity=0.75,
        ),
    )


def test_markdown_shows_moves_off_side_probes_decisive_turn_and_role_fidelity():
    markdown = to_markdown(hand_report())
    lines = markdown.splitlines()
    assert f"**[c1-r1-skeptic] Skeptic:** *move: {NO_SOURCE}* No study is named." in lines
    assert f"**[c1-r1-advocate] Advocate:** *move: {DIRECT_EVIDENCE}* The article" in markdown
    assert (
        f"**[c1-r2-advocate] Advocate:** *move: {QUOTED_EXPERT}* *{OFF_SIDE}* Perhaps the lanes"
        in markdown
    )
    # The judge's turn and a turn without a move: no move, no mark.
    assert "**[c1-r2-judge] Judge:** Closing the debate." in lines
    assert "**[c2-r1-advocate] Advocate:** A grant pays." in lines
    assert markdown.count(OFF_SIDE) == 1
    assert "| id | claim | verdict | decisive point | decisive turn | probes, P(yes) |" in lines
    assert (
        "| c1 | Lanes halve traffic deaths. | unsupported (0.70) | No figures were given. "
        f"| c1-r1-skeptic | {PROBES} |" in lines
    )
    assert "| c2 | A grant pays for it. | — | — | — | — |" in lines
    assert "*Debate turns: c1-r1-skeptic*" in lines
    assert lines[-1].endswith(
        "; role fidelity 75% (side-checked turns that argued their own side).*"
    )


def _turn_block(html: str, turn_id: str) -> str:
    return html.split(f'<div class="turn" id="turn-{turn_id}">', 1)[1].split("</div>", 1)[0]


def test_html_shows_moves_off_side_probes_decisive_turn_and_role_fidelity():
    html = to_html(hand_report())
    skeptic = _turn_block(html, "c1-r1-skeptic")
    assert f'<span class="move">move: {NO_SOURCE}</span>' in skeptic
    assert "off-side" not in skeptic
    off_side = _turn_block(html, "c1-r2-advocate")
    assert f'<span class="move">move: {QUOTED_EXPERT}</span>' in off_side
    assert f'<span class="off-side">{OFF_SIDE}</span>' in off_side
    for plain in ("c1-r2-judge", "c2-r1-advocate"):
        assert 'class="move"' not in _turn_block(html, plain)
    assert html.count('<span class="off-side">') == 1
    assert "<th>decisive turn</th><th>probes, P(yes)</th>" in html
    assert '<a href="#turn-c1-r1-skeptic">c1-r1-skeptic</a>' in html
    assert f'<td class="probes">{PROBES}</td>' in html
    meta = html.split('<p class="meta">', 1)[1]
    assert "role fidelity 75% (side-checked turns that argued their own side)" in meta
    # The analysis links the turns it rests on.
    analysis = html.split('<h2 id="analysis">', 1)[1].split('<h2 id="research">', 1)[0]
    assert re.search(r'Debate turns:\s*<a href="#turn-c1-r1-skeptic">c1-r1-skeptic</a>', analysis)


def test_docx_shows_moves_off_side_probes_decisive_turn_and_role_fidelity():
    from docx import Document

    document = Document(io.BytesIO(to_docx(hand_report())))
    texts = [p.text for p in document.paragraphs]
    assert f"Skeptic, round 1: (move: {NO_SOURCE}) No study is named." in texts
    off_side = next(p for p in document.paragraphs if p.text.startswith("Advocate, round 2: "))
    assert off_side.text == (
        f"Advocate, round 2: (move: {QUOTED_EXPERT}) {OFF_SIDE} Perhaps the lanes do little."
    )
    assert any(run.bold and OFF_SIDE in run.text for run in off_side.runs)
    assert "Judge, round 2: Closing the debate." in texts
    assert "Advocate, round 1: A grant pays." in texts
    assert sum(OFF_SIDE in t for t in texts) == 1
    [table] = document.tables
    assert [c.text for c in table.rows[0].cells][-2:] == ["decisive turn", "probes, P(yes)"]
    assert [c.text for c in table.rows[1].cells][-2:] == ["c1-r1-skeptic", PROBES]
    assert [c.text for c in table.rows[2].cells][-2:] == ["—", "—"]
    assert "Debate turns: c1-r1-skeptic" in texts
    assert texts[-1].endswith(
        "; role fidelity 75% (side-checked turns that argued their own side)."
    )


def _console() -> Console:
    return Console(file=io.StringIO(), width=240, record=True, color_system=None)


def test_terminal_panels_and_claims_table_show_moves_probes_and_decisive_turn():
    console = _console()
    for turn in TURNS:
        console.print(turn_panel(turn, "claim"))
    console.print(report_renderable(hand_report()))
    out = console.export_text()
    assert f"Skeptic · c1 · round 1 · {NO_SOURCE}" in out
    assert f"Advocate · c1 · round 2 · {QUOTED_EXPERT} {OFF_SIDE}" in out
    assert out.count(OFF_SIDE) == 1
    assert "─ Advocate · c2 · round 1 ─" in out  # no move: nothing after the round
    # The table's rows as cells (the header's borders are heavy).
    rows = [[c.strip() for c in re.split("[│┃]", line)[1:-1]] for line in out.splitlines()]
    header = next(r for r in rows if r[:2] == ["id", "claim"])
    assert header[-2:] == ["decisive turn", "probes, P(yes)"]
    at = rows.index(next(r for r in rows if r[:1] == ["c1"]))
    assert rows[at][-2] == "c1-r1-skeptic"
    # One probe a line.
    assert [r[-1] for r in rows[at : at + 3]] == PROBES.split(" · ")


def test_live_view_shows_the_claim_judges_probes_and_decisive_turn():
    console = _console()
    ruling = ClaimRuling(
        decisive_point="No figures were given.",
        verdict="unsupported",
        probes={"evidence": 0.2, "view_against": 0.7, "opinion_as_fact": 0.9},
        decisive_turn="c1-r1-skeptic",
    )
    from debate_eval.debate.runner import ClaimRuled, ClaimsExtracted, TurnTaken

    with LiveView(console, rounds=2) as view:
        view(ClaimsExtracted(CLAIMS))
        view(TurnTaken(TURNS[2]))
        view(ClaimRuled("c1", ruling))
    out = console.export_text()
    assert f"{QUOTED_EXPERT} {OFF_SIDE}" in out
    assert (
        "Claim judge · c1: unsupported — No figures were given. (decisive turn c1-r1-skeptic)"
        in out
    )
    assert f"probes, P(yes): {PROBES}" in out


# ------------------------------------------------------------------ the analysis

ARTICLE = (
    "The city council approved a new bike lane plan on Monday. Supporters say it will cut "
    "traffic deaths by half within five years. Opponents argue the lanes will hurt local shops "
    "because parking spaces will be removed. The plan costs twelve million dollars. The mayor "
    "said the funding comes from a federal grant. A local cycling group that lobbied for the "
    "plan praised the decision."
)
ATTACKED = "Supporters say it will cut traffic deaths by half within five years."
OFF_SIDE_ATTACK = "The plan costs twelve million dollars."
UNSOURCED_TEXT = (
    "Yes. The safety figure is given on supporters' word alone: no study or city is named "
    "for the promised halving of deaths."
)
LOADED_TEXT = (
    "Yes. The closing praise for the cycling group reads as approval rather than report, and "
    "the shop owners who object are never heard directly."
)
ITEMS = [
    ChecklistItem(
        id="unsourced_claims",
        item="Claims without a named source or evidence",
        question="Does the article make important claims without naming a source?",
        probability=0.9,
        applies=True,
        method="logprobs",
    ),
    ChecklistItem(
        id="loaded_language",
        item="Loaded or insulting language about people or groups",
        question="Does the article use loaded, emotional or insulting language?",
        probability=0.8,
        applies=True,
        method="logprobs",
    ),
]
DEBATED = [
    Claim(
        id="c1",
        text="Lanes halve traffic deaths.",
        passage="cut traffic deaths by half",
        verdict="unsupported",
        verdict_probabilities={"supported": 0.1, "contested": 0.3, "unsupported": 0.6},
    ),
    Claim(
        id="c2",
        text="The plan is federally funded.",
        passage="funding comes from a federal grant",
        verdict="supported",
        verdict_probabilities={"supported": 0.8, "contested": 0.1, "unsupported": 0.1},
    ),
]


def _turn(turn_id: str, move: str | None, sentence: str | None = None, **more) -> Turn:
    claim_id, round_, role = turn_id.split("-")
    return Turn(
        id=turn_id,
        claim_id=claim_id,
        round=int(round_[1:]),
        role=role,
        content=f"{role} speaks on {claim_id}.",
        move=move,
        evidence=Quote(text=sentence, verified=True) if sentence else None,
        **more,
    )


DEBATE = [
    _turn("c1-r1-advocate", "direct_evidence", ATTACKED),
    _turn("c1-r1-skeptic", "no_source", ATTACKED),  # stood: a sign of unsourced claims
    # Off side: never upheld, though its kind is a sign of unsourced claims.
    _turn("c1-r2-skeptic", "cause_without_evidence", OFF_SIDE_ATTACK, off_side=True),
    _turn("c1-r3-skeptic", "concede"),
    # On a supported claim: did not stand.
    _turn("c2-r1-skeptic", "figure_without_context", OFF_SIDE_ATTACK),
]
CLAIMS_SHOWN = (
    "\nThe claims the debate was about:\n<claims>\n[c1] Lanes halve traffic deaths.\n"
    "[c2] The plan is federally funded.\n</claims>\n"
)


def analyst(messages) -> object:
    text = prompt_text(messages[1:])
    return text_reply(UNSOURCED_TEXT if "without a named source" in text else LOADED_TEXT)


def analyse(debate: list[Turn], reply=analyst):
    from debate_eval.debate.agents.judge.analysis import write_analysis
    from debate_eval.debate.agents.judge.parts import Parts

    model = ScriptedChatModel(judge_reply(analyst=reply))
    parts = Parts(ARTICLE, model, "json_text")
    paragraphs = asyncio.run(write_analysis(parts, DEBATED, debate, ITEMS))
    asked = {}
    for messages in model.prompts:
        text = prompt_text(messages[1:])
        if found := re.search(
            r"Role: analyst\. Does the article show this weakness: (.+?)\?\n", text
        ):
            evidence = text[found.end() : text.index("\nThe sentence of the article you chose")]
            asked[found.group(1)] = evidence
    return paragraphs, asked, parts


def test_a_finding_cites_the_upheld_moves_of_its_kind_and_the_model_reads_them():
    paragraphs, asked, parts = analyse(DEBATE)
    assert parts.problems == []
    assert asked["claims without a named source or evidence"] == (
        CLAIMS_SHOWN + "\nThe skeptic's points that stood in the debate and bear on this "
        "weakness (turn id, the point, the sentence it attacked):\n<debate>\n"
        f'[c1-r1-skeptic] {NO_SOURCE}: "{ATTACKED}"\n</debate>\n'
    )
    unsourced = next(p for p in paragraphs if p.item == "unsourced_claims")
    assert unsourced.turn_ids == ["c1-r1-skeptic"]
    assert unsourced.claim_ids == ["c1"]
    assert unsourced.text == UNSOURCED_TEXT.removeprefix("Yes. ")


def test_a_finding_no_upheld_move_bears_on_says_it_rests_on_the_checklist_alone():
    paragraphs, asked, _ = analyse(DEBATE)
    # Loaded language: no upheld move of its kind, so the model is given the claims alone.
    assert asked["loaded or insulting language about people or groups"] == CLAIMS_SHOWN
    loaded = next(p for p in paragraphs if p.item == "loaded_language")
    assert loaded.turn_ids == []
    assert loaded.text == (
        LOADED_TEXT.removeprefix("Yes. ")
        + " No upheld move of the debate bears on this finding: it rests on the checklist alone."
    )


def test_a_long_paragraph_is_cut_to_keep_the_checklist_alone_sentence():
    long = "Yes. " + " ".join(
        f"Sentence {i} says the cycling group is praised while shops go unheard." for i in range(14)
    )
    assert len(long) > 900

    def reply(messages):
        text = prompt_text(messages[1:])
        return text_reply(UNSOURCED_TEXT if "without a named source" in text else long)

    paragraphs, _, _ = analyse(DEBATE, reply)
    loaded = next(p for p in paragraphs if p.item == "loaded_language")
    assert len(loaded.text) <= 900
    assert loaded.text.endswith(
        ". No upheld move of the debate bears on this finding: it rests on the checklist alone."
    )
    assert loaded.text.startswith("Sentence 0 says")


def test_a_one_word_reply_is_still_left_out_whatever_is_appended():
    def reply(messages):
        text = prompt_text(messages[1:])
        return text_reply(UNSOURCED_TEXT if "without a named source" in text else "Yes. Loaded.")

    paragraphs, _, parts = analyse(DEBATE, reply)
    assert [p.item for p in paragraphs] == ["unsourced_claims"]
    assert len(parts.problems) == 1 and parts.problems[0].startswith("analysis (loaded_language)")


def test_a_debate_without_moves_neither_cites_moves_nor_claims_the_checklist_alone():
    """A transcript from before moves: nothing is known of which points stood."""
    old = [t.model_copy(update={"move": None}) for t in DEBATE]
    paragraphs, asked, _ = analyse(old)
    assert set(asked.values()) == {CLAIMS_SHOWN}
    assert [p.text for p in paragraphs] == [
        UNSOURCED_TEXT.removeprefix("Yes. "),
        LOADED_TEXT.removeprefix("Yes. "),
    ]
    assert all(p.turn_ids == [] for p in paragraphs)


# ------------------------------------------------------------------ role fidelity in meta


def own_side_share(turns: list[Turn]) -> float | None:
    """By hand: of the turns with a side check, concessions aside, those on their own side."""
    checked = [
        t
        for t in turns
        if t.argues_for is not None and t.move != "concede" and t.role in ("advocate", "skeptic")
    ]
    if not checked:
        return None
    own = [t for t in checked if (t.argues_for >= 0.5) == (t.role == "advocate")]
    return round(len(own) / len(checked), 4)


def test_a_scripted_runs_meta_has_the_role_fidelity_of_its_turns(article):
    from debate_eval.debate.runner import RunOptions, arun_debate
    from tests.fakes import scripted_models

    report = asyncio.run(arun_debate(article, scripted_models(), RunOptions()))
    expected = own_side_share(report.debate)
    assert report.meta.role_fidelity == expected
    if all(t.argues_for is None for t in report.debate):
        assert report.meta.role_fidelity is None


def test_live_view_shows_a_rating_known_early_then_its_findings_apart():
    """A label known from the screener's reading is shown at once, with its findings to
    follow; the full measurement then adds the findings panel, not the rating a second time."""
    from debate_eval.core.schemas import RatingMeasurement
    from debate_eval.debate.runner import RatingKnown, RatingMeasured
    from debate_eval.debate.scoring.checklist import PROBES, probe_item

    by_id = {p.id: p for p in PROBES}
    persuasive = probe_item(by_id["persuasive_paragraphs"], 0.7, "logprobs")
    promotion = probe_item(by_id["promotes_one_side"], 0.9, "logprobs")
    known = RatingMeasurement(
        judge="checklist",
        checklist=[persuasive],
        features={"persuasive_paragraphs": 0.7},
        label="Appears strongly imbalanced",
        confidence=0.81,
        calibration="checklist on m",
    )
    full = known.model_copy(update={"checklist": [promotion, persuasive]})
    console = _console()
    with LiveView(console, rounds=1) as view:
        view(RatingKnown(known))
        view(RatingMeasured(full))
    out = console.export_text()
    assert out.count("Appears strongly imbalanced · confidence 81%") == 1
    rating_at = out.index("Balance rating")
    assert out.index("The checklist's findings follow.") > rating_at
    findings_at = out.index("Checklist findings")
    assert out.index(promotion.item) > findings_at > rating_at
