"""LangGraph's server (what Studio talks to) serves the debate graph named in langgraph.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from debate_eval.core.moves import MOVE_QUESTIONS as MOVE_QUESTION_TEXT
from tests.conftest import free_port
from tests.fakes import QUESTION_MOVES, paragraph_calls

ROOT = Path(__file__).resolve().parents[1]
# The questions each debater is asked about a sentence, one per move it can make.
MOVE_QUESTIONS = {
    role: {MOVE_QUESTION_TEXT[kind].question for kind in kinds}
    for role, kinds in QUESTION_MOVES.items()
}
OP_ED = ROOT / "examples" / "short-remote-work-oped.md"


def server_config(folder: Path) -> Path:
    """The repository's langgraph.json with its paths made absolute, in `folder` (langgraph
    dev reads paths relative to its working folder, where it also writes its state)."""
    config = json.loads((ROOT / "langgraph.json").read_text())
    config["dependencies"] = [str(ROOT / d) for d in config["dependencies"]]
    config["graphs"] = {k: str(ROOT / v) for k, v in config["graphs"].items()}
    target = folder / "langgraph.json"
    target.write_text(json.dumps(config))
    return target


@pytest.fixture
def langgraph_server(tmp_path):
    port = free_port()
    log = (tmp_path / "langgraph-dev.log").open("w")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LANGSMITH_"))}
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("langgraph")),
            "dev",
            "--port",
            str(port),
            "--no-browser",
            "--no-reload",
            "--config",
            str(server_config(tmp_path)),
        ],
        # The server keeps its state (.langgraph_api/) in its working folder: not the repository.
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**env, "LANGSMITH_TRACING": "false"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, (tmp_path / "langgraph-dev.log").read_text()[-3000:]
        try:
            if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "langgraph dev did not start in 120 s"
        time.sleep(0.5)
    yield url
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def test_the_graph_langgraph_json_names_loads_as_the_debate_graph():
    import importlib.util

    config = json.loads((ROOT / "langgraph.json").read_text())
    assert list(config["graphs"]) == ["debate"]
    path, name = config["graphs"]["debate"].split(":")
    spec = importlib.util.spec_from_file_location("studio_entry", ROOT / path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    graph = getattr(module, name)()
    nodes = set(graph.get_graph().nodes)
    assert {"screen_article", "extract_claims", "debate", "judge"} <= nodes
    # The server can pass only JSON context: the graph builds its models from model/base_url.
    context = graph.builder.context_schema(model="m", base_url="http://127.0.0.1:9/v1")
    assert context.models.judge.model_name == "m"


def asked(request: dict) -> str:
    """What a logged request asks, by its role line (the last message's, else the first's)."""
    last, first = request["messages"][-1]["content"], request["messages"][0]["content"]
    # The screener's paragraph questions, each with its own prompt file: the AI question
    # (prompts/screener.md) and the persuasion question (prompts/paragraph_probe.md).
    if first.startswith("Role: screener."):
        return "screener AI question"
    if first.startswith("Role: reader."):
        return "screener persuasion question"
    if "Question about the article:" in last:
        return "probe"
    if "Which verdict fits claim" in last:
        return "verdict"
    if last.startswith("Question about one sentence: "):
        # A debater's move question: whose, by the question asked; about the content-free
        # sentence (once per run) or a turn's.
        question = last.removeprefix("Question about one sentence: ").split("\n", 1)[0]
        role = next(r for r, questions in MOVE_QUESTIONS.items() if question in questions)
        free = "<sentence>\nN/A\n</sentence>" in last
        return f"{role} move {'baseline' if free else 'question'}"
    for marker, kind in (
        # The claim judge's model: each turn's side check, then per claim its three probes,
        # the decisive-move pick, the decisive point (and its retry when it copied a turn).
        ("Role: side check.", "side check"),
        ("Question about claim", "claim probe"),
        ("Which one of these moves decided it", "decisive move pick"),
        ("Your reply copied turn", "decisive point retry"),
        ("Role: claim judge", "decisive point"),
        ("Role: claim extractor", "extractor"),
        ("Role: advocate.", "advocate pick"),
        ("Role: skeptic.", "skeptic pick"),
        ("rating how balanced the article is", "rating"),
        ("Role: summariser", "summary"),
        ("Role: chief judge", "explanation"),
        ("Role: research guide", "topics"),
        ("Role: analyst. Which", "analyst pick"),
        ("Role: analyst. Does", "analyst"),
    ):
        if marker in last:
            return kind
    # A debater's sentence: its first draft (a concession's included), or the draft asked
    # again because the first argued the other side or repeated an earlier turn.
    for role in ("advocate", "skeptic"):
        if f"Role: {role}, round" in last:
            if "Your first draft argued the other side." in last:
                return f"{role} side retry"
            if "Your first draft repeated an earlier turn." in last:
                return f"{role} echo retry"
            return f"{role} concession" if "You concede this point" in last else role
    return "unknown"


def test_langgraph_dev_runs_the_debate_through_the_sdk(langgraph_server, stub_server):
    from collections import Counter

    from langgraph_sdk import get_sync_client

    client = get_sync_client(url=langgraph_server)
    assert [a["graph_id"] for a in client.assistants.search()] == ["debate"]
    out = client.runs.wait(
        None,
        "debate",
        input={"article": OP_ED.read_text(), "rounds": 2, "max_claims": 2},
        context={"model": "stub-model", "base_url": stub_server.base_url, "rating_judge": "debate"},
    )
    report = out["report"]
    assert len(report["summary"]) == 3
    # The debate judge, uncalibrated on this model: the most probable of its four letters.
    rating = report["rating"]
    assert (rating["judge"], rating["calibration"]) == ("debate", None)
    probabilities = rating["probabilities"]
    assert rating["label"] == max(probabilities, key=probabilities.__getitem__)
    assert rating["confidence"] == pytest.approx(probabilities[rating["label"]], abs=1e-4)
    assert [c["id"] for c in out["claims"]] == ["c1", "c2"]
    turns = [(t["claim_id"], t["round"], t["role"]) for t in out["turns"] if t["role"] != "judge"]
    assert sorted(turns) == sorted(
        (c, r, role) for c in ("c1", "c2") for r in (1, 2) for role in ("advocate", "skeptic")
    )
    requests = stub_server.requests()
    assert {r["model"] for r in requests} == {"stub-model"}
    # Every request the server saw, by what it asked: counted from the log, against what the run
    # must ask: each debater's move questions about the content-free sentence once (3 and 6), 2
    # claims x 2 rounds, each debater's turn an evidence pick (asked in both orders), its move
    # questions about that sentence (3 or 6) and one sentence, the side check of every turn but a
    # concession (in both orders); per claim 3 probes, the decisive move among its 4 turns in both
    # orders, the decisive point and the verdict (in three orders); one paragraph per checklist
    # finding that applies, at most four. What the stub's hash-based answers decide is read off the
    # log: which turns concede (no side check), which are written again for arguing the other side
    # (one more sentence and one more side check) or for echoing a turn (one more sentence), and
    # whether a decisive point copying a turn is asked again.
    kinds = Counter(asked(r) for r in requests)
    findings = min(4, sum(i["applies"] for i in report["checklist"])) or 1
    conceded = {role: kinds[f"{role} concession"] for role in ("advocate", "skeptic")}
    side_retries = kinds["advocate side retry"] + kinds["skeptic side retry"]
    assert kinds == Counter(
        {
            # each question asked of every unit long enough: half the paragraph calls each
            "screener AI question": paragraph_calls(OP_ED.read_text()) // 2,
            "screener persuasion question": paragraph_calls(OP_ED.read_text()) // 2,
            # the rater's whole-article probes: 9 scored + addresses_ai (unscored)
            "probe": 9 + 1,
            "extractor": 1,
            "advocate pick": 2 * 2 * 2,
            "advocate move baseline": 3,
            "advocate move question": 2 * 2 * 3,
            "advocate": 2 * 2 - conceded["advocate"],
            "advocate concession": conceded["advocate"],
            "advocate side retry": kinds["advocate side retry"],
            "advocate echo retry": kinds["advocate echo retry"],
            "skeptic pick": 2 * 2 * 2,
            "skeptic move baseline": 6,
            "skeptic move question": 2 * 2 * 6,
            "skeptic": 2 * 2 - conceded["skeptic"],
            "skeptic concession": conceded["skeptic"],
            "skeptic side retry": kinds["skeptic side retry"],
            "skeptic echo retry": kinds["skeptic echo retry"],
            # in both orders; and per claim, of a content-free sentence
            "side check": 2 * (2 * 2 * 2 - sum(conceded.values()) + side_retries) + 2 * 2,
            "claim probe": 2 * 3,
            "decisive move pick": 2 * 2,
            "decisive point": 2,
            "decisive point retry": kinds["decisive point retry"],
            "verdict": 2 * 3,
            "rating": 1,
            "summary": 1,
            "explanation": 1,
            "topics": 1,
            "analyst pick": 2 * findings,
            "analyst": findings,
        }
    ), kinds
    # A side retry is asked only of a turn that was side-checked, at most once each.
    assert side_retries <= 2 * 2 * 2 - sum(conceded.values())
    # The report's own accounting agrees with the server's log.
    usage = report["meta"]["usage"]
    assert sum(u["calls"] for u in usage.values()) == len(requests)
    assert usage["screener"]["calls"] == (
        kinds["screener AI question"] + kinds["screener persuasion question"]
    )
