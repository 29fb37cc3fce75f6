"""Graph logic with scripted models: order, concurrency, early stop, verdicts, retries."""

from __future__ import annotations

import asyncio
import re

import pytest

from debate_eval.core.errors import StructuredOutputError
from debate_eval.core.moves import CONTENT_FREE
from debate_eval.core.quotes import Quote
from debate_eval.core.schemas import Claim, Turn
from debate_eval.core.sentences import sentences_of
from debate_eval.debate.agents.extractor import claim_itself
from debate_eval.debate.agents.judge import ajudge, judge
from debate_eval.debate.agents.judge.analysis import CHECKLIST_ALONE
from debate_eval.debate.prompts import RETRY_SAMPLING
from debate_eval.debate.runner import (
    ClaimRuled,
    ClaimsExtracted,
    JudgeStarted,
    RatingMeasured,
    RunOptions,
    TurnTaken,
    arun_debate,
)
from tests.fakes import (
    ANALYST_TEXT,
    OTHER_ANALYST_TEXT,
    REPORT,
    Barrier,
    ScriptedChatModel,
    analyst_reply,
    debater_reply,
    evidence_letters,
    judge_reply,
    move_asked,
    option_reply,
    paragraph_calls,
    picks_evidence,
    prompt_text,
    scripted_models,
    text_reply,
    tool_reply,
)
from tests.fakes import (
    CLAIMS as CLAIM_ARGS,
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

    # The rating's measurement comes first, before the claims: the debate judge's label waits
    # for the debate, its checklist (11 items: 10 whole-article probes, addresses_ai among
    # them, and the persuasion question) does not.
    assert isinstance(events[0], RatingMeasured)
    assert events[0].rating.label is None and len(events[0].rating.checklist) == 11
    assert isinstance(events[1], ClaimsExtracted)
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
    # Its 3 move questions about the content-free sentence, once per run; then six turns, each
    # an evidence pick (one letter, asked in both orders), the 3 move questions about it and
    # the move's sentence; each turn's side check is the claim judge's call. The skeptic's the
    # same with its 6 move questions.
    assert report.meta.usage["advocate"].calls == 3 + 6 * (2 + 3 + 1)
    assert report.meta.usage["skeptic"].calls == 6 + 6 * (2 + 6 + 1)
    assert [t.move for t in report.debate if t.role != "judge"] == (
        ["direct_evidence", "no_source"] * 6
    )
    assert all(t.argues_for is not None and not t.off_side for t in report.debate[:4])
    assert report.meta.role_fidelity == 1.0
    # 10 whole-article probes (9 scored and addresses_ai), the rating, summary, explanation,
    # two findings (promotes one side; opposing views not fair; each a sentence pick in both
    # orders and a paragraph), research topics: each its own call; the persuasion question is
    # the screener's (one reading).
    assert report.meta.usage["judge"].calls == 20
    # Two questions per paragraph, asked of the judge model before the debate.
    assert report.meta.usage["screener"].calls == paragraph_calls(article) > 0
    # Where the time went, phase by phase, in the order the phases ran.
    phases = list(report.meta.timing)
    assert phases[:4] == ["screening", "rating", "extraction", "move baselines"]
    assert phases[-1] == "report"
    debated = {f"{kind} {c}" for kind in ("debate", "claim judge") for c in ("c1", "c2", "c3")}
    assert set(phases[4:-1]) == debated
    # Each debater's questions about the content-free sentence: 3 + 6, once for all claims.
    assert report.meta.timing["move baselines"].usage.calls == 3 + 6
    # The debate judge's letter call, after the debate, counts towards the rating's phase (with
    # the 10 whole-article probes).
    assert report.meta.timing["rating"].usage.calls == 11
    for claim in ("c1", "c2", "c3"):
        # Four turns: the evidence pick (in both orders), the role's move questions (3 or 6),
        # the sentence, the side check (in both orders); and the side check of a content-free
        # sentence (in both orders), once per claim.
        turns = 2 * (2 + 3 + 1 + 2) + 2 * (2 + 6 + 1 + 2) + 2
        assert report.meta.timing[f"debate {claim}"].usage.calls == turns
        # Three probes and the decisive move (in both orders), then the point and the verdict
        # (in three orders).
        assert report.meta.timing[f"claim judge {claim}"].usage.calls == 9
    assert report.meta.timing["screening"].usage == report.meta.usage["screener"]
    assert report.meta.timing["extraction"].usage == report.meta.usage["extractor"]
    timed_calls = sum(t.usage.calls for t in report.meta.timing.values())
    assert timed_calls == sum(u.calls for u in report.meta.usage.values())
    assert report.meta.usage["extractor"].input_tokens == 100


def test_the_checklist_judges_rating_is_known_before_the_debate_and_is_the_reports(article):
    """With a judge that needs no debate the rater's event carries the label, first; the
    report's rating is that same measurement (label, confidence, checklist), not a second."""
    models = scripted_models()
    report, events = run(article, models, rating_judge="checklist")
    first = events[0]
    assert isinstance(first, RatingMeasured) and first.rating.label is not None
    assert not any(isinstance(e, ClaimsExtracted) for e in events[:1])
    assert (report.rating.label, report.rating.confidence) == (
        first.rating.label,
        first.rating.confidence,
    )
    assert report.checklist == first.rating.checklist
    # No letter call for the checklist judge, before or after the debate.
    assert not any("A, B, C, D" in prompt_text(p) for p in models.judge.prompts)


def test_skeptic_first_swaps_speaking_order(article):
    report, _ = run(article, scripted_models(), skeptic_first=True)
    ids = [t.id for t in report.debate if t.claim_id == "c1"]
    assert ids[:2] == ["c1-r1-skeptic", "c1-r1-advocate"]


def test_debates_run_concurrently(article):
    models = scripted_models()
    # After the advocate's 3 move questions about the content-free sentence (once per run,
    # before the debates), each claim's first advocate calls (its evidence pick, asked in both
    # orders at once) wait for the other claims'.
    barrier = Barrier(parties=6)
    calls = 0

    async def gate():
        nonlocal calls
        calls += 1
        if 3 < calls <= 3 + 6:
            await barrier()

    models.advocate.gate = gate
    report, _ = run(article, models, rounds=1)
    assert barrier.max_in_flight == 6
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
    judge_prompt = next(
        prompt_text(p) for p in models.judge.prompts if "A, B, C, D" in prompt_text(p)
    )
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


def test_claims_reported_as_the_articles_are_debated_as_claims(article):
    # "The article argues that X" is true whenever the article argues X: the debate has to
    # be over X, as the article asserts it.
    reported = [
        {**CLAIM_ARGS[0], "text": "The article argues that bike lanes will halve traffic deaths."},
        {**CLAIM_ARGS[1], "text": "According to the article, shops will lose business."},
        {**CLAIM_ARGS[2], "text": "The author claims the plan is federally funded."},
    ]
    models = scripted_models()
    models.extractor = ScriptedChatModel([tool_reply("ExtractedClaims", {"claims": reported})])
    report, _ = run(article, models)
    assert [c.text for c in report.claims] == [c["text"] for c in CLAIM_ARGS]
    advocate_prompts = [prompt_text(p) for p in models.advocate.prompts]
    assert any('<claim id="c1">\nBike lanes will halve' in t for t in advocate_prompts)
    assert not any("The article argues that" in t for t in advocate_prompts)


@pytest.mark.parametrize(
    ("reported", "claim"),
    [
        ("The article predicts that the party will win.", "The party will win."),
        ("This piece argues: wages fell last year.", "Wages fell last year."),
        ("The author strongly contends that taxes rose.", "Taxes rose."),
        # Not an attribution, or nothing left to debate: the model's words stay.
        ("The article is one-sided about taxes.", "The article is one-sided about taxes."),
        ("The article says so.", "The article says so."),
        ("The articles say rents rose.", "The articles say rents rose."),
    ],
)
def test_a_claim_is_what_the_article_asserts(reported, claim):
    assert claim_itself(reported) == claim


def test_two_missing_structured_replies_fail_clearly(article):
    models = scripted_models()
    models.extractor = ScriptedChatModel([text_reply("no"), text_reply("still no")])
    with pytest.raises(StructuredOutputError) as info:
        run(article, models)
    assert str(info.value).startswith("extractor: invalid structured reply for ExtractedClaims")
    assert len(models.extractor.prompts) == 2


def test_invalid_structured_reply_gets_the_validation_error(article):
    models = scripted_models()
    replies = iter([tool_reply("SummaryDraft", {"points": ["only one point"]})])
    base = judge_reply()

    def judge_(messages):
        if "Role: summariser" in prompt_text(messages):
            return next(replies, None) or base(messages)
        return base(messages)

    models.judge = ScriptedChatModel(judge_)
    report, _ = run(article, models)
    summary_prompts = [p for p in models.judge.prompts if "Role: summariser" in prompt_text(p)]
    repair = prompt_text(summary_prompts[1])
    assert "points" in repair and "at least 3 items" in repair
    assert '"points": ["only one point"]' in repair  # its own reply, to be fixed
    assert report.summary == REPORT["summary"]
    assert report.meta.problems == []


def test_a_part_that_fails_leaves_the_rating_and_says_why(article):
    models = scripted_models()
    base = judge_reply()

    def judge_(messages):
        if "Role: summariser" in prompt_text(messages):
            return text_reply("I cannot summarise this.")
        return base(messages)

    models.judge = ScriptedChatModel(judge_)
    report, _ = run(article, models)
    assert report.summary == []
    assert len(report.meta.problems) == 1
    assert report.meta.problems[0].startswith(
        "summary: judge: invalid structured reply for SummaryDraft after a retry"
    )
    assert report.rating.label == REPORT["rating"]["label"]
    assert report.rating.explanation == REPORT["rating"]["explanation"]
    assert [p.item for p in report.analysis] == ["promotes_one_side", "opposing_views_fair"]


def test_rating_is_read_from_label_probabilities(article):
    letters = {"A": 0.05, "B": 0.15, "C": 0.3, "D": 0.5}
    models = scripted_models()
    models.judge = ScriptedChatModel(judge_reply(letters=letters))
    report, _ = run(article, models, rounds=1)
    rating = report.rating
    assert rating.label == "Appears strongly imbalanced"
    assert rating.probabilities == pytest.approx(
        {
            "Appears well balanced": 0.05,
            "May be slightly imbalanced": 0.15,
            "Appears moderately imbalanced": 0.3,
            "Appears strongly imbalanced": 0.5,
        }
    )
    assert rating.score == pytest.approx(0.05 + 0.3 + 0.9 + 2.0)
    assert rating.confidence == pytest.approx(0.5)
    assert (rating.judge, rating.calibration) == ("debate", None)
    assert report.meta.probabilities_method == "logprobs"
    checklist = {i.id: i for i in report.checklist}
    # 10 whole-article probes (addresses_ai among them) and the persuasion question.
    assert len(checklist) == 11
    assert checklist["promotes_one_side"].probability == pytest.approx(0.8)
    assert checklist["promotes_one_side"].applies
    # "Are opposing views presented fairly?" at P(yes) 0.3: its weakness applies.
    assert checklist["opposing_views_fair"].applies
    assert not checklist["loaded_language"].applies


def test_checklist_judge_rates_from_the_probes_alone(article):
    models = scripted_models()
    report, _ = run(article, models, rounds=1, rating_judge="checklist")
    # Mean probability that each scored weakness applies: (0.8 + 0.7 + 7 * 0.2) / 9.
    p = (0.8 + 0.7 + 7 * 0.2) / 9
    assert report.rating.label == "May be slightly imbalanced"
    assert report.rating.confidence == pytest.approx(1 - p, abs=1e-4)
    assert report.rating.probabilities is None
    # No rating letter call (the analysts' sentence picks offer their own letters).
    assert not any(
        "Answer with exactly one of: A, B, C, D." in prompt_text(p)
        and "each with a letter" not in prompt_text(p)
        for p in models.judge.prompts
    )


def test_analysis_paragraphs_keep_known_ids_and_verify_quotes(article):
    def analyst(messages):
        if "written to promote" in str(messages[-1].content):
            return text_reply(
                'Supporters say it will "cut traffic deaths by half within five years" and the '
                'article adds that "lanes always pay for themselves" [c2-r1-skeptic, c7].'
            )
        return text_reply(
            "Opponents get one sentence; the cycling group's lobbying is never weighed [c9]."
        )

    models = scripted_models()
    models.judge = ScriptedChatModel(judge_reply(analyst=analyst))
    report, _ = run(article, models, rounds=1)
    first, second = report.analysis
    assert (first.item, first.claim_ids, first.turn_ids) == (
        "promotes_one_side",
        ["c2"],
        ["c2-r1-skeptic"],
    )
    assert [(q.text, q.verified) for q in first.quotes] == [
        ("cut traffic deaths by half within five years", True),
        ("lanes always pay for themselves", False),
    ]
    # No known id: grounded in the claim whose words it shares (none here).
    assert second.claim_ids == [] and second.item == "opposing_views_fair"


def test_a_one_word_paragraph_is_left_out_not_fatal(article):
    models = scripted_models()
    models.judge = ScriptedChatModel(judge_reply(analyst=lambda m: text_reply("Unclear.")))
    report, _ = run(article, models, rounds=1)
    assert report.analysis == []
    assert report.meta.problems == [
        "analysis (promotes_one_side): text: String should have at least 40 characters",
        "analysis (opposing_views_fair): text: String should have at least 40 characters",
    ]
    assert report.rating.label == REPORT["rating"]["label"]


def test_a_paragraph_that_argues_against_its_checklist_finding_is_kept_and_marked(article):
    from debate_eval.report.docx import to_docx
    from debate_eval.report.html import to_html
    from debate_eval.report.markdown import to_markdown

    def analyst(messages):
        if "written to promote" in str(messages[-1].content):  # the probe: 0.8, applies
            return text_reply("No. " + ANALYST_TEXT)
        return text_reply("**Yes.** " + OTHER_ANALYST_TEXT)  # opposing views: applies

    models = scripted_models()
    models.judge = ScriptedChatModel(judge_reply(analyst=analyst))
    report, _ = run(article, models, rounds=1)
    # The scripted skeptics' moves (no named source) bear on neither finding.
    first, second = (f"{text} {CHECKLIST_ALONE}" for text in (ANALYST_TEXT, OTHER_ANALYST_TEXT))
    assert [(p.item, p.text, p.confirmed) for p in report.analysis] == [
        ("promotes_one_side", first, False),
        ("opposing_views_fair", second, True),
    ]
    assert report.meta.problems == []
    note = (
        '(Not confirmed: the checklist found "written to promote one side" likely; the analyst '
        "answered that the article does not show it.)"
    )
    assert f"*{note}* {first}" in to_markdown(report)
    html = to_html(report)
    assert html.count('class="unconfirmed"') == 1
    assert "the analyst answered that the article does not show it" in html
    import io

    import docx

    paragraphs = docx.Document(io.BytesIO(to_docx(report))).paragraphs
    marked = [
        p for p in paragraphs if p.runs and p.runs[0].italic and p.runs[0].text.strip() == note
    ]
    assert [p.runs[1].text for p in marked] == [first]


def test_a_paragraph_finding_a_weakness_the_checklist_found_unlikely_is_marked(article):
    """The other direction: no finding applies, so the likeliest one is written up, and the
    analyst answers that the article shows it."""
    from debate_eval.report.html import to_html
    from debate_eval.report.markdown import to_markdown

    unlikely = {"Is the article written to promote": 0.3, "Does the article present opposing": 0.8}
    model = ScriptedChatModel(
        judge_reply(probe_yes=unlikely, analyst=lambda m: text_reply("Yes. " + ANALYST_TEXT))
    )
    report = judge(article, CLAIMS, TRANSCRIPT, model)
    assert not any(i.applies for i in report.checklist)
    assert [(p.item, p.text, p.confirmed) for p in report.analysis] == [
        ("promotes_one_side", ANALYST_TEXT, False)
    ]
    note = (
        '(Not confirmed: the checklist found "written to promote one side" unlikely; the '
        "analyst answered that the article shows it.)"
    )
    assert f"*{note}* {ANALYST_TEXT}" in to_markdown(report)
    assert to_html(report).count('class="unconfirmed"') == 1


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Yes. The article only quotes supporters.", (True, "The article only quotes supporters.")),
        ("no - opponents get room.", (False, "Opponents get room.")),
        ("**No**: it names its sources.", (False, "It names its sources.")),
        ("No shop owner speaks for themselves.", (None, "No shop owner speaks for themselves.")),
        ("Yesterday's vote is described.", (None, "Yesterday's vote is described.")),
    ],
)
def test_the_analysts_opening_answer_is_read_and_removed(reply, expected):
    from debate_eval.debate.agents.judge.checks import stance

    assert stance(reply) == expected


