"""Tracing: every model call is named after its role, tagged and carries claim id and round;
LangSmith works with its standard environment variables; with tracing unset nothing leaves
the machine."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

from langchain_core.callbacks import BaseCallbackHandler

from debate_eval.debate.runner import RunOptions, arun_debate
from tests.conftest import stub_args
from tests.fakes import QUESTION_MOVES, scripted_models

OP_ED = Path(__file__).resolve().parents[1] / "examples" / "short-remote-work-oped.md"
ADVOCATE_QUESTIONS = QUESTION_MOVES["advocate"]
SKEPTIC_QUESTIONS = QUESTION_MOVES["skeptic"]


class Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.calls: list[dict] = []

    def on_chat_model_start(self, serialized, messages, *, tags=None, metadata=None, **kwargs):
        self.calls.append({"tags": tags or [], "metadata": metadata or {}})


def test_each_call_is_tagged_with_its_role_claim_and_round(article):
    recorder = Recorder()
    asyncio.run(arun_debate(article, scripted_models(), RunOptions(rounds=2), callbacks=[recorder]))
    by_role: dict[str, list[dict]] = {}
    for call in recorder.calls:
        assert "debate-eval" in call["tags"]
        by_role.setdefault(call["metadata"]["role"], []).append(call)
        assert f"role:{call['metadata']['role']}" in call["tags"]
    assert sorted(by_role) == [
        "advocate",
        "claim_judge",
        "extractor",
        "judge",
        "screener",
        "skeptic",
    ]
    # The screener's calls carry the unit and the question each asks: the fixture's article is
    # one paragraph on one line, so one unit (0), asked its two questions, each from its own
    # prompt file (written to AI? written to persuade?).
    assert sorted(
        (c["metadata"]["unit"], c["metadata"]["question"]) for c in by_role["screener"]
    ) == [
        (0, "addressed_to_ai"),
        (0, "persuasive"),
    ]
    expected = [
        (claim, round_, role)
        for claim in ("c1", "c2", "c3")
        for round_ in (1, 2)
        for role in ("advocate", "skeptic")
    ]
    # Once per run, each debater's move questions about the content-free sentence: tagged as
    # that part with the move asked, and no claim or round.
    questions = {"advocate": ADVOCATE_QUESTIONS, "skeptic": SKEPTIC_QUESTIONS}
    for role, kinds in questions.items():
        baseline = [c["metadata"] for c in by_role[role] if c["metadata"].get("part") == "baseline"]
        assert sorted(m["move"] for m in baseline) == sorted(kinds)
        assert not any("claim_id" in m or "round" in m for m in baseline)
    # Each turn: its evidence pick (tagged as that part) asked in two orders, its role's move
    # questions (tagged as that part with the move asked, no order), then its sentence (no
    # part, no order). The scripted debaters never concede and always add a point, so every
    # claim gets both rounds.
    for part in ("evidence", None):
        for order in (None,) if part is None else ("as offered", "reversed"):
            calls = sorted(
                (c["metadata"]["claim_id"], c["metadata"]["round"], role)
                for role in ("advocate", "skeptic")
                for c in by_role[role]
                if c["metadata"].get("part") == part and c["metadata"].get("order") == order
            )
            assert calls == expected, (part, order)
    moves = sorted(
        (c["metadata"]["claim_id"], c["metadata"]["round"], role, c["metadata"]["move"])
        for role in ("advocate", "skeptic")
        for c in by_role[role]
        if c["metadata"].get("part") == "move"
    )
    assert moves == sorted(
        (claim, round_, role, kind) for claim, round_, role in expected for kind in questions[role]
    )
    assert not any(
        "order" in c["metadata"]
        for role in questions
        for c in by_role[role]
        if c["metadata"].get("part") == "move"
    )
    # The claim judge's model checks the side of each turn (tagged with the turn's claim and
    # round), then per claim: 3 probes + the decisive move in 2 orders + the decisive point +
    # the verdict letter (3 orders), all at the debate's last round (2).
    judged = by_role["claim_judge"]

    def tagged(part: str) -> list[tuple[str, int]]:
        return sorted(
            (c["metadata"]["claim_id"], c["metadata"]["round"])
            for c in judged
            if c["metadata"].get("part") == part
        )

    claims = ("c1", "c2", "c3")
    # Each turn's side check is asked in both orders: 2 turns a round, 2 calls a check.
    assert tagged("side check") == [
        (claim, r) for claim in claims for r in (1, 1, 1, 1, 2, 2, 2, 2)
    ]
    assert tagged("side baseline") == [(claim, 1) for claim in claims for _ in range(2)]
    assert tagged("probe") == [(claim, 2) for claim in claims for _ in range(3)]
    assert tagged("decisive_move") == [(claim, 2) for claim in claims for _ in range(2)]
    assert tagged("decisive_point") == [(claim, 2) for claim in claims]
    assert tagged("verdict") == [(claim, 2) for claim in claims for _ in range(3)]
    probes = sorted(
        (c["metadata"]["claim_id"], c["metadata"]["probe"])
        for c in judged
        if c["metadata"].get("part") == "probe"
    )
    assert probes == sorted(
        (claim, probe)
        for claim in claims
        for probe in ("evidence", "view_against", "opinion_as_fact")
    )
    orders = sorted(
        (c["metadata"]["claim_id"], c["metadata"]["order"])
        for c in judged
        if c["metadata"].get("part") == "decisive_move"
    )
    assert orders == [(claim, o) for claim in claims for o in ("as offered", "reversed")]
    # Per claim: 4 side checks (2 calls each) + 3 probes + 2 decisive-move picks + point +
    # verdict (3 orders) + the side check of a content-free sentence (2 orders) = 19 calls.
    assert sorted(c["metadata"]["claim_id"] for c in judged) == [
        claim for claim in claims for _ in range(19)
    ]


def _cli_env(tmp_path: Path, **extra: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LANGSMITH_", "LANGCHAIN_", "OPENAI_"))
    }
    return {**env, "DEBATE_EVAL_DATA_DIR": str(tmp_path / "data"), **extra}


# Runs the CLI with every non-loopback connection refused and written down.
BLOCKER = """
import runpy, socket, sys
attempts = open(sys.argv.pop(1), "a")
real_connect = socket.socket.connect
def connect(self, address):
    host = address[0] if isinstance(address, tuple) else str(address)
    if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1",
                                                                       "localhost"):
        attempts.write(f"{host}\\n"); attempts.flush()
        raise OSError("network blocked by the test")
    return real_connect(self, address)
