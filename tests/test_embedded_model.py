"""The real embedded model: llama.cpp server process, real HTTP, real weights (slow)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import jsonschema
import pytest
from langchain_core.messages import HumanMessage

from debate_eval.core.quotes import quotes_in
from debate_eval.core.schemas import RATING_LABELS, ClaimRuling
from debate_eval.models.calls import ask_structured, ask_text
from debate_eval.models.chat import RoleSettings, build_chat_model

pytestmark = pytest.mark.embedded

ROOT = Path(__file__).resolve().parents[1]
SHORT = ROOT / "examples" / "short-remote-work-oped.md"
MODEL = "qwen2.5-coder-1.5b"


def cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    return subprocess.run(
        [sys.executable, "-m", "debate_eval", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.fixture(scope="module")
def served():
    """`debate-eval serve` in the background: runs in this module reuse it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "debate_eval", "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = None
    for line in proc.stdout:
        if line.startswith("Serving "):
            base_url = line.split(" at ", 1)[1].split()[0]
            break
    assert base_url, "debate-eval serve did not start"
    yield base_url
    proc.terminate()
    proc.wait(timeout=30)


def model(base_url: str, max_tokens: int):
    return build_chat_model(
        RoleSettings(model=MODEL, base_url=base_url, max_tokens=max_tokens, timeout_s=300)
    )


def test_token_cap_holds_on_the_real_server(served):
    # langchain-openai sends the cap as max_completion_tokens; the server must honour it.
    prompt = [HumanMessage(content="Write a long essay about the history of railways.")]
    _text, usage = asyncio.run(ask_text(model(served, 12), prompt, role="advocate"))
    assert 0 < usage.output_tokens <= 12


@pytest.mark.parametrize("method", ["json_text", "json_mode"])
def test_structured_output_parses_on_the_real_server(served, method):
    """The embedded profile's JSON in plain text, and JSON mode with the schema as a grammar.
    (Function calling is not forced on this engine: asked to call ClaimRuling by name, the
    model answered in text, twice. It is left to servers that honour a named tool_choice.)"""
    prompt = [
        HumanMessage(
            content=(
                "Claim: 'Remote work is always more productive.' "
                "The only evidence is an unnamed study. Rule on the claim."
            )
        )
    ]
    ruling, usage = asyncio.run(
        ask_structured(model(served, 150), prompt, ClaimRuling, role="claim_judge", method=method)
    )
    # A sweeping claim resting on one unnamed study: a ruling that it is supported is wrong.
    assert ruling.verdict in ("contested", "unsupported"), ruling
    assert usage.calls in (1, 2)


def test_label_probabilities_come_from_the_real_servers_logprobs(served):
    from debate_eval.debate.scoring.checklist import PROBES, run_probes
    from debate_eval.debate.scoring.rating import rate_article

    article = SHORT.read_text()
    dist = asyncio.run(rate_article(article, model(served, 50)))
    assert dist.method == "logprobs"
    assert list(dist.probabilities) == list(RATING_LABELS)
    assert sum(dist.probabilities.values()) == pytest.approx(1, abs=1e-4)
    assert all(0 <= p <= 1 for p in dist.probabilities.values())
    assert 1 <= dist.score <= 4
    items, usage = asyncio.run(run_probes(article, model(served, 50), probes=PROBES[:2]))
    assert [i.method for i in items] == ["logprobs", "logprobs"]
    assert all(0 <= i.probability <= 1 for i in items)
    # One-token calls: the server generated one token per probe.
    assert usage.calls == 2 and usage.output_tokens <= 2


def test_the_server_has_the_slots_of_the_profile(served):
    from debate_eval.embedded.weights import get_local_model

    props = httpx.get(served.removesuffix("/v1") + "/props", timeout=10).json()
    assert props["total_slots"] == get_local_model(MODEL).slots


@pytest.fixture(scope="module")
def three_slots():
    """A server with three parallel slots (the profile's default is one)."""
    from dataclasses import replace

    from debate_eval.embedded.server import start, stop
    from debate_eval.embedded.weights import get_local_model

    process, base_url = start(replace(get_local_model(MODEL), slots=3))
    yield base_url
    stop(process)


