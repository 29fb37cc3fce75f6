"""A canary API key never reaches transcripts, reports, checkpoints, logs or error messages."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from tests.conftest import StubServerProcess
from tests.fakes import paragraph_calls_for_file
from tests.test_eval_cli import examples_dataset

OP_ED = Path(__file__).resolve().parents[1] / "examples" / "short-remote-work-oped.md"


def run(tmp_path: Path, key: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "debate_eval", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={
            **os.environ,
            "OPENAI_API_KEY": key,
            "DEBATE_EVAL_DATA_DIR": str(tmp_path / "data"),
        },
    )


def files_holding(root: Path, needle: str) -> list[Path]:
    return [
        path for path in root.rglob("*") if path.is_file() and needle.encode() in path.read_bytes()
    ]


def test_the_key_appears_in_no_file_and_no_output(tmp_path):
    key = "sk-canary-" + secrets.token_hex(16)
    work = tmp_path / "work"
    work.mkdir()
    outputs: list[str] = []
    ok = StubServerProcess(tmp_path / "ok.jsonl")
    # A server that echoes the key in its 401 message, and one that fails after the first turn
    # (after the screener's paragraph questions, the rater's 10 whole-article probes (9 scored
    # + addresses_ai), the extractor, the debaters' move questions about the content-free
    # sentence (3 + 6), both debaters' evidence picks (two calls each) and the side check of a
    # content-free sentence (two calls), and the advocate's turn: its 3 move questions, its
    # sentence and its side check in both orders: 1 + 9 + 2 * 2 + 2 + (3 + 1 + 2)).
    echo = StubServerProcess(tmp_path / "echo.jsonl", faults="401*")
    answered = paragraph_calls_for_file(OP_ED) + (9 + 1) + 1 + (3 + 6) + 2 * 2 + 2 + (3 + 1 + 2)
    late = StubServerProcess(tmp_path / "late.jsonl", faults="ok," * answered + "500*")
    try:
        common = ["--model", "stub", "--max-claims", "1", "--rounds", "1"]
        good = run(
            work, key, "run", str(OP_ED), "--base-url", ok.base_url, *common,
            "--format", "json", "--output", str(work / "r.json"),
        )  # fmt: skip
        assert good.returncode == 0, good.stderr
        denied = run(work, key, "run", str(OP_ED), "--base-url", echo.base_url, *common)
        assert denied.returncode == 1
        assert "answered HTTP 401 (check the API key): Incorrect API key provided: ***" in (
            denied.stderr
        )
        # --debug prints the traceback, whose chained exception holds the server's raw message.
        debugged = run(
            work, key, "run", str(OP_ED), "--base-url", echo.base_url, *common, "--debug"
        )
        assert debugged.returncode == 1
        assert "Traceback" in debugged.stderr and "AuthenticationError" in debugged.stderr
        assert "Incorrect API key provided: ***" in debugged.stderr
        failed = run(
            work, key, "run", str(OP_ED), "--base-url", late.base_url, *common,
            "--output", str(work / "late.md"),
        )  # fmt: skip
        assert failed.returncode == 1
        # The advocate's finished turn was kept (the skeptic's first call failed).
        saved = json.loads((work / "late.partial.json").read_text())
        assert [t["role"] for t in saved["debate"]] == ["advocate"]
        evaluated = run(
            work, key, "eval", str(examples_dataset(work)), "--base-url", ok.base_url,
            "--judges", "baseline,debate", "--limit", "1", "--no-swap", *common,
            "--out", str(work / "eval"),
        )  # fmt: skip
        assert evaluated.returncode == 0, evaluated.stderr
        doctor = run(work, key, "doctor", "--base-url", ok.base_url, "--model", "stub")
        assert doctor.returncode == 0, doctor.stderr
        assert f"api_key: sk-…{key[-4:]}  (env OPENAI_API_KEY)" in doctor.stdout
        outputs = [r.stdout + r.stderr for r in (good, denied, debugged, failed, evaluated, doctor)]
    finally:
        for server in (ok, echo, late):
            server.stop()
    # Each run wrote a checkpoint store, reports, a partial transcript and an eval folder.
    written = [p for p in work.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {
        "runs.sqlite",
        "r.json",
        "late.partial.json",
        "results.jsonl",
        "summary.json",
        "report.html",
        "results.sqlite",
    }
    assert files_holding(work, key) == []
    for text in outputs:
        assert key not in text
        assert key[10:] not in text  # not even its random part