socket.socket.connect = connect
socket.socket.connect_ex = lambda self, address: connect(self, address) or 0
sys.argv[0] = "debate-eval"
runpy.run_module("debate_eval", run_name="__main__")
"""


def test_with_tracing_unset_nothing_leaves_loopback(stub_server, tmp_path):
    attempts = tmp_path / "attempts.txt"
    attempts.touch()
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            BLOCKER,
            str(attempts),
            "run",
            str(OP_ED),
            *stub_args(stub_server),
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=_cli_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "## Balance rating" in result.stdout
    assert attempts.read_text() == ""
    assert len(stub_server.requests()) >= 5


class _LangSmith(BaseHTTPRequestHandler):
    """Just enough of the LangSmith API to accept batches of runs."""

    protocol_version = "HTTP/1.1"
    posted: ClassVar[list[dict]] = []

    def log_message(self, format, *args):
        return

    def _reply(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        config = {
            "use_multipart_endpoint": False,
            "scale_up_qsize_trigger": 1000,
            "scale_up_nthreads_limit": 16,
            "scale_down_nempty_trigger": 4,
            "size_limit": 100,
            "size_limit_bytes": 20_971_520,
        }
        self._reply({"version": "test", "batch_ingest_config": config})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.startswith("/runs/batch"):
            batch = json.loads(body)
            self.posted.extend(batch.get("post", []) + batch.get("patch", []))
        self._reply({})

    do_PATCH = do_POST


def test_langsmith_receives_tagged_runs_with_the_standard_variables(stub_server, tmp_path):
    _LangSmith.posted = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LangSmith)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "debate_eval", "run", str(OP_ED), *stub_args(stub_server), "-q"],
            capture_output=True,
            text=True,
            timeout=120,
            env=_cli_env(
                tmp_path,
                LANGSMITH_TRACING="true",
                LANGSMITH_ENDPOINT=f"http://127.0.0.1:{server.server_address[1]}",
                LANGSMITH_API_KEY="ls-test-key",
                LANGSMITH_PROJECT="debate-eval-tests",
            ),
        )  # fmt: skip
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    llm_runs = [r for r in _LangSmith.posted if r.get("run_type") == "llm" and r.get("tags")]
    roles = {
        tag.removeprefix("role:") for r in llm_runs for tag in r["tags"] if tag.startswith("role:")
    }
    assert roles == {"screener", "extractor", "advocate", "skeptic", "claim_judge", "judge"}
    # The advocate's first calls, its move questions about the content-free sentence, are part
    # of no claim; its turns' are. (A run can be posted, then patched with its metadata again.)
    runs = {r["id"]: r["extra"]["metadata"] for r in llm_runs if "role:advocate" in r["tags"]}
    advocate = list(runs.values())
    assert sorted(m["move"] for m in advocate if m.get("part") == "baseline") == sorted(
        ADVOCATE_QUESTIONS
    )
    turn = next(m for m in advocate if m.get("part") != "baseline")
    assert (turn["claim_id"], turn["round"], turn["role"]) == ("c1", 1, "advocate")
    assert {r.get("session_name") for r in _LangSmith.posted if "session_name" in r} == {
        "debate-eval-tests"
    }