@pytest.mark.parametrize(
    ("label", "text", "expected"),
    [
        (
            "May be slightly imbalanced",
            "The article presents a balanced view of AI hardware.",
            True,
        ),
        ("Appears strongly imbalanced", "It is even-handed in tone.", True),
        ("Appears strongly imbalanced", "The article is not balanced: critics get no room.", False),
        ("May be slightly imbalanced", "Readers should seek a more balanced account.", False),
        ("May be slightly imbalanced", "It cites no data, so it lacks a balanced view.", False),
        ("Appears well balanced", "The piece is one-sided in its sourcing.", True),
        ("Appears well balanced", "It is not one-sided: both camps speak.", False),
        ("Appears moderately imbalanced", "It leaves out costs; seek budget figures.", False),
    ],
)
def test_an_explanation_that_contradicts_its_label_is_recognised(label, text, expected):
    from debate_eval.debate.agents.judge.checks import contradicts

    assert contradicts(label, text) is expected


def test_an_explanation_contradicting_the_label_is_asked_again_then_replaced(article):
    report_spec = {**REPORT, "rating": {**REPORT["rating"], "explanation": "A balanced view."}}
    models = scripted_models(report=report_spec)
    report, _ = run(article, models, rounds=1)
    explanations = [p for p in models.judge.prompts if "Role: chief judge" in prompt_text(p)]
    assert len(explanations) == 2
    assert "Your first draft contradicted the rating" in prompt_text(explanations[1])
    assert report.rating.label == "May be slightly imbalanced"
    assert report.rating.explanation == (
        "The checks found these weaknesses likely: written to promote one side (0.80); "
        "opposing views are not presented fairly (0.70). The claim judge put 90% of its "
        "probability on the debated claims being unsupported or contested."
    )
    assert report.meta.problems == [
        "explanation: the model's text contradicted the rating twice; the measured findings "
        "stand in for it"
    ]


