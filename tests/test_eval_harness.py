"""The eval harness with scripted models: resume, caching, stored transcripts, unscored, report."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage

from debate_eval.core.errors import ConfigError
from debate_eval.core.schemas import RATING_LABELS
from debate_eval.evaluation.command import EvalRequest, run_evaluation
from debate_eval.evaluation.models import EvalModels
from debate_eval.evaluation.store import ResultsStore, StoreCache
from debate_eval.models.backend import Backend
from debate_eval.models.chat import RoleSettings
from debate_eval.models.settings import Settings
from tests.conftest import ARTICLE
from tests.fakes import (
    CLAIMS,
    LETTER_OF,
    ScriptedChatModel,
    judge_reply,
    option_reply,
    prompt_text,
    scripted_models,
    tool_reply,
)

WELL, SLIGHT, MODERATE, STRONG = RATING_LABELS
BACKEND = Backend("openai", Settings(api_key="test"))
DEBATE_MARK = "The debates (each turn starts with its id in square brackets)"


def write_dataset(path: Path, labels: list[str]) -> Path:
    rows = [
        {
            "id": f"a{i}",
            "title": f"Article {i}",
            "text": f"{ARTICLE} Edition {i}.",
            "label": label,
            "source": "https://example.org",
        }
        for i, label in enumerate(labels)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


class Cast:
    """Scripted models for an eval; counts every call and can script ratings per judge."""

    def __init__(self, rating_for=None, report_label: str = MODERATE) -> None:
        self.calls: list[list] = []
        self.rating_for = rating_for or (lambda text: STRONG if "Edition 0" in text else WELL)
        self.report_label = report_label

    def judge_reply(self, messages):
        self.calls.append(messages)
        text = prompt_text(messages)
        last = str(messages[-1].content)
        if "Answer with exactly one of: A, B, C, D." in last:
            # The debate judge's rating call carries the debate; baseline-prob's does not.
            label = self.report_label if DEBATE_MARK in last else self.rating_for(text) or WELL
            return option_reply({k: 0.7 if k == LETTER_OF[label] else 0.1 for k in "ABCD"})
        if "Answer with exactly one of: yes, no." in last:
            p = 0.9 if "Edition 0" in text else 0.1
            return option_reply({"yes": p, "no": 1 - p})
        rating = self.rating_for(text)
        if rating is None:
            return tool_reply("RatingDraft", {"label": "Fair", "explanation": "short"})
        explanation = "The article gives one side of the story and few sources."
        return tool_reply("RatingDraft", {"label": rating, "explanation": explanation})

    def models(self, cache, concurrency):
        debate = scripted_models()
        debate.extractor = ScriptedChatModel(
            lambda m: self._count(m, tool_reply("ExtractedClaims", {"claims": CLAIMS}))
        )
        report = judge_reply()
        debate.judge = ScriptedChatModel(lambda m: self._count(m, report(m)))
        yield EvalModels(
            debate=debate,
            judge_base=RoleSettings(model="scripted"),
            make_judge_model=lambda settings: ScriptedChatModel(self.judge_reply),
            structured_method="function_calling",
            article_concurrency=2,
        )

    def _count(self, messages, reply):
        self.calls.append(messages)
        return reply

    def factory(self):
        return contextlib.contextmanager(self.models)


def evaluate(tmp_path: Path, cast: Cast, **kwargs) -> dict:
    from rich.console import Console

    request = EvalRequest(
        dataset=kwargs.pop("dataset", None)
        or write_dataset(
            tmp_path / "dev.jsonl", ["hyperpartisan", "not_hyperpartisan", "not_hyperpartisan"]
        ),
        judges=kwargs.pop("judges", "baseline,debate,panel"),
        out=tmp_path / "out",
        **kwargs,
    )
    return run_evaluation(request, BACKEND, Console(file=open("/dev/null", "w")), cast.factory())


def rows(tmp_path: Path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "out/results.jsonl").read_text().splitlines()]


def test_metrics_per_judge_and_files_written(tmp_path):
    cast = Cast()
    summary = evaluate(tmp_path, cast)
    assert set(summary["judges"]) == {"baseline", "debate", "panel"}
    baseline = summary["judges"]["baseline"]
    assert baseline["accuracy"] == 1.0  # edition 0 is hyperpartisan and rated strongly
    assert baseline["confusion"]["matrix"] == [[1, 0], [0, 2]]
    debate = summary["judges"]["debate"]
    assert debate["ratings"] == {"a0": MODERATE, "a1": MODERATE, "a2": MODERATE}
    assert debate["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert debate["swap_consistency"] == 1.0
    assert summary["judges"]["panel"]["accuracy"] == 1.0
    assert summary["debates"]["count"] == 6  # 3 articles x both speaking orders
    out = rows(tmp_path)
    # baseline and panel once per article; the debate judge on both speaking orders.
    assert len(out) == 3 + 3 + 3 * 2
    debate_row = next(r for r in out if r["judge"] == "debate")
    assert set(debate_row["settings"]["debate"]["prompts_sha256"]) >= {"advocate", "skeptic"}
    assert debate_row["settings"]["debate"]["rounds"] == 2
    panel_row = next(r for r in out if r["judge"] == "panel")
    assert len(panel_row["votes"]) == 3
    # Ordinal alpha across the three judges' ratings (baseline and panel: strongly, well, well;
    # debate: moderately throughout), computed here from those ratings directly.
    import krippendorff

    alpha = krippendorff.alpha(
        reliability_data=[[3, 0, 0], [2, 2, 2], [3, 0, 0]],
        level_of_measurement="ordinal",
        value_domain=[0, 1, 2, 3],
    )
    summary_file = json.loads((tmp_path / "out/summary.json").read_text())
    assert summary_file["alpha"] == pytest.approx(alpha, abs=1e-4)
    assert summary_file["alpha"] == pytest.approx(0.479, abs=1e-3)


def test_rerun_resumes_without_a_single_model_call(tmp_path):
    cast = Cast()
    first = evaluate(tmp_path, cast)
    made = len(cast.calls)
    assert made > 0
    second = evaluate(tmp_path, cast)
    assert len(cast.calls) == made
    assert second["judges"] == first["judges"]
    assert len(rows(tmp_path)) == 12


def test_judges_rate_the_stored_transcript(tmp_path):
    cast = Cast()
    evaluate(tmp_path, cast, judges="debate", swap=False)
    store = ResultsStore(tmp_path / "out/results.sqlite")
    stored = store.debates()
    store.close()
    assert {d.article_id for d in stored} == {"a0", "a1", "a2"}
    turn_ids = [t.id for t in stored[0].transcript.debate]
    judge_prompts = [prompt_text(m) for m in cast.calls if DEBATE_MARK in prompt_text(m)]
    # Stored debates carry no report of their own: only the harness's debate judge rates them.
    assert len(judge_prompts) == 3
    assert all(f"[{tid}]" in judge_prompts[-1] for tid in turn_ids[:2])


def test_unparseable_ratings_are_unscored_not_wrong(tmp_path):
    cast = Cast(rating_for=lambda text: None if "Edition 1" in text else WELL)
    summary = evaluate(tmp_path, cast, judges="baseline")
    baseline = summary["judges"]["baseline"]
    assert baseline["unscored"] == 1 and baseline["scored"] == 2
    assert baseline["accuracy"] == 0.5  # a0 wrong (hyperpartisan rated well), a2 right
    assert any("RatingDraft" in reason for reason in baseline["unscored_reasons"])
    unscored = next(r for r in rows(tmp_path) if r["article_id"] == "a1")
    assert unscored["rating"] is None and unscored["correct"] is None


def test_repeats_measure_self_consistency(tmp_path):
    seen: dict[str, int] = {}

    def varying(text: str) -> str:
        seen[text] = seen.get(text, 0) + 1
        return WELL if seen[text] % 2 else STRONG

    cast = Cast(rating_for=varying)
    summary = evaluate(tmp_path, cast, judges="baseline", repeats=2)
    assert summary["judges"]["baseline"]["self_consistency"] == 0.5
    temps = {r["settings"]["judge"]["temperature"] for r in rows(tmp_path)}
    assert temps == {0.7}


def test_html_report_has_every_judge_and_inline_images(tmp_path):
    evaluate(tmp_path, Cast())
    html = (tmp_path / "out/report.html").read_text()

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__()
            self.judges, self.images, self.articles = [], [], []

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "tr" and "data-judge" in a:
                self.judges.append(a["data-judge"])
            if tag == "img":
                self.images.append(a["src"])
            if tag == "details":
                self.articles.append(a["id"])

    parser = Collect()
    parser.feed(html)
    assert parser.judges == ["baseline", "debate", "panel"]
    assert len(parser.images) == 4  # three confusion matrices and the agreement heatmap
    assert all(s.startswith("data:image/png;base64,") for s in parser.images)
    assert parser.articles == ["a0", "a1", "a2"]
    assert "[c1-r1-advocate]" in html


def test_directional_labels_are_flagged_as_a_weak_check(tmp_path):
    data = write_dataset(tmp_path / "lean.jsonl", ["left", "center", "right"])
    summary = evaluate(tmp_path, Cast(), judges="baseline", dataset=data, labels="allsides")
    assert summary["label_mapping"]["weak_directional_check"] is True
    assert "Weak directional check" in (tmp_path / "out/report.html").read_text()


def test_llm_calls_are_cached_by_request_content(tmp_path):
    store = ResultsStore(tmp_path / "cache.sqlite")
    cache = StoreCache(store)
    calls = []

    def reply(messages):
        calls.append(messages)
        return tool_reply("x", {})

    model = ScriptedChatModel(reply, cache=cache)
    ask = [HumanMessage(content="rate this")]
    asyncio.run(model.ainvoke(ask))
    asyncio.run(model.ainvoke(ask))
    asyncio.run(model.ainvoke([HumanMessage(content="rate that")]))
    assert len(calls) == 2 and cache.hits == 1
    assert store.cache_size() == 2
    store.close()


def test_judges_from_a_config_file_with_their_own_prompt_and_panel(tmp_path):
    (tmp_path / "strict.md").write_text(
        "Role: {persona}. Rate strictly. Labels: {labels}. Return the rating."
    )
    config = tmp_path / "judges.toml"
    config.write_text(
        '[judges.strict]\nkind = "baseline"\nprompt = "strict.md"\ntemperature = 0.2\n'
        'persona = "a strict editor"\n\n'
        '[judges.duo]\nkind = "panel"\nmembers = ["strict", "debate"]\n'
    )
    cast = Cast(rating_for=lambda text: STRONG if "Rate strictly" in text else WELL)
    summary = evaluate(tmp_path, cast, judges="strict,duo", judge_config=config, swap=False)
    assert summary["judges"]["strict"]["ratings"]["a1"] == STRONG
    # duo: strict says strongly, debate says moderately -> tie -> lower median: moderately.
    assert summary["judges"]["duo"]["ratings"]["a1"] == MODERATE
    row = next(r for r in rows(tmp_path) if r["judge"] == "strict")
    assert row["settings"]["judge"]["temperature"] == 0.2
    assert row["settings"]["judge"]["persona"] == "a strict editor"
    duo = next(r for r in rows(tmp_path) if r["judge"] == "duo")
    assert [m["kind"] for m in duo["settings"]["judge"]["members"]] == ["baseline", "debate"]


def test_a_rerun_refreshes_stored_debate_features_from_the_stored_debate(tmp_path):
    """A judgment stored before a debate feature or rule changed reads the features a fresh
    judging computes from its stored debate, in both speaking orders, without a model call;
    a judge that does not read the debate keeps its stored features."""
    from debate_eval.debate.rating import DEBATE_FEATURES

    cast = Cast()
    judges = "baseline-prob,debate"
    evaluate(tmp_path, cast, judges=judges, swap=True)
    fresh = {(r["article_id"], r["judge"], r["speaking_order"]): r for r in rows(tmp_path)}
    made = len(cast.calls)
    store = ResultsStore(tmp_path / "out/results.sqlite")
    for article, judge, order in fresh:
        key = row_key(store, article, judge, order)
        found = store.judgment(article, judge, 0, order, key)
        # As an older version stored it: a stale verdict share, an old rule's answer, and
        # none of the debate's other features; a stray one on the judge without the debate.
        kept = {k: v for k, v in found.features.items() if k not in DEBATE_FEATURES}
        stale = {**kept, "verdict_share": 0.123, "skeptic_upheld": 0.777}
        store.save_judgment(replace(found, features=stale), key)
    store.close()
    evaluate(tmp_path, cast, judges=judges, swap=True)
    assert len(cast.calls) == made
    again = {(r["article_id"], r["judge"], r["speaking_order"]): r for r in rows(tmp_path)}
    orders = {order for (_, judge, order) in again if judge == "debate"}
    assert orders == {"advocate_first", "skeptic_first"}
    for where, row in again.items():
        if where[1] == "debate":
            assert row["features"] == fresh[where]["features"]
            assert "skeptic_loaded_wording" in row["features"]
        else:  # baseline-prob reads no debate: its stored features stand, stale or not
            assert row["features"]["verdict_share"] == 0.123


def row_key(store: ResultsStore, article: str, judge: str, order: str) -> str:
    query = "SELECT settings_key FROM judgments WHERE article_id=? AND judge=? AND speaking_order=?"
    return store._execute(query, (article, judge, order))[0][0]


def test_probability_scored_judges_report_scores_and_cross_validated_quality(tmp_path):
    labels = ["hyperpartisan", "not_hyperpartisan"] * 5
    data = write_dataset(tmp_path / "ten.jsonl", labels)
    cast = Cast(rating_for=lambda text: STRONG if "Edition 0" in text else SLIGHT)
    summary = evaluate(
        tmp_path, cast, judges="baseline-prob,checklist,debate", dataset=data, swap=False
    )
    out = rows(tmp_path)
    prob = next(r for r in out if r["judge"] == "baseline-prob" and r["article_id"] == "a0")
    assert prob["rating"] == STRONG
    assert prob["probabilities"][STRONG] == pytest.approx(0.7)
    assert prob["score"] == pytest.approx(0.1 + 0.2 + 0.3 + 2.8)
    assert prob["features"] == {"score": pytest.approx(3.4)}
    assert prob["probabilities_method"] == "logprobs"
    checklist = next(r for r in out if r["judge"] == "checklist" and r["article_id"] == "a0")
    # the scored probes, their mean and the paragraph probe's mean
    assert len(checklist["features"]) == 9 + 1 + 1
    assert 0 < checklist["features"]["persuasive_paragraphs"] < 1
    # Edition 0 answers yes to all: every weakness applies but "opposing views are fair".
    assert checklist["features"]["checklist"] == pytest.approx((8 * 0.9 + 0.1) / 9, abs=1e-5)
    debate = next(r for r in out if r["judge"] == "debate" and r["article_id"] == "a1")
    assert {"score", "verdict_share"} <= set(debate["features"])
    scored = summary["judges"]["baseline-prob"]["probability_scored"]
    assert scored["articles"] == 10
    # Only edition 0 is told apart: 1 of 5 hyperpartisan above every other article.
    assert scored["raw_auc"]["score"] == pytest.approx(0.6)
    # Its interval: at least one draw of that article in most resamples, rarely four.
    assert scored["raw_auc_ci95"]["score"] == (0.5, 0.8)
    cv = scored["cross_validation"]
    assert cv["folds"] == 5 and cv["articles"] == 10
    assert set(cv) >= {"balanced_accuracy", "balanced_accuracy_ci95", "auc", "auc_ci95", "brier"}
    html = (tmp_path / "out/report.html").read_text()
    row = 'data-feature="baseline-prob/score"><td>baseline-prob</td><td>score</td>\n'
    assert row + "<td>0.600 0.50–0.80</td>\n<td>10</td>" in html


def test_a_config_prompt_with_unknown_placeholders_is_refused(tmp_path):
    (tmp_path / "bad.md").write_text("Rate {article_text} with {labels}.")
    config = tmp_path / "judges.toml"
    config.write_text('[judges.bad]\nkind = "baseline"\nprompt = "bad.md"\n')
    with pytest.raises(ConfigError, match=r"judge bad: a baseline_judge prompt may use only"):
        evaluate(tmp_path, Cast(), judges="bad", judge_config=config)


def test_a_failed_debate_is_retried_and_judged_on_the_next_run(tmp_path):
    cast = Cast()
    failing = {"on": True}
    original = cast.models

    def models(cache, concurrency):
        for m in original(cache, concurrency):
            if failing["on"]:
                m.debate.extractor = ScriptedChatModel(
                    lambda msgs: (
                        tool_reply("Nope", {})
                        if "Edition 1" in prompt_text(msgs)
                        else tool_reply("ExtractedClaims", {"claims": CLAIMS})
                    )
                )
            yield m

    cast.models = models
    first = evaluate(tmp_path, cast, judges="debate", swap=False)
    assert first["judges"]["debate"]["ratings"]["a1"] is None
    assert first["debates"]["failed"] == 1
    failing["on"] = False
    second = evaluate(tmp_path, cast, judges="debate", swap=False)
    assert second["judges"]["debate"]["ratings"]["a1"] == MODERATE
    assert second["debates"]["failed"] == 0


def test_cache_keys_name_a_changing_endpoint_by_its_stable_alias(tmp_path):
    store = ResultsStore(tmp_path / "c.sqlite")
    cache = StoreCache(store)
    cache.aliases["http://127.0.0.1:4242/v1"] = "embedded:m"
    first = cache._key("p", '{"openai_api_base": "http://127.0.0.1:4242/v1"}')
    cache.aliases = {"http://127.0.0.1:5151/v1": "embedded:m"}
    assert cache._key("p", '{"openai_api_base": "http://127.0.0.1:5151/v1"}') == first
    store.close()


def test_judges_on_the_shared_endpoint_name_it_stably(tmp_path):
    from debate_eval.evaluation.config import EvalConfig, JudgeConfig, build_judges

    config = EvalConfig(judges={"far": JudgeConfig(kind="baseline", base_url="http://far/v1")})
    base = RoleSettings(model="m", base_url="http://127.0.0.1:4242/v1")
    judges = build_judges(
        ["baseline", "panel", "far"],
        config,
        base,
        lambda s: ScriptedChatModel([]),
        method="json_text",
        repeat=0,
        temperature=None,
        endpoint_label="embedded:m",
    )
    baseline, panel, far = judges
    assert baseline.endpoint == "embedded:m"
    assert {m.endpoint for m in panel.members} == {"embedded:m"}
    assert far.endpoint is None


def test_every_setting_that_changes_a_debate_changes_its_store_key(monkeypatch):
    from dataclasses import replace

    from debate_eval.core.claim_probes import CLAIM_PROBES
    from debate_eval.core.moves import SKEPTIC_MOVES
    from debate_eval.core.schemas import ROLES
    from debate_eval.debate.prompts import RETRY_NOTES
    from debate_eval.debate.runner import RunOptions
    from debate_eval.evaluation import harness
    from debate_eval.evaluation.harness import debate_settings
    from debate_eval.evaluation.store import settings_key
    from debate_eval.models.chat import build_role_models

    def key(options=None, **advocate):
        roles = {role: RoleSettings(model="m", api_key="k") for role in ROLES}
        roles["advocate"] = replace(roles["advocate"], **advocate)
        models = build_role_models(roles, "json_text")
        return settings_key(debate_settings(models, options or RunOptions()))

    base = key()
    changed = {
        "history window": key(RunOptions(history_turns=4)),
        "words per turn": key(RunOptions(words_per_turn=80)),
        "debater temperature": key(temperature=0.9),
        "debater token cap": key(max_tokens=123),
        "debater seed": key(seed=7),
    }
    monkeypatch.setitem(RETRY_NOTES, "echo", "Say something new.")
    changed["a turn's retry note"] = key()
    monkeypatch.undo()
    monkeypatch.setitem(SKEPTIC_MOVES, "one_case", "one example made a rule")
    changed["a move's label"] = key()
    monkeypatch.undo()
    monkeypatch.setitem(CLAIM_PROBES, "evidence", "Is this claim backed by data?")
    changed["a claim probe's question"] = key()
    monkeypatch.undo()
    real_prompt = harness.load_prompt

    def edited(name):
        return real_prompt(name) + (" Pick the longest." if name == "skeptic_evidence" else "")

    monkeypatch.setattr(harness, "load_prompt", edited)
    changed["the skeptic's evidence prompt"] = key()
    monkeypatch.undo()
    assert key() == base
    assert [name for name, k in changed.items() if k == base] == []
    assert len(set(changed.values())) == len(changed)