def test_a_read_article_is_shared_with_every_slot(three_slots):
    """After share_cached_prompt, calls that start together on the same article each find it
    cached, whichever slot they land on."""
    from debate_eval.embedded.server import share_cached_prompt

    served = three_slots
    props = httpx.get(served.removesuffix("/v1") + "/props", timeout=10).json()
    assert props["total_slots"] == 3

    article = " ".join(SHORT.read_text().split()[:250])
    system = {
        "role": "system",
        "content": f"You review articles.\n<article>\n{article}\n</article>",
    }

    async def ask(client: httpx.AsyncClient, question: str) -> dict:
        body = {"model": MODEL, "max_tokens": 1,
                "messages": [system, {"role": "user", "content": question}]}  # fmt: skip
        reply = await client.post(f"{served}/chat/completions", json=body)
        reply.raise_for_status()
        return reply.json()["timings"]

    async def scenario() -> list[dict]:
        async with httpx.AsyncClient(timeout=600) as client:
            first = await ask(client, "What is the topic? One word.")
            await share_cached_prompt(served)
            together = await asyncio.gather(
                *(ask(client, f"Question {i}: is it one-sided? One word.") for i in range(3))
            )
        return [first, *together]

    first, *together = asyncio.run(scenario())
    # All but the question's tokens (a question is under 25 tokens; the article over 250).
    prefix = first["cache_n"] + first["prompt_n"] - 25
    for timings in together:
        assert timings["cache_n"] >= prefix, timings


def test_doctor_reports_the_embedded_backend(served):
    result = cli("doctor", timeout=300)
    assert result.returncode == 0, result.stderr
    assert "backend: embedded llama.cpp server" in result.stdout
    assert "check: the model answered" in result.stdout