def test_a_paragraph_repeating_an_earlier_one_is_left_out(article):
    models = scripted_models()
    models.judge = ScriptedChatModel(judge_reply(analyst=lambda m: text_reply(ANALYST_TEXT)))
    report, _ = run(article, models, rounds=1)
    assert len(report.analysis) == 1
    assert report.meta.problems == [
        "analysis (opposing_views_fair): left out, it repeated an earlier one"
    ]


def test_paragraphs_quoting_one_long_sentence_are_not_repeats(article):
    quote = '"Supporters say it will cut traffic deaths by half within five years."'

    def analyst(messages):
        if "written to promote" in str(messages[-1].content):
            return text_reply(f"Yes. Only supporters speak: {quote} No critic is named [c1].")
        return text_reply(f"Yes. {quote} stands without data from any comparable city [c1].")

    models = scripted_models()
    models.judge = ScriptedChatModel(judge_reply(analyst=analyst))
    report, _ = run(article, models, rounds=1)
    assert len(report.analysis) == 2 and report.meta.problems == []


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
    model = ScriptedChatModel(judge_reply())
    report = judge(article, CLAIMS, TRANSCRIPT, model)
    assert report.claims == CLAIMS
    assert report.debate == TRANSCRIPT
    assert report.analysis[0].turn_ids == ["c1-r1-skeptic"]
    # as above, and the persuasion question once per paragraph (no screener here: the judge
    # reads the paragraphs itself)
    assert report.meta.usage["judge"].calls == 20 + paragraph_calls(article) // 2
    assert set(report.meta.models) == {"judge"}
    rating_prompt = next(prompt_text(p) for p in model.prompts if "A, B, C, D" in prompt_text(p))
    assert "[c1-r1-skeptic] Skeptic: Which cities?" in rating_prompt


