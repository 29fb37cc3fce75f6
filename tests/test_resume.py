"""Durable runs: a run killed with SIGKILL mid-debate resumes without repeating finished calls."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import StubServerProcess, stub_args
from tests.fakes import paragraph_calls_for_file

OP_ED = Path(__file__).resolve().parents[1] / "examples" / "short-remote-work-oped.md"
# The screener's paragraph questions come first.
SCREENER = paragraph_calls_for_file(OP_ED)
# The fewest calls of a 2-claim, 2-round run: the screener's (two per paragraph), the rater's 9
# probes, extractor, 2 x (4 turns, each after its evidence pick asked in two orders, + ruling
# + verdict), and the report judge's rating letter, summary, explanation, one finding (its pick
# in two calls, its paragraph), research topics.
CALLS = SCREENER + 9 + 1 + 2 * 14 + 7
# Answered before the kill: the screener's, the rater's, the extractor's and the two debates'
# first evidence picks (two calls each; their own checkpointed step: not asked again); the two
# first turns then hang.
ANSWERED = SCREENER + 9 + 5


@pytest.fixture
def server(tmp_path):
    # The answers, then two calls that hang (one per concurrent debate), then normal service.
    faults = "ok," * ANSWERED + "slow:600,slow:600"
    server = StubServerProcess(tmp_path / "requests.jsonl", faults=faults)
    yield server
    server.stop()


def cli(tmp_path: Path, *args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "debate_eval", "run", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DEBATE_EVAL_DATA_DIR": str(tmp_path / "data")},
        **popen,
    )


def start_and_stop(server, tmp_path: Path, sig: int) -> tuple[str, subprocess.Popen]:
    """Start a run, wait until the two hanging calls are in flight, then send `sig`."""
    out = tmp_path / "r.json"
    proc = cli(
        tmp_path,
        str(OP_ED),
        *stub_args(server, claims=2, rounds=2),
        "--format",
        "json",
        "--output",
        str(out),
    )
    deadline = time.monotonic() + 60
    while len(server.requests()) < ANSWERED + 2:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never reached the hanging calls"
        time.sleep(0.05)
    time.sleep(0.5)  # let the client record the answers it has
    proc.send_signal(sig)
    proc.wait(timeout=30)
    first_line = proc.stdout.readline()
    match = re.match(r"run ([0-9a-f]{12}) · ", first_line)
    assert match, first_line
    return match.group(1), proc


def test_a_killed_run_resumes_without_repeating_finished_calls(server, tmp_path):
    run_id, killed = start_and_stop(server, tmp_path, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    before = server.requests()
    assert [r["fault"].split(":")[0] for r in before] == ["ok"] * ANSWERED + ["slow"] * 2
    answered = {json.dumps(r["messages"]) for r in before[:ANSWERED]}

    resumed = cli(tmp_path, "--resume", run_id, "--quiet")
    _, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr
    after = server.requests()[len(before) :]
    report = json.loads((tmp_path / "r.json").read_text())
    calls = sum(u["calls"] for u in report["meta"]["usage"].values())
    # Only the calls that had not finished were made again: all but those answered before.
    assert calls >= CALLS
    assert len(after) == calls - ANSWERED
    assert not answered & {json.dumps(r["messages"]) for r in after}
    # The two calls in flight at the kill were the first ones asked again.
    assert {json.dumps(r["messages"]) for r in before[ANSWERED:]} <= {
        json.dumps(r["messages"]) for r in after
    }
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["meta"]["run_id"] == run_id
    assert [c["id"] for c in report["claims"]] == ["c1", "c2"]
    assert all(c["verdict"] for c in report["claims"])
    turns = [t for t in report["debate"] if t["role"] != "judge"]
    assert [(t["claim_id"], t["round"], t["role"]) for t in turns] == [
        (claim, round_, role)
        for claim in ("c1", "c2")
        for round_ in (1, 2)
        for role in ("advocate", "skeptic")
    ]
    assert len(report["summary"]) == 3
    # The debate judge, uncalibrated on the stub: the most probable of its four letters.
    rating = report["rating"]
    assert (rating["judge"], rating["calibration"]) == ("debate", None)
    assert rating["label"] == max(rating["probabilities"], key=rating["probabilities"].get)

    # Resuming a finished run asks nothing and writes the same report again.
    again = cli(tmp_path, "--resume", run_id, "--quiet")
    again.communicate(timeout=60)
    assert again.returncode == 0
    assert len(server.requests()) == len(before) + calls - ANSWERED
    assert json.loads((tmp_path / "r.json").read_text())["claims"] == report["claims"]


def test_sigterm_says_how_to_continue(server, tmp_path):
    run_id, stopped = start_and_stop(server, tmp_path, signal.SIGTERM)
    assert stopped.returncode == 130
    rest = stopped.stderr.read()
    assert rest.strip().splitlines()[-1] == (
        f"error: interrupted; to continue: debate-eval run --resume {run_id}"
    )
    assert "Traceback" not in rest


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "debate_eval", "run", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DEBATE_EVAL_DATA_DIR": str(tmp_path / "data")},
    )


def test_bad_resume_requests_exit_2_with_one_line(tmp_path, article_file):
    unknown = run_cli(tmp_path, "--resume", "0123456789ab")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        f"error: no run '0123456789ab' in {tmp_path / 'data' / 'runs.sqlite'}"
    )
    both = run_cli(tmp_path, str(article_file), "--resume", "0123456789ab")
    assert both.stderr.strip() == "error: give either an ARTICLE or --resume RUN_ID, not both"
    changed = run_cli(tmp_path, "--resume", "0123456789ab", "--rounds", "3")
    assert changed.returncode == 2
    assert changed.stderr.strip() == "error: --rounds cannot change when resuming a run"
    nothing = run_cli(tmp_path)
    assert nothing.returncode == 2
    assert nothing.stderr.strip() == (
        "error: no article: give a file, - for stdin or a URL (or --resume RUN_ID)"
    )
