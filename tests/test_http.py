"""The real path: ChatOpenAI over HTTP to an OpenAI-compatible server process on loopback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

from debate_eval.core.schemas import RATING_LABELS, Report
from debate_eval.inputs.article import load_article
from tests.fakes import (
    asked_paragraph,
    paragraph_calls,
    paragraph_calls_for_file,
    stub_debate_choices,
    worked_example_turns,
)

ROOT = Path(__file__).resolve().parents[1]
OP_ED = ROOT / "examples" / "pytorch-triton-cuda-oped.md"


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "debate_eval", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_run_over_http_with_function_calling(stub_server, tmp_path):
    out = tmp_path / "r.json"
    result = run_cli(
        "run",
        str(OP_ED),
        "--base-url",
        stub_server.base_url,
        "--model",
        "stub-model",
        "--judge-model",
        "stub-judge",
        "--max-claims",
        "3",
        "--format",
        "json",
        "--output",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    schema = json.loads(run_cli("schema").stdout)
    jsonschema.validate(report, schema)
    parsed = Report.model_validate(report)
    assert len(parsed.claims) == 3
    for claim in parsed.claims:  # each verdict is the most probable letter the server gave
        probabilities = claim.verdict_probabilities
        assert sum(probabilities.values()) == pytest.approx(1, abs=1e-9)
        assert claim.verdict == max(probabilities, key=probabilities.get)
    assert parsed.meta.models["judge"] == "stub-judge"
    assert parsed.meta.models["advocate"] == "stub-model"
    assert parsed.meta.usage["advocate"].input_tokens > 0

    requests = stub_server.requests()

    # What the stub's hash-based answers decide, read from the requests themselves (each kind
    # of call is told apart by its prompt's own words): a turn that conceded gets no side
    # check; a turn that argued the other side is written once more and checked once more; a
    # turn or a decisive point that copied an earlier turn is written once more.
    def asking(words: str) -> list[dict]:
        return [r for r in requests if words in r["messages"][-1]["content"]]

    conceded = len(asking("You concede this point on claim"))
    side_retries = len(asking("Your first draft argued the other side."))
    echo_retries = len(asking("Your first draft repeated an earlier turn."))
    point_retries = len(asking("Write in your own words, in one or two sentences, why the move"))
    # 3 claims x 2 rounds x 2 debaters (no debate stopped early: no skeptic conceded in round
    # 1 and every round added a point; the stub answers this article the same way every run).
    turns = 3 * 2 * 2
    assert not asking("Role: skeptic, round 1 of 2. You concede")
    # Each side check is asked in both orders.
    side_checks = 2 * (turns - conceded + side_retries)
    # ... and per claim, the side check of a content-free sentence (in both orders).
    assert len(asking("Role: side check.")) == side_checks + 3 * 2
    # One-token calls of the judge model, read from logprobs: the screener's two questions per
    # paragraph (to AI? to persuade?), the 10 whole-article checklist probes (9 scored +
    # addresses_ai, unscored) and the rating (10 + 1 = 11), the analyst's sentence pick per finding
    # (in both orders); the side check of each turn that did not concede (+ one per side retry;
    # each, and per claim one of a content-free sentence, in both orders); per claim 3 probes, the
    # decisive move (2 debater turns or more: both orders) and the verdict letter in three orders
    # (the debaters' evidence picks and move questions are the debater model's, checked below).
    scored = [r for r in requests if r.get("top_logprobs") and r["model"] == "stub-judge"]
    findings = sum("Role: analyst. Does" in r["messages"][-1]["content"] for r in requests)
    assert findings >= len(parsed.analysis) >= 1  # a paragraph repeating another is left out
    assert len(scored) == (
        paragraph_calls_for_file(OP_ED)
        + (10 + 1)
        + 2 * findings
        + side_checks
        + 3 * (2 + 3 + 2 + 3)
    )
    for r in scored:
        assert r["logprobs"] is True and r["top_logprobs"] == 20
        assert (r.get("max_tokens") or r.get("max_completion_tokens")) == 1
        assert r["model"] == "stub-judge"
    probabilities = parsed.rating.probabilities
    assert list(probabilities) == list(RATING_LABELS)
    assert sum(probabilities.values()) == pytest.approx(1)
    assert parsed.rating.label == max(probabilities, key=probabilities.get)
    assert parsed.meta.probabilities_method == "logprobs"
    # 9 scored probes + addresses_ai (unscored) + the paragraphs' persuasion question: 11
    assert len(parsed.checklist) == 9 + 1 + 1
    # Per finding: the analyst's sentence pick (two calls), then its paragraph.
    analysts = [r for r in requests if "Role: analyst" in r["messages"][-1]["content"]]
    assert len(analysts) == 3 * findings and 1 <= findings <= 4
    # extractor + the debaters' move questions about the content-free sentence (3 + 6, once) + 12
    # turns x (evidence pick in 2 calls + 1 sentence) + the move questions of 6 advocate turns (3
    # each) and 6 skeptic turns (6 each) + the side checks and the retries' sentences (side and
    # echo) + 3 claims x (the side check of a content-free sentence in 2 orders + 3 probes + 2
    # decisive-move calls + decisive point + verdict in three orders) + the point retries + the
    # judge's parts: 11 scored calls (10 probes + the rating letter), summary, explanation, research
    # topics, one call per finding and its sentence pick; the screener's two questions per
    # paragraph.
    paragraphs = paragraph_calls_for_file(OP_ED)
    assert len(requests) == (
        paragraphs
        + 1
        + (3 + 6)
        + turns * (2 + 1)
        + turns // 2 * (3 + 6)
        + side_checks
        + side_retries
        + echo_retries
        + 3 * (2 + 3 + 2 + 1 + 3)
        + point_retries
        + (10 + 1)
        + 3
        + len(analysts)
    )
    # Every turn argues from an article sentence picked by one-token letter calls: the same
    # options offered in one order, then reversed.
    picks = [r for r in requests if "each with a letter:" in r["messages"][-1]["content"]]
    picks = [r for r in picks if r["model"] == "stub-model"]  # the debaters'
    assert len(picks) == turns * 2
    # Its move is read from one-token yes/no questions about that sentence, the debater
    # model's: 3 per advocate turn, 6 per skeptic turn, and each once about the content-free
    # sentence ("N/A") for the whole run.
    questions = asking("Question about one sentence: ")
    asked_about = Counter(
        re.search(r"<sentence>\n(.*?)\n</sentence>", r["messages"][-1]["content"], re.DOTALL)[1]
        for r in questions
    )
    assert all(
        r["model"] == "stub-model"
        and r["logprobs"]
        and (r.get("max_tokens") or r.get("max_completion_tokens")) == 1
        for r in picks + questions
    )
    offered = [
        re.findall(r"^[A-H]\. (.+)$", r["messages"][-1]["content"], re.MULTILINE) for r in picks
    ]
    assert all(len(lines) >= 2 and lines[::-1] in offered for lines in offered)
    article = " ".join(load_article(str(OP_ED)).text.split())
    turns = [t for t in parsed.debate if t.role != "judge"]
    assert all(t.evidence.verified and t.evidence.text in article for t in turns)
    expected = Counter({"N/A": 3 + 6})
    for t in turns:
        expected[t.evidence.text] += 3 if t.role == "advocate" else 6
    assert asked_about == expected
    # The extractor, the summary and the topics; the claim judge asks no structured ruling.
    structured = [r for r in requests if r.get("tools")]
    assert len(structured) == 1 + 2
    for r in structured:
        # Forced function calling, never response_format json_schema.
        assert r["tool_choice"]["type"] == "function"
        assert "response_format" not in r
    names = [r["tools"][0]["function"]["name"] for r in structured]
    assert names[0] == "ExtractedClaims" and names[-2:] == ["SummaryDraft", "TopicsDraft"]
    assert len(parsed.summary) == 3 and len(parsed.research_topics) == 3
    # Judges run at temperature 0 with their own model; every call carries a token cap.
    judge_request = structured[-1]
    assert judge_request["model"] == "stub-judge"
    assert judge_request["temperature"] == 0
    assert all(r.get("max_tokens") or r.get("max_completion_tokens") for r in requests)
    # The article is the shared first message of every request (the prefix cache's friend),
    # followed by the move questions' worked examples in a debate's calls; and each paragraph
    # question's instructions are the first message of each of its calls: the screener's AI
    # question (prompts/screener.md) and the persuasion question (prompts/paragraph_probe.md),
    # each asked of every paragraph after its own file's worked examples, no question line.
    first = {json.dumps(r["messages"][0]) for r in requests}
    assert len(first) == 2 + 2
    by_prompt = {"screener": "Role: screener.", "paragraph_probe": "Role: reader."}
    asked: dict[str, list[str]] = {}
    for prompt, role in by_prompt.items():
        calls = [r for r in requests if r["messages"][0]["content"].startswith(role)]
        assert len(calls) == paragraph_calls_for_file(OP_ED) // 2
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        prefix = [{"role": roles[k], "content": c} for k, c in worked_example_turns(prompt)]
        assert len(prefix) == 1 + 2 * 6  # the instructions and 6 worked examples
        for r in calls:
            *head, last = r["messages"]
            assert [{"role": m["role"], "content": m["content"]} for m in head] == prefix
            paragraph = re.fullmatch(
                r"<paragraph>\n(.*)\n</paragraph>\n\nAnswer with exactly one of: yes, no\.",
                last["content"],
                re.DOTALL,
            )
            assert paragraph is not None, last["content"]
            assert last["content"] == asked_paragraph(paragraph.group(1))
            asked.setdefault(prompt, []).append(paragraph.group(1))
    # Both questions about the same paragraphs, each paragraph once per question.
    assert sorted(asked["screener"]) == sorted(asked["paragraph_probe"])
    assert len(set(asked["screener"])) == len(asked["screener"])


def run_short(stub_server, tmp_path, method: str) -> Report:
    """A 2-claim, 1-round run over HTTP with structured output by `method`."""
    out = tmp_path / "r.json"
    result = run_cli(
        "run",
        str(OP_ED),
        "--base-url",
        stub_server.base_url,
        "--max-claims",
        "2",
        "--rounds",
        "1",
        "--format",
        "json",
        "--output",
        str(out),
        "--quiet",
        env={"DEBATE_EVAL_STRUCTURED_METHOD": method},
    )
    assert result.returncode == 0, result.stderr
    return Report.model_validate_json(out.read_text())


def test_run_over_http_with_json_mode(stub_server, tmp_path):
    run_short(stub_server, tmp_path, "json_mode")
    structured = [r for r in stub_server.requests() if r.get("response_format")]
    assert structured and all(r["response_format"]["type"] == "json_object" for r in structured)
    assert all("tools" not in r for r in stub_server.requests())


def test_run_over_http_with_json_in_plain_text(stub_server, tmp_path):
    report = run_short(stub_server, tmp_path, "json_text")
    assert [c.id for c in report.claims] == ["c1", "c2"]
    requests = stub_server.requests()
    # No grammar anywhere: no tools, no response_format; the schema travels in the prompt.
    assert all("tools" not in r and "response_format" not in r for r in requests)
    with_schema = [r for r in requests if "JSON Schema:" in r["messages"][-1]["content"]]
    # The extractor, the summary and the topics: the claim judge asks no structured ruling.
    assert len(with_schema) == 1 + 2
    analysts = [r for r in requests if "Role: analyst" in r["messages"][-1]["content"]]

    conceded, side_retries, retries = stub_debate_choices(requests)
    # extractor, the move questions about the content-free sentence (3 advocate + 6 skeptic), 2
    # claims x (the side check of a content-free sentence in 2 orders + 1 round x (the advocate's 2
    # evidence + 3 move questions + 1 sentence, the skeptic's 2 evidence + 6 move questions + 1
    # sentence) + 3 probes + 2 decisive-move calls + decisive point + verdict in three orders), the
    # side checks of the 4 turns that did not concede (in both orders), 3 calls per side retry, the
    # echo retries; 10 probes (9 scored + addresses_ai) and the rating (10 + 1), summary,
    # explanation, topics, analysts; the screener's two questions per paragraph.
    paragraphs = paragraph_calls_for_file(OP_ED)
    assert len(requests) == (
        paragraphs
        + 1
        + (3 + 6)
        + 2 * (2 + (2 + 3 + 1) + (2 + 6 + 1) + 3 + 2 + 1 + 3)
        + 2 * (4 - conceded)
        + 3 * side_retries
        + retries
        + (10 + 1)
        + 3
        + len(analysts)
    )


def test_unreachable_server_fails_with_one_line(tmp_path, article_file):
    result = run_cli(
        "run",
        str(article_file),
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--timeout",
        "2",
    )
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(
        "error: screener: connection to http://127.0.0.1:9/v1 failed (ConnectionRefusedError: "
        "[Errno 111] Connect call failed ('127.0.0.1', 9)) after 3 attempts; to continue: "
        "debate-eval run --resume "
    )


def test_plain_judge_function_twice_over_keep_alive_http(stub_server):
    """judge() is synchronous; called twice with one model over a keep-alive server, its pooled
    connection must still belong to a live event loop."""
    from debate_eval.debate.agents.judge import judge
    from debate_eval.models.chat import RoleSettings, build_chat_model
    from tests.test_graph import CLAIMS as claims
    from tests.test_graph import TRANSCRIPT

    model = build_chat_model(RoleSettings(model="stub", base_url=stub_server.base_url))
    article = OP_ED.read_text()
    first = judge(article, claims, TRANSCRIPT, model)
    calls = len(stub_server.requests())
    second = judge(article, claims, TRANSCRIPT, model)
    assert first.rating == second.rating
    assert calls == first.meta.usage["judge"].calls
    assert len(stub_server.requests()) == 2 * calls


def test_scored_calls_without_logprobs_fall_back_to_samples(tmp_path):
    """A server that ignores top_logprobs: each option question is sampled five times more,
    and the report says the probabilities were sampled."""
    from debate_eval.debate.agents.judge import judge
    from debate_eval.models.chat import RoleSettings, build_chat_model
    from debate_eval.testing.launch import launch_server
    from tests.test_graph import CLAIMS as claims
    from tests.test_graph import TRANSCRIPT

    log = tmp_path / "requests.jsonl"
    proc, base_url = launch_server("stub_server", "--no-logprobs", "--log", str(log))
    try:
        model = build_chat_model(RoleSettings(model="stub", base_url=base_url))
        report = judge(OP_ED.read_text(), claims, TRANSCRIPT, model)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert report.meta.probabilities_method == "sampled:5"
    assert {i.method for i in report.checklist} == {"sampled:5"}
    assert sum(report.rating.probabilities.values()) == pytest.approx(1)
    requests = [json.loads(line) for line in log.read_text().splitlines()]
    sampled = [r for r in requests if r.get("seed") is not None]
    # The rating and 10 whole-article probes (9 scored + addresses_ai: 1 + 10 = 11), the
    # persuasion question per paragraph (no screener here: judge()
    # reads the paragraphs itself, that question only) and the analyst's sentence pick for
    # each finding (in both orders): five samples each.
    picks = [
        r
        for r in requests
        if "each with a letter" in r["messages"][-1]["content"] and r.get("seed") is None
    ]
    assert 2 <= len(picks) <= 8 and len(picks) % 2 == 0
    assert len(sampled) == ((1 + 10) + paragraph_calls(OP_ED.read_text()) // 2 + len(picks)) * 5
    assert {r["temperature"] for r in sampled} == {1.0}
    assert sorted({r["seed"] for r in sampled}) == [0, 1, 2, 3, 4]