@pytest.mark.parametrize("options", [{}, {"rating_judge": "checklist"}])
def test_judge_async_variant_matches(article, options):
    """judge() and ajudge() write the same report from the same transcript and replies (the
    clock aside), asking the same questions; options reach both."""
    sync_model, async_model = ScriptedChatModel(judge_reply()), ScriptedChatModel(judge_reply())
    reports = [
        judge(article, CLAIMS, TRANSCRIPT, sync_model, **options).model_dump(),
        asyncio.run(ajudge(article, CLAIMS, TRANSCRIPT, async_model, **options)).model_dump(),
    ]
    for report in reports:
        del report["meta"]["started_at"], report["meta"]["duration_s"]
    assert reports[0] == reports[1]
    # Concurrent calls finish in either order: the same questions, as a multiset.
    asked = [sorted(map(prompt_text, m.prompts)) for m in (sync_model, async_model)]
    assert asked[0] == asked[1]
    assert reports[0]["rating"]["judge"] == options.get("rating_judge", "debate")


def test_a_turn_that_echoes_the_previous_one_is_asked_for_again(article):
    echoed = (
        'As the advocate in round one: "cut traffic deaths by half within five years", '
        "cities with lanes saw fewer deaths overall."
    )

    def skeptic(messages):
        if "Your first draft repeated an earlier turn" in prompt_text(messages):
            # It names its speaker, as the scripted turns do for the side check (tests/fakes).
            return text_reply(
                'The skeptic: the cited cities also cut speed limits: "The plan costs twelve '
                'million dollars."'
            )
        return text_reply(echoed)

    def advocate(messages):
        return text_reply(echoed)

    models = scripted_models()
    models.advocate = ScriptedChatModel(picks_evidence(advocate))
    models.skeptic = ScriptedChatModel(picks_evidence(skeptic))
    report, _ = run(article, models, rounds=1, max_claims=2)
    turns = {t.role: t for t in report.debate if t.claim_id == "c1"}
    assert turns["skeptic"].content.startswith("The skeptic: the cited cities also cut speed")
    # The retry argues from the evidence already picked: no second pick.
    retries = [
        prompt_text(p)
        for p in models.skeptic.prompts
        if "Your first draft repeated an earlier turn" in prompt_text(p)
    ]
    assert len(retries) == 2  # one per claim
    retry = next(r for r in retries if "Claim c1 under debate" in r)
    assert f"<evidence>\n{turns['skeptic'].evidence.text}\n</evidence>" in retry
    # The retry is sampled with a fixed seed (at temperature 0 it came back the same); the
    # first drafts and the questions are not.
    sampled = [
        (kwargs, "Your first draft repeated an earlier turn" in prompt_text(p))
        for kwargs, p in zip(models.skeptic.sampling, models.skeptic.prompts, strict=True)
    ]
    assert [k for k, is_retry in sampled if is_retry] == [RETRY_SAMPLING, RETRY_SAMPLING]
    assert not any("seed" in k or "temperature" in k for k, is_retry in sampled if not is_retry)
    # The 6 move questions about the content-free sentence, then two claims, each an evidence
    # pick (asked in both orders), the 6 move questions, the first draft and the retry.
    assert len(models.skeptic.prompts) == report.meta.usage["skeptic"].calls == 6 + 2 * 10
    assert report.meta.usage["advocate"].calls == 3 + 2 * (2 + 3 + 1)


