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

from debate_eval.core.moves import MOVE_QUESTIONS
from tests.conftest import StubServerProcess, stub_args
from tests.fakes import paragraph_calls_for_file

OP_ED = Path(__file__).resolve().parents[1] / "examples" / "short-remote-work-oped.md"
# The screener's paragraph questions come first.
SCREENER = paragraph_calls_for_file(OP_ED)
# The moves the advocate's questions measure (the concession has none).
ADVOCATE_QUESTIONS = ("direct_evidence", "quoted_expert", "mechanism")
# The calls of a 2-claim, 2-round run in which no turn concedes or is written again, findings aside:
# the screener's (two per paragraph), the rater's 10 whole-article probes (9 scored + addresses_ai,
# unscored: 9 + 1), extractor, the debaters' move questions about the content-free sentence (3 + 6,
# once per run), 2 x (2 advocate turns, each an evidence pick asked in two orders, its 3 move
# questions, its sentence and its side check (two orders); 2 skeptic turns, the same with its 6 move
# questions; + 3 claim probes + the decisive move in two orders + the decisive point + the verdict
# in three orders), and the report judge's rating letter, summary, explanation, research topics (and
# per finding its sentence pick in two calls and its paragraph: 3 calls).
TURNS = 2 * (2 + 3 + 1 + 2) + 2 * (2 + 6 + 1 + 2)
CALLS = SCREENER + (9 + 1) + 1 + (3 + 6) + 2 * (2 + TURNS + 3 + 2 + 1 + 3) + 4
# Answered before the kill: the screener's, the rater's 10 probes (9 + 1), the extractor's, the
# content-free move questions (3 + 6; their own checkpointed step) and the two debates' first
# evidence picks (both debaters', two calls each) and the side check of a content-free sentence (two
# calls; the same checkpointed step: not asked again): 1 + 9 + 2 * (4 + 2); the two first turns then
# hang on their move questions (the advocate's 3 of each, asked at once: 6 calls).
ANSWERED = SCREENER + (9 + 1) + 1 + (3 + 6) + 2 * (4 + 2)
HANGING = 2 * len(ADVOCATE_QUESTIONS)


@pytest.fixture
def server(tmp_path):
    # The answers, then the calls that hang (two per concurrent debate), then normal service.
    faults = "ok," * ANSWERED + ",".join(["slow:600"] * HANGING)
    server = StubServerProcess(tmp_path / "requests.jsonl", faults=faults)
    yield server
    server.stop()


def move_question(request: dict) -> tuple[str, str] | None:
    """(the move, the sentence) a logged request asks about; None for any other call."""
    asked = request["messages"][-1]["content"]
    if not asked.startswith("Question about one sentence: "):
        return None
    question = asked.removeprefix("Question about one sentence: ").split("\n", 1)[0]
    kind = next(k for k, q in MOVE_QUESTIONS.items() if q.question == question)
    return kind, re.search(r"<sentence>\n(.*?)\n</sentence>", asked, re.DOTALL).group(1)


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
    """Start a run, wait until the hanging calls are in flight, then send `sig`."""
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
    while len(server.requests()) < ANSWERED + HANGING:
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
    assert [r["fault"].split(":")[0] for r in before] == ["ok"] * ANSWERED + ["slow"] * HANGING
    # The hanging calls are the two debates' first move questions: each of the advocate's,
    # about the sentence its first turn argues from (checked against the report below).
    hung = [move_question(r) for r in before[ANSWERED:]]
    assert None not in hung
    answered = {json.dumps(r["messages"]) for r in before[:ANSWERED]}

    resumed = cli(tmp_path, "--resume", run_id, "--quiet")
    _, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr
    after = server.requests()[len(before) :]
    report = json.loads((tmp_path / "r.json").read_text())
    calls = sum(u["calls"] for u in report["meta"]["usage"].values())
    # What the stub's hash-based answers decide, read from the requests the run's calls made (by
    # their prompts' own words): how many findings get a paragraph (at least one); a conceding turn
    # gets no side check (two calls); a turn that argued the other side is written and checked once
    # more (three calls); a turn or decisive point that copied an earlier turn is written once more.
    made = [r["messages"][-1]["content"] for r in before[:ANSWERED] + after]

    def asking(words: str) -> int:
        return sum(words in m for m in made)

    assert not asking("Role: skeptic, round 1 of 2. You concede")  # so no debate stops early
    findings = asking("Role: analyst. Does")
    assert 1 <= findings <= 4
    more = (
        3 * findings
        - 2 * asking("You concede this point on claim")
        + 3 * asking("Your first draft argued the other side.")
        + asking("Your first draft repeated an earlier turn.")
        + asking("Your reply copied turn")
    )
    assert calls == CALLS + more
    # Only the calls that had not finished were made again: all but those answered before.
    assert len(after) == calls - ANSWERED
    assert not answered & {json.dumps(r["messages"]) for r in after}
    # The calls in flight at the kill were asked again.
    assert {json.dumps(r["messages"]) for r in before[ANSWERED:]} <= {
        json.dumps(r["messages"]) for r in after
    }
    report = json.loads((tmp_path / "r.json").read_text())
    first_turns = [t for t in report["debate"] if t["round"] == 1 and t["role"] == "advocate"]
    assert [t["claim_id"] for t in first_turns] == ["c1", "c2"]
    assert sorted(hung) == sorted(
        (kind, t["evidence"]["text"]) for t in first_turns for kind in ADVOCATE_QUESTIONS
    )
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
    # A new --output's suffix names its format over the run's own (JSON here), as in a new run.
    moved = cli(tmp_path, "--resume", run_id, "--quiet", "--output", str(tmp_path / "r.md"))
    moved.communicate(timeout=60)
    assert moved.returncode == 0
    assert (tmp_path / "r.md").read_text().startswith("# Balance report")


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
