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

from tests.conftest import free_port
from tests.fakes import paragraph_calls

ROOT = Path(__file__).resolve().parents[1]
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
    if "Role: reader" in first:
        return "screener"
    if "Question about the article:" in last:
        return "probe"
    if "Which verdict fits claim" in last:
        return "verdict"
    for marker, kind in (
        ("Role: claim extractor", "extractor"),
        ("Role: advocate.", "advocate pick"),
        ("Role: advocate, round", "advocate"),
        ("Role: skeptic.", "skeptic pick"),
        ("Role: skeptic, round", "skeptic"),
        ("Role: claim judge", "ruling"),
        ("rating how balanced the article is", "rating"),
        ("Role: summariser", "summary"),
        ("Role: chief judge", "explanation"),
        ("Role: research guide", "topics"),
        ("Role: analyst. Which", "analyst pick"),
        ("Role: analyst. Does", "analyst"),
    ):
        if marker in last:
            return kind
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
    # Every request the server saw, by what it asked: counted from the log, against what the
    # run must ask (2 claims x 2 rounds, each turn after its evidence pick asked in both
    # orders; one paragraph per checklist finding that applies, at most four).
    kinds = Counter(asked(r) for r in requests)
    findings = min(4, sum(i["applies"] for i in report["checklist"])) or 1
    assert kinds == {
        "screener": paragraph_calls(OP_ED.read_text()),
        "probe": 9,
        "extractor": 1,
        "advocate pick": 8,
        "advocate": 4,
        "skeptic pick": 8,
        "skeptic": 4,
        "ruling": 2,
        "verdict": 2,
        "rating": 1,
        "summary": 1,
        "explanation": 1,
        "topics": 1,
        "analyst pick": 2 * findings,
        "analyst": findings,
    }
    # The report's own accounting agrees with the server's log.
    usage = report["meta"]["usage"]
    assert sum(u["calls"] for u in usage.values()) == len(requests)
    assert usage["screener"]["calls"] == kinds["screener"]