def test_turns_restating_their_claim_are_not_asked_again(article):
    """Two turns that share mostly the claim's own words, each framed its own way, are a
    debate about that claim, not a copy: no retry."""
    claims = {c["text"].rstrip(".").lower() for c in CLAIM_ARGS}

    def restating(opening: str, closing: str):
        def reply(messages):
            text = prompt_text(messages)
            claim = next(c for c in claims if c in text.lower())
            return text_reply(f"{opening} {claim}, {closing}")

        return reply

    # Half of each sentence's word 4-grams are the claim's: an echo if the claim counted.
    models = scripted_models()
    models.advocate = ScriptedChatModel(picks_evidence(restating("Yes:", "as shown.")))
    models.skeptic = ScriptedChatModel(picks_evidence(restating("No:", "it says.")))
    report, _ = run(article, models, rounds=1, max_claims=2)
    assert all(
        "Your first draft repeated an earlier turn" not in prompt_text(p)
        for p in models.skeptic.prompts
    )
    skeptic = next(t for t in report.debate if t.claim_id == "c1" and t.role == "skeptic")
    assert skeptic.content == "No: bike lanes will halve traffic deaths, it says."


def _step(messages) -> tuple[str, str | None]:
    """What a debater's call is: a move question (with its sentence), an evidence pick, or
    the turn's sentence."""
    if asked := move_asked(messages):
        return "move", asked[1]
    if evidence_letters(messages):
        return "evidence", None
    return ("sentence" if "Reply with that one sentence" in prompt_text(messages) else "?"), None


def offered_lines(messages) -> list[str]:
    """The options an evidence pick offers, in the order offered."""
    return re.findall(r"^[A-H]\. (.+)$", prompt_text(messages[1:]), re.MULTILINE)


def run_with_debaters(article: str, debater):
    """A 1-claim, 2-round run whose advocate and skeptic answer with `debater(role)`."""
    models = scripted_models()
    models.advocate = ScriptedChatModel(debater("advocate"))
    models.skeptic = ScriptedChatModel(debater("skeptic"))
    report, _ = run(article, models, rounds=2, max_claims=1)
    return report, models


def test_each_turn_argues_from_an_article_sentence_it_picked_by_letter(article):
    offered: dict[str, list[list[str]]] = {"advocate": [], "skeptic": []}

    in_article = [" ".join(s.split()) for s in sentences_of(article)]

    def debater(role):
        def reply(messages):
            if letters := evidence_letters(messages):
                lines = offered_lines(messages)
                offered[role].append(lines)
                # The fake prefers, wherever it stands, the second offered in article order.
                second = sorted(lines, key=in_article.index)[1]
                pairs = zip(letters, lines, strict=True)
                return option_reply({x: 0.7 if line == second else 0.3 / 5 for x, line in pairs})
            return picks_evidence(debater_reply)(messages)

        return reply

    report, models = run_with_debaters(article, debater)
    first, second = (t for t in report.debate if t.role == "advocate")
    skeptic_first = next(t for t in report.debate if t.role == "skeptic")
    # Round 1 offers the article's own sentences (a short article: all six to the skeptic; to
    # the advocate all but the claim's own, no evidence for itself), in its order, then asks
    # again with them reversed.
    own = next(s for s in in_article if "cut traffic deaths by half" in s)
    round_1, reversed_1, round_2, reversed_2 = offered["advocate"]
    assert round_1 == [s for s in in_article if s != own] and reversed_1 == round_1[::-1]
    assert offered["skeptic"][0] == in_article
    # The most probable sentence is the evidence; it is the article's, so verified.
    assert first.evidence == Quote(text=round_1[1], verified=True)
    # After the run's move questions about the content-free sentence, the turn's evidence is
    # picked, its move questions are asked about that sentence, then its sentence is written
    # from the evidence.
    steps = [_step(p) for p in models.advocate.prompts[:9]]
    assert steps == [("move", CONTENT_FREE)] * 3 + [("evidence", None)] * 2 + [
        ("move", first.evidence.text)
    ] * 3 + [("sentence", None)]
    assert f"<evidence>\n{first.evidence.text}\n</evidence>" in prompt_text(
        models.advocate.prompts[8]
    )
    # The skeptic answers a turn that shows its move and what it cited.
    skeptic_prompt = prompt_text(models.skeptic.prompts[6 + 2 + 6])
    assert _step(models.skeptic.prompts[6 + 2 + 6]) == ("sentence", None)
    assert (
        "[c1-r1-advocate] Advocate (move: direct evidence: data, a document or a named source), "
        f'citing "{first.evidence.text}":'
    ) in skeptic_prompt
    assert skeptic_first.evidence.text == offered["skeptic"][0][1]
    # Round 2 does not offer the advocate its round-1 evidence again.
    assert first.evidence.text not in round_2 and reversed_2 == round_2[::-1]
    assert len(round_2) == 4 and own not in round_2
    assert second.evidence.text == round_2[1] != first.evidence.text


def test_both_debaters_pick_their_evidence_before_the_round_in_one_order_then_the_other(
    article,
):
    # Both picks are sent one after the other in each order: where they offer the same
    # sentences, a prefix-caching server reads them once per order, not once per debater.
    in_article = [" ".join(s.split()) for s in sentences_of(article)]
    log: list[tuple[str, str, str | None]] = []

    def debater(role):
        def reply(messages):
            step, about = _step(messages)
            if step == "evidence":
                lines = offered_lines(messages)
                ordered = lines == sorted(lines, key=in_article.index)
                about = "as offered" if ordered else "reversed"
            log.append((role, step, about))
            return picks_evidence(debater_reply)(messages)

        return reply

    report, _ = run_with_debaters(article, debater)
    assert [t.id for t in report.debate if t.role != "judge"] == [
        f"c1-r{r}-{role}" for r in (1, 2) for role in ("advocate", "skeptic")
    ]
    picks = [
        ("advocate", "evidence", "as offered"),
        ("skeptic", "evidence", "as offered"),
        ("advocate", "evidence", "reversed"),
        ("skeptic", "evidence", "reversed"),
    ]
    turns = [(role, step) for role, step, _ in log if step == "sentence"]
    # Each round: the four picks, then the advocate's turn, then the skeptic's.
    rounds = [i for i, entry in enumerate(log) if entry == picks[0]]
    assert len(rounds) == 2 and turns == [("advocate", "sentence"), ("skeptic", "sentence")] * 2
    for start in rounds:
        assert log[start : start + 4] == picks
        rest = [entry[:2] for entry in log[start + 4 :] if entry[1] == "sentence"]
        assert rest[:2] == [("advocate", "sentence"), ("skeptic", "sentence")]
    # No pick between a round's first turn and its second.
    first_sentence = log.index(("advocate", "sentence", None))
    second_sentence = log.index(("skeptic", "sentence", None))
    assert all(e[1] != "evidence" for e in log[first_sentence:second_sentence])