def test_run_without_key_writes_a_contract_valid_report(served, tmp_path):
    out = tmp_path / "r.json"
    result = cli(
        "run",
        str(SHORT),
        "--max-claims",
        "2",
        "--rounds",
        "1",
        "--format",
        "json",
        "--output",
        str(out),
        "--quiet",
        # On a slow 2-core machine (prompts read at 12-17 tokens/s) the run takes 10-20 minutes.
        timeout=1800,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    jsonschema.validate(report, json.loads(cli("schema").stdout))
    assert len(report["summary"]) == 3
    assert 1 <= len(report["claims"]) <= 2
    assert set(report["meta"]["models"].values()) == {MODEL}
    roles = [t["role"] for t in report["debate"]]
    assert roles.count("advocate") == roles.count("skeptic") == len(report["claims"])
    rating = report["rating"]
    # The default on the embedded model: the checklist judge with its shipped calibration.
    assert rating["judge"] == "checklist"
    assert rating["calibration"].startswith(f"checklist on {MODEL}, fitted on semeval2019")
    # Label and confidence are that calibration's P(strongly imbalanced) of the report's own
    # checklist answers ("strongly" from its threshold up).
    from debate_eval.debate.scoring.calibration import shipped_calibrations

    [shipped] = [c for c in shipped_calibrations() if (c.judge, c.model) == ("checklist", MODEL)]
    weakness = {i["id"]: i["probability"] for i in report["checklist"]}
    weakness["opposing_views_fair"] = 1 - weakness["opposing_views_fair"]  # "no" is the weakness
    paragraphs = weakness.pop("persuasive_paragraphs")
    weakness.pop("addresses_ai")  # asked, but not part of the probes' mean
    p = shipped.probability(
        {"checklist": sum(weakness.values()) / len(weakness), "persuasive_paragraphs": paragraphs}
    )
    assert rating["label"] == shipped.label(p)
    assert rating["confidence"] == pytest.approx(p if p >= shipped.threshold else 1 - p, abs=1e-4)
    assert report["meta"]["probabilities_method"] == "logprobs"
    # Ten whole-article questions (nine scored) and the paragraph question.
    assert len(report["checklist"]) == 11
    # The answer first: the rating was measured right after screening, before the claims.
    timing = report["meta"]["timing"]
    assert list(timing)[:3] == ["screening", "rating", "extraction"]
    # Each paragraph asked both questions, question by question on the server's prefix cache:
    # each question's worked examples (about 440 tokens, in every call) are evaluated once, at
    # its first paragraph, so the cache answered most of what the screener sent, as llama.cpp's
    # own counts say (0.76 of it on this 7-paragraph article, 2026-12-04; a cache that kept
    # nothing between calls would answer none).
    screening = timing["screening"]["usage"]
    asked = [u for u in report["reading"]["units"] if u["probabilities"]]
    assert asked and all(
        set(u["probabilities"]) == {"addressed_to_ai", "persuasive"} for u in asked
    )
    assert screening["calls"] == 2 * len(asked)
    assert screening["cached_tokens"] > 0.7 * screening["input_tokens"]
    turns = {t["id"]: t for t in report["debate"]}
    for claim in report["claims"]:
        probabilities = claim["verdict_probabilities"]
        assert claim["verdict"] == max(probabilities, key=probabilities.get)
        # The claim judge's three probes, and the move that decided the claim: a debater's turn.
        assert set(claim["probes"]) == {"evidence", "view_against", "opinion_as_fact"}
        assert turns[claim["decisive_turn"]]["role"] in ("advocate", "skeptic")
    # Every debater turn makes one of its role's moves, side-checked unless it concedes.
    from debate_eval.core.moves import MOVES

    debaters = [t for t in report["debate"] if t["role"] != "judge"]
    for turn in debaters:
        assert turn["move"] in MOVES[turn["role"]]
        # Read from one question per move of its role (the concession has none).
        assert set(turn["move_probabilities"]) == set(MOVES[turn["role"]]) - {"concede"}
        assert (turn["argues_for"] is None) == (turn["move"] == "concede")
    checked = [t for t in debaters if t["argues_for"] is not None]
    if checked:
        on_side = [(t["argues_for"] >= 0.5) == (t["role"] == "advocate") for t in checked]
        assert report["meta"]["role_fidelity"] == pytest.approx(sum(on_side) / len(on_side))
    # Every turn and analysis paragraph rests on an article sentence the model picked by letter.
    picked = [t["evidence"] for t in report["debate"] if t["role"] != "judge"]
    picked += [p["evidence"] for p in report["analysis"]]
    assert len(picked) > len(report["analysis"]) >= 1
    for evidence in picked:
        assert quotes_in(f'"{evidence["text"]}"', SHORT.read_text())[0].verified


def test_eval_on_two_dev_articles(served, tmp_path):
    out = tmp_path / "eval"
    result = cli(
        "eval",
        str(ROOT / "tests" / "data" / "semeval-dev-pair.jsonl"),
        "--limit",
        "2",
        "--judges",
        "baseline,debate",
        "--no-swap",
        "--max-claims",
        "1",
        "--rounds",
        "1",
        "--out",
        str(out),
        timeout=1800,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    # Both debates finish on the real model, and the probability-scored debate judge rates both.
    assert (summary["debates"]["count"], summary["debates"]["failed"]) == (2, 0)
    assert summary["judges"]["debate"]["unscored"] == 0
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert sorted((r["article_id"], r["judge"]) for r in rows) == sorted(
        (a, j) for a in summary["judges"]["debate"]["ratings"] for j in ("baseline", "debate")
    )
    for row in rows:
        # The generated-label baseline may fail to name a label; then it says why.
        assert row["rating"] in RATING_LABELS or (
            row["judge"] == "baseline" and row["unscored_reason"]
        )
    assert {r["settings"]["judge"]["model"] for r in rows} == {MODEL}
    assert {r["settings"]["judge"]["structured_method"] for r in rows} == {"json_text"}
    debate_rows = [r for r in rows if r["judge"] == "debate" and r["rating"]]
    for row in debate_rows:
        assert sum(row["probabilities"].values()) == pytest.approx(1, abs=1e-4)
        assert {"score", "verdict_share"} <= set(row["features"])
    assert (out / "report.html").stat().st_size > 0
