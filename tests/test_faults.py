"""Model faults over real HTTP: a fault-injecting server process, the real CLI and client.

Each case asserts what the user sees (exit code, one error line naming the role, the endpoint and
what happened) and how many requests the server received (bounded retries, no hangs).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import StubServerProcess, stub_args
from tests.fakes import paragraph_calls_for_file

OP_ED = Path(__file__).resolve().parents[1] / "examples" / "short-remote-work-oped.md"


@pytest.fixture
def fault_server(tmp_path):
    servers: list[StubServerProcess] = []

    def start(faults: str) -> StubServerProcess:
        server = StubServerProcess(tmp_path / f"requests-{len(servers)}.jsonl", faults=faults)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def run(server: StubServerProcess, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    """One claim, one round: the screener's paragraph questions, extractor, advocate, skeptic
    (each turn's side checked by the claim judge's model), the claim judge's probes, decisive
    move, decisive point and verdict, then the report judge's calls."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "debate_eval",
            "run",
            str(OP_ED),
            *stub_args(server),
            "--quiet",
            "--format",
            "json",
            "--output",
            str(tmp_path / "r.json"),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DEBATE_EVAL_DATA_DIR": str(tmp_path / "data")},
    )


def one_error_line(result: subprocess.CompletedProcess) -> str:
    """The single error line, without its "; to continue: debate-eval run --resume ID" tail."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line, hint = lines[0].rsplit("; ", 1)
    assert re.fullmatch(r"to continue: debate-eval run --resume [0-9a-f]{12}", hint), hint
    return line


# The first requests are the screener's one-token questions, two per paragraph, then the rater's
# ten whole-article checklist probes (9 scored + addresses_ai, unscored: 9 + 1 = 10; the debate
# judge's, whose label waits for the debate): faults meant for the extractor come after them.
RATER_CALLS = 9 + 1
BEFORE_EXTRACTOR = paragraph_calls_for_file(OP_ED) + RATER_CALLS
SCREENED = "ok," * BEFORE_EXTRACTOR


def faults_seen(server: StubServerProcess) -> list[str]:
    return [r["fault"].split(":")[0] for r in server.requests()]


def test_429_with_retry_after_is_waited_out_then_the_run_succeeds(fault_server, tmp_path):
    # Aimed at the extractor's call (the screener's go out together, so would not show the wait).
    server = fault_server(SCREENED + "429:1,429:1")
    result = run(server, tmp_path)
    assert result.returncode == 0, result.stderr
    calls = sum(
        u["calls"] for u in json.loads((tmp_path / "r.json").read_text())["meta"]["usage"].values()
    )
    n = BEFORE_EXTRACTOR
    assert faults_seen(server) == ["ok"] * n + ["429", "429", *["ok"] * (calls - n)]
    arrivals = [r["at"] for r in server.requests()[n : n + 3]]
    # The client waited as long as Retry-After said before each retry.
    assert arrivals[1] - arrivals[0] >= 0.95
    assert arrivals[2] - arrivals[1] >= 0.95
    # The debate judge, uncalibrated on the stub: the most probable of its four letters.
    rating = json.loads((tmp_path / "r.json").read_text())["rating"]
    assert (rating["judge"], rating["calibration"]) == ("debate", None)
    assert rating["label"] == max(rating["probabilities"], key=rating["probabilities"].get)


def test_429_forever_gives_up_after_bounded_retries(fault_server, tmp_path):
    server = fault_server(SCREENED + "429:1*")
    line = one_error_line(run(server, tmp_path))
    assert line == (
        f"error: extractor: {server.base_url} answered HTTP 429 (rate limited) after 3 attempts: "
        "rate limit reached, slow down"
    )
    assert len(server.requests()) == BEFORE_EXTRACTOR + 3


@pytest.mark.parametrize("status", ["500", "503"])
def test_server_errors_are_retried_then_reported(fault_server, tmp_path, status):
    server = fault_server(f"{SCREENED}{status}*")
    line = one_error_line(run(server, tmp_path))
    assert line == (
        f"error: extractor: {server.base_url} answered HTTP {status} after 3 attempts: "
        "the model server is overloaded"
    )
    assert len(server.requests()) == BEFORE_EXTRACTOR + 3


def test_one_server_error_is_recovered_from(fault_server, tmp_path):
    server = fault_server("503")
    assert run(server, tmp_path).returncode == 0
    usage = json.loads((tmp_path / "r.json").read_text())["meta"]["usage"]
    assert faults_seen(server) == ["503", *["ok"] * sum(u["calls"] for u in usage.values())]


def test_a_call_slower_than_the_timeout_cannot_hang(fault_server, tmp_path):
    server = fault_server(SCREENED + "slow:30*")
    line = one_error_line(run(server, tmp_path, "--timeout", "1"))
    assert line == f"error: extractor: no reply from {server.base_url} within 1 s after 3 attempts"
    assert len(server.requests()) == BEFORE_EXTRACTOR + 3


def test_a_dropped_connection_is_retried_then_reported(fault_server, tmp_path):
    server = fault_server(SCREENED + "drop*")
    line = one_error_line(run(server, tmp_path))
    assert line.startswith(f"error: extractor: connection to {server.base_url} failed (")
    assert line.endswith("after 3 attempts")
    assert len(server.requests()) == BEFORE_EXTRACTOR + 3


def test_truncated_tool_arguments_get_one_repair_retry(fault_server, tmp_path):
    server = fault_server(SCREENED + "truncated*")
    line = one_error_line(run(server, tmp_path))
    assert line.startswith(
        "error: extractor: invalid structured reply for ExtractedClaims after a retry: "
    )
    assert len(server.requests()) == BEFORE_EXTRACTOR + 2


def test_arguments_failing_validation_are_repaired_with_the_error_shown(fault_server, tmp_path):
    server = fault_server(SCREENED + "invalid")
    assert run(server, tmp_path).returncode == 0
    requests = server.requests()
    n = BEFORE_EXTRACTOR
    assert faults_seen(server)[: n + 2] == ["ok"] * n + ["invalid", "ok"]
    repair = requests[n + 1]["messages"]
    assert repair[-2]["role"] == "assistant"
    assert '{"x": 1}' in repair[-2]["content"]
    assert repair[-1]["content"].startswith("Your previous reply could not be used: ")
    assert "claims" in repair[-1]["content"]  # the validation error names the missing field


def test_empty_replies_are_retried_once_then_reported(fault_server, tmp_path):
    # The extractor, the debaters' move questions about the content-free sentence (3 + 6), both
    # debaters' evidence picks (two calls each: both orders), the side check of a content-free
    # sentence (two calls) and the advocate's 3 move questions answer; its sentence, the turn's
    # one text call, comes back empty, twice.
    answered = 1 + (3 + 6) + 2 * 2 + 2 + 3
    server = fault_server(SCREENED + "ok," * answered + "empty*")
    line = one_error_line(run(server, tmp_path))
    assert line == "error: advocate: the model returned an empty reply twice"
    assert faults_seen(server) == ["ok"] * (BEFORE_EXTRACTOR + answered) + ["empty", "empty"]
    empty = [r["messages"][-1]["content"] for r in server.requests()[-2:]]
    assert all("Role: advocate, round 1 of 1." in m and "Your move:" in m for m in empty)


def test_a_failing_judge_keeps_the_finished_turns(fault_server, tmp_path):
    # The debate's calls: extractor, the debaters' move questions about the content-free sentence (3
    # + 6), the side check of a content-free sentence (two calls), two turns (each an evidence pick
    # asked in two orders, its role's move questions, 3 or 6, its sentence and its side check in
    # both orders), then the claim judge's 3 probes, decisive move in both orders, decisive point
    # and verdict (three orders).
    debate = 1 + (3 + 6) + 2 + (2 + 3 + 1 + 2) + (2 + 6 + 1 + 2) + 3 + 2 + 1 + 3
    server = fault_server(SCREENED + "ok," * debate + "500*")
    line = one_error_line(run(server, tmp_path))
    # The stub keeps this debate to those calls: no turn conceded (no side check skipped) or
    # was written again (no call added).
    made = [r["messages"][-1]["content"] for r in server.requests()]
    assert not [m for m in made if "You concede" in m or "Your first draft" in m]
    assert line.startswith(f"error: judge: {server.base_url} answered HTTP 500 after 3 attempts")
    # The screener's and rater's calls and the debate's, then the judge's: its letter call
    # fails three times.
    seen = faults_seen(server)
    n = BEFORE_EXTRACTOR + debate
    assert seen[:n] == ["ok"] * n and seen[n:] == ["500"] * 3
    assert "Which verdict fits claim c1" in made[n - 1]  # the debate's last call
    assert "Role: an experienced news editor" in made[n]  # the judge's first
    partial = tmp_path / "r.partial.json"
    assert f"the debate so far (2 turns) was saved to {partial}" in line
    saved = json.loads(partial.read_text())
    assert [t["role"] for t in saved["debate"]] == ["advocate", "skeptic", "judge"]


def test_unknown_fault_names_the_allowed_ones():
    from debate_eval.testing.fault_server import parse_script

    with pytest.raises(ValueError, match="unknown fault 'teapot'; expected one of ok, slow"):
        parse_script("ok,teapot")