def test_each_analysis_paragraph_rests_on_a_sentence_the_analyst_picked(article):
    """The analyst picks, by letter, the sentence that shows the weakness most clearly: the
    sentences the skeptics attacked dealt out among the findings, then the article's closest to
    each checklist question, no sentence offered to two findings; the paragraph is written
    from its pick and carries it."""
    models = scripted_models()
    report, _ = run(article, models, rounds=1, max_claims=2)
    picks = [p for p in models.judge.prompts if "each with a letter" in prompt_text(p)]
    paragraphs = [p for p in models.judge.prompts if "Role: analyst. Does" in prompt_text(p)]
    assert len(picks) == 2 * len(paragraphs) == 2 * len(report.analysis) == 4
    attacked = list(dict.fromkeys(t.evidence.text for t in report.debate if t.role == "skeptic"))
    offered: dict[str, list[list[str]]] = {}
    for p in picks:
        finding = re.search(r"weakness of the article: (.+)", prompt_text(p)).group(1)
        lines = re.findall(r"^[A-H]\. (.+)$", prompt_text(p[1:]), re.MULTILINE)
        offered.setdefault(finding, []).append(lines)
    # Each finding's pick is asked twice, the second time with its sentences reversed.
    assert all(len(asked) == 2 and asked[1] == asked[0][::-1] for asked in offered.values())
    names = {i.id: i.item.lower() for i in report.checklist}
    first, second = (offered[names[p.item]][0] for p in report.analysis)
    assert first[0] == attacked[0]  # the skeptics' first target goes to the first finding
    assert not set(first) & set(second)
    for sentences in (first, second):
        assert 1 <= len(sentences) <= 6
        assert all(" ".join(s.split()) in " ".join(article.split()) for s in sentences)
    # The fake picks A, whatever stands first: a tie between the first and the last offered,
    # which goes to the first. Each paragraph carries its own sentence.
    assert [p.evidence.text for p in report.analysis] == [first[0], second[0]]
    assert all(p.evidence.verified for p in report.analysis)
    for paragraph in paragraphs:
        assert any(
            f"<evidence>\n{s[0]}\n</evidence>" in prompt_text(paragraph) for s in (first, second)
        )


def test_no_checklist_answers_means_no_analysis_and_no_model_call():
    from debate_eval.debate.agents.judge.analysis import write_analysis
    from debate_eval.debate.agents.judge.parts import Parts

    model = ScriptedChatModel(reply=[])  # any call would fail: the script is empty
    parts = Parts("An article of a few words, in one sentence only.", model, "json_text")
    assert asyncio.run(write_analysis(parts, [], [], [])) == []
    assert model.prompts == [] and parts.problems == []


def _pastes_article(text: str, article: str) -> str:
    return "Yes. " + article


def _lists_claims(text: str, article: str) -> str:
    listed = text.split("The claims the debate was about:", 1)[1].split("The sentence")[0]
    return "Yes. But that was never the point.\n\n" + listed.strip()


@pytest.mark.parametrize("first_draft", [_pastes_article, _lists_claims])
def test_an_analysis_paragraph_pasting_what_it_read_is_asked_again(article, first_draft):
    """A paragraph that pastes the article's sentences (outside quote marks), or the claims
    from its prompt (a small model's way of filling one), is asked for once more, told why;
    the second, analysed draft is kept."""
    asked: list[str] = []

    def pastes_first(messages):
        text = prompt_text(messages[1:])
        asked.append(text)
        if "copied the article's sentences or the claims" in text:
            return analyst_reply(messages)
        return text_reply(first_draft(text, article))

    claims = [
        Claim(id=f"c{i}", text=text, passage=text, verdict="supported", decisive_point="-")
        for i, text in enumerate(
            (
                "The new bike lanes will cut traffic deaths by half within five years.",
                "The federal grant pays for the whole plan without local taxes.",
            ),
            start=1,
        )
    ]
    report = judge(
        article, claims, TRANSCRIPT, ScriptedChatModel(judge_reply(analyst=pastes_first))
    )
    # Two findings, each drafted twice: the retry names the problem.
    assert len(asked) == 4
    assert sum("copied the article's sentences or the claims" in a for a in asked) == 2
    assert [p.text for p in report.analysis] == [ANALYST_TEXT, OTHER_ANALYST_TEXT]
    assert report.meta.problems == []


def test_an_analysis_paragraph_copying_the_article_twice_is_left_out_and_said(article):
    model = ScriptedChatModel(judge_reply(analyst=lambda m: text_reply("Yes. " + article)))
    report = judge(article, CLAIMS, TRANSCRIPT, model)
    assert report.analysis == []
    copied = "left out, it copied the article's sentences or the claims twice"
    assert report.meta.problems == [
        f"analysis (promotes_one_side): {copied}",
        f"analysis (opposing_views_fair): {copied}",
    ]
    # The rating never depends on the prose.
    assert report.rating.label == REPORT["rating"]["label"]


def test_the_paragraph_probes_likeliest_paragraphs_are_its_findings_first_evidence(article):
    """The persuasion question names the paragraphs it found likeliest (`signs`); the analyst
    is offered their sentences first when that finding is written up."""
    persuasive = (
        "Only a fool could back this reckless, shameful plan that the council rammed through."
    )
    text = f"{article}\n\n{persuasive}\n\nThe vote was seven to two, the clerk said on Monday."
    model = ScriptedChatModel(judge_reply(probe_yes={"shameful plan": 0.95, "<paragraph>": 0.6}))
    report = judge(text, CLAIMS, TRANSCRIPT, model)
    item = next(i for i in report.checklist if i.id == "persuasive_paragraphs")
    assert item.applies and item.probability == pytest.approx((0.95 + 0.6 + 0.6) / 3, abs=1e-3)
    assert item.signs[0] == persuasive and len(item.signs) == 3
    picks = [p for p in model.prompts if "each with a letter" in prompt_text(p)]
    finding = item.item.lower()
    asked = [p for p in picks if f"weakness of the article: {finding}" in prompt_text(p)]
    lines = re.findall(r"^[A-H]\. (.+)$", prompt_text(asked[0][1:]), re.MULTILINE)
    assert lines[0] == persuasive
    paragraph = next(p for p in report.analysis if p.item == "persuasive_paragraphs")
    assert paragraph.evidence.text == persuasive


def test_a_calibration_on_the_paragraph_questions_alone_shows_the_rating_before_the_probes(
    article, tmp_path
):
    """When the calibration reads only what the screener's reading gives, the label and
    confidence reach the live view before any whole-article question is asked, and the report's
    rating (after the probes) has that label and confidence."""
    from debate_eval.debate.runner import RatingKnown
    from debate_eval.debate.scoring.calibration import (
        fit,
        judge_prompts_sha256,
        write_calibration,
    )
    from debate_eval.models.chat import model_name

    models = scripted_models()
    calibration = fit(
        [{"persuasive_paragraphs": p} for p in (0.1, 0.15, 0.2, 0.3, 0.05, 0.25, 0.4, 0.35)],
        [False, False, True, True, False, False, True, True],
        judge="checklist",
        model=model_name(models.judge),
        prompts_sha256=judge_prompts_sha256("checklist"),
        features=["persuasive_paragraphs"],
    )
    write_calibration(calibration, path := tmp_path / "paragraphs.json")
    asked_when = {}

    async def network():  # a model call takes time: the live view runs meanwhile
        await asyncio.sleep(0.001)

    models.judge.gate = network

    def on_event(event):
        asked = [prompt_text(p) for p in models.judge.prompts]
        asked_when[type(event).__name__] = sum("Question about the article:" in a for a in asked)
        events.append(event)

    events = []
    options = RunOptions(rounds=1, max_claims=1, rating_judge="checklist", calibration=str(path))
    report = asyncio.run(arun_debate(article, models, options, on_event=on_event))

    known, measured = events[0], events[1]
    assert isinstance(known, RatingKnown) and isinstance(measured, RatingMeasured)
    # Shown before the ten whole-article questions; the findings came with them.
    assert asked_when == {**asked_when, "RatingKnown": 0, "RatingMeasured": 10}
    # The fake answers 0.2 for every paragraph: P from that alone, the same in the report.
    p = calibration.probability({"persuasive_paragraphs": 0.2})
    assert known.rating.label == calibration.label(p)
    strongly = known.rating.label == "Appears strongly imbalanced"
    assert known.rating.confidence == pytest.approx(p if strongly else 1 - p, abs=1e-4)
    assert (known.rating.label, known.rating.confidence) == (
        report.rating.label,
        report.rating.confidence,
    )
    assert [i.id for i in known.rating.checklist] == ["persuasive_paragraphs"]
    assert len(measured.rating.checklist) == 11


def test_a_calibration_reading_the_probes_waits_for_them(article, tmp_path):
    """The shipped design reads the whole-article probes' mean: no early rating then."""
    from debate_eval.debate.runner import RatingKnown

    models = scripted_models()
    report, events = run(article, models, rating_judge="checklist", rounds=1, max_claims=1)
    assert not any(isinstance(e, RatingKnown) for e in events)
    assert isinstance(events[0], RatingMeasured) and report.rating.label is not None


def test_the_reports_parts_are_capped_near_their_length_limits(article):
    """Each prose part is sent a cap on its reply near the length it is cut to anyway."""
    import json

    from debate_eval.debate.agents.judge.analysis import FINDING_MAX_TOKENS
    from debate_eval.debate.agents.judge.explanation import EXPLANATION_MAX_TOKENS
    from debate_eval.debate.agents.judge.writer import SUMMARY_MAX_TOKENS, TOPICS_MAX_TOKENS

    judged = judge_reply()

    def reply(messages):  # the summary and topics as JSON in text (the embedded backend's way)
        text = prompt_text(messages)
        if "Role: research guide" in text:
            return text_reply(json.dumps({"topics": REPORT["research_topics"]}))
        if "Role: summariser" in text:
            return text_reply(json.dumps({"points": REPORT["summary"]}))
        return judged(messages)

    model = ScriptedChatModel(reply)
    report = judge(article, CLAIMS, TRANSCRIPT, model, method="json_text")
    assert report.research_topics == REPORT["research_topics"] and report.analysis
    caps = {}
    for kwargs, prompt in zip(model.sampling, model.prompts, strict=True):
        text = prompt_text(prompt)
        for part in ("Role: research guide", "Role: summariser", "Role: chief judge"):
            if part in text:
                caps[part] = kwargs.get("max_tokens")
        if "write one paragraph" in text:
            caps["Role: analyst"] = kwargs.get("max_tokens")
    assert caps == {
        "Role: research guide": TOPICS_MAX_TOKENS,
        "Role: summariser": SUMMARY_MAX_TOKENS,
        "Role: chief judge": EXPLANATION_MAX_TOKENS,
        "Role: analyst": FINDING_MAX_TOKENS,
    }
    assert max(caps.values()) < 400  # the role's limit is 900
    # A model whose replies are not read as plain text (function calling: a remote model, maybe
    # one that reasons first) keeps the role's limit.
    remote = ScriptedChatModel(judged)
    judge(article, CLAIMS, TRANSCRIPT, remote)
    prose = [
        kwargs
        for kwargs, prompt in zip(remote.sampling, remote.prompts, strict=True)
        if "Role: chief judge" in prompt_text(prompt)
        or "write one paragraph" in prompt_text(prompt)
    ]
    assert prose and not any("max_tokens" in kwargs for kwargs in prose)


def test_an_analysis_paragraph_restating_its_own_point_keeps_it_once():
    from debate_eval.debate.agents.judge.checks import without_repeated_sentences

    # A real paragraph of the embedded model on the example op-ed (2026-12-06).
    point = "which implies that CUDA is no longer a barrier to writing fast GPU kernels."
    first = f"The article also implies that Triton democratizes kernel writing, {point}"
    again = [
        f"The article also implies that the CUDA moat is already drained, {point}",
        f"The article also implies that NVIDIA's premium is a tax on inertia, {point}",
    ]
    opening = "The article promotes one side. It states that Triton makes CUDA optional."
    assert without_repeated_sentences(" ".join([opening, first, *again])) == f"{opening} {first}"
    # Nothing repeated: the text is left as written, its paragraph breaks too.
    two_parts = f"{opening}\n\n{first}"
    assert without_repeated_sentences(two_parts) == two_parts
    # A repeat is cut where it stands, not where its words first appear; breaks are kept.
    said, other = opening.split(". ")[0] + ".", "Only the plan's backers are quoted in it."
    assert without_repeated_sentences(f"{said}\n\n{other} {said}") == f"{said}\n\n{other}"
    tail = "CUDA is no longer a barrier to writing fast GPU kernels."
    text = f"Triton makes kernels easy, so {tail} {other} {tail}"
    assert without_repeated_sentences(text) == f"Triton makes kernels easy, so {tail} {other}"
    # Quoting one article sentence twice is not a repeat.
    quoted = '"The CUDA moat is drained, they say, for most of the models." '
    text = f"One sentence says {quoted}Another sentence adds {quoted}"
    assert without_repeated_sentences(text) == text.strip()


def test_the_report_keeps_an_analysts_point_once(article):
    again = " The plan's backers alone are quoted, so the reader hears one side of the plan."

    def analyst(messages):
        return text_reply(analyst_reply(messages).content + again + again.replace("alone", "only"))

    report = judge(article, CLAIMS, TRANSCRIPT, ScriptedChatModel(judge_reply(analyst=analyst)))
    assert report.analysis
    for paragraph in report.analysis:
        assert paragraph.text.count("so the reader hears one side of the plan") == 1


class InFlight(ScriptedChatModel):
    """A scripted model that notes, for each call, how many calls were in flight (its own and
    those of the models sharing its `counter`)."""

    counter: dict = {}  # noqa: RUF012 - a pydantic field, shared between models
    seen: list = []  # noqa: RUF012 - a pydantic field: (prompt text, calls in flight)

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs):
        self.counter["now"] = self.counter.get("now", 0) + 1
        self.seen.append((prompt_text(messages), self.counter["now"]))
        try:
            await asyncio.sleep(0.002)  # long enough for calls asked together to overlap
            return self._generate(messages, stop=stop, **kwargs)
        finally:
            self.counter["now"] -= 1


def in_flight_models(**fields):
    """scripted_models() whose models note the calls in flight, all on one counter."""
    from dataclasses import replace

    models = scripted_models()
    counter: dict = {}
    roles = ("extractor", "advocate", "skeptic", "claim_judge", "judge")
    wrapped = {r: InFlight(getattr(models, r).reply, seen=[], counter=counter) for r in roles}
    return replace(models, **wrapped, **fields)


@pytest.mark.parametrize("slots", [1, None])
def test_a_run_keeps_to_one_call_in_flight_on_one_server_slot(article, slots):
    """With the embedded server's one slot, the whole run, every role together, has one call
    in flight at a time (in the order asked); with no slots known, calls asked together are
    in flight together."""
    models = in_flight_models(call_slots=slots)
    report, _ = run(article, models, rounds=1, max_concurrency=2)
    assert len(report.claims) == 3
    peak = max(n for r in ("advocate", "skeptic", "claim_judge", "judge")
               for _, n in getattr(models, r).seen)  # fmt: skip
    assert peak == 1 if slots else peak > 1


def test_on_two_server_slots_the_reading_and_rating_go_one_call_at_a_time(article):
    """With the embedded server's two slots, the screener's and the rating probes' calls still
    go one at a time (the answers one slot gives), while the report's parts run two at a
    time; and the debate's shared prefix is read once and copied into every slot before its
    calls fan out."""
    from langchain_core.messages import HumanMessage

    from debate_eval.debate.prompts import context_message

    shared: list[int] = []

    async def share() -> None:
        shared.append(len(models.advocate.prompts))

    models = in_flight_models(call_slots=2, share_prompt_cache=share)
    report, _ = run(article, models, rounds=1, max_concurrency=2)
    assert len(report.claims) == 3

    def kind(text: str) -> str:
        if "Role: screener" in text or "Role: reader" in text:
            return "reading"
        return "probe" if "Question about the article" in text else "report"

    in_flight: dict[str, list[int]] = {"reading": [], "probe": [], "report": []}
    for text, n in models.judge.seen:
        in_flight[kind(text)].append(n)
    reading, probes, others = in_flight["reading"], in_flight["probe"], in_flight["report"]
    assert len(reading) == paragraph_calls(article) and len(probes) == 10
    assert max(reading) == max(probes) == 1
    assert max(others) == 2  # the report's parts, asked together, two at a time
    # The first advocate call reads the debate's opening alone, one token; then it is shared.
    assert models.advocate.prompts[0] == [
        context_message(article, debate=True),
        HumanMessage(content=""),
    ]
    assert models.advocate.sampling[0]["max_tokens"] == 1
    assert shared == [1]
    # Its cost is the move baselines' phase's: the prefix read (1,500 tokens) and 9 questions.
    baselines = report.meta.timing["move baselines"].usage
    assert baselines.calls == 10 and baselines.input_tokens >= 1500
