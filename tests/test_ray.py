"""`eval --engine ray` on a real local Ray head (2 CPUs): every article stored exactly once, a
killed worker's task is retried, and the summary equals the local engine's."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import StubServerProcess, free_port

ROOT = Path(__file__).resolve().parents[1]
RAY = str(Path(sys.executable).with_name("ray"))
ARTICLES = 4
COMPARED = ("accuracy", "macro_f1", "kappa", "swap_consistency", "unscored", "confusion")


@pytest.fixture
def ray_head():
    """A Ray head of our own, stopped alone at the end: `ray start --block` in a new session
    (its workers get process groups of their own but stay in the session), so ending that
    session's processes stops this head and no other Ray on the host (`ray stop` would stop
    every one)."""
    port = free_port()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    head = subprocess.Popen(
        [RAY, "start", "--head", "--block", "--num-cpus", "2", "--port", str(port),
         "--include-dashboard", "false", "--disable-usage-stats"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True,
    )  # fmt: skip
    session = head.pid  # a new session's id is its leader's pid
    try:
        deadline = time.monotonic() + 180
        while not accepts(port):
            assert head.poll() is None, head.stderr.read()[-3000:]
            assert time.monotonic() < deadline, "the Ray head did not start in 180 s"
            time.sleep(0.5)
        yield f"127.0.0.1:{port}", session
    finally:
        for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
            subprocess.run(["pkill", f"-{sig.name[3:]}", "-s", str(session)], timeout=30)
            deadline = time.monotonic() + wait
            while in_session(session) and time.monotonic() < deadline:
                time.sleep(0.5)
        head.wait(timeout=30)
        assert not in_session(session), "the Ray head's processes outlived the test"


def in_session(session: int) -> list[int]:
    found = subprocess.run(["pgrep", "-s", str(session)], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def dataset(tmp_path: Path) -> Path:
    rows = [json.loads(line) for line in (ROOT / "tests/data/semeval-dev-pair.jsonl").open()]
    path = tmp_path / "articles.jsonl"
    with path.open("w") as f:
        for i in range(ARTICLES):
            row = {**rows[i % 2], "id": f"a{i}", "text": f"Dispatch {i}. " + rows[i % 2]["text"]}
            f.write(json.dumps(row) + "\n")
    return path


def eval_args(data: Path, server: StubServerProcess, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "debate_eval", "eval", str(data), "--base-url", server.base_url,
        "--model", "stub", "--judges", "baseline,debate,panel", "--max-claims", "1",
        "--rounds", "1", "--out", str(out), *extra,
    ]  # fmt: skip


def worker_pids(session: int) -> list[int]:
    """This head's workers running an article (never another Ray's on the host)."""
    found = subprocess.run(
        ["pgrep", "-s", str(session), "-f", "ray::evaluate_on_worker"],
        capture_output=True,
        text=True,
    )
    return [int(p) for p in found.stdout.split()]


def test_ray_engine_matches_local_and_survives_a_killed_worker(ray_head, tmp_path):
    address, session = ray_head
    data = dataset(tmp_path)
    server = StubServerProcess(tmp_path / "requests.jsonl", delay=0.3)
    try:
        local = subprocess.run(
            eval_args(data, server, tmp_path / "local"), capture_output=True, text=True, timeout=300
        )
        assert local.returncode == 0, local.stderr
        proc = subprocess.Popen(
            eval_args(data, server, tmp_path / "ray", "--engine", "ray", "--ray-address", address),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        killed = None
        deadline = time.monotonic() + 300
        while killed is None and proc.poll() is None and time.monotonic() < deadline:
            pids = worker_pids(session)
            if pids:
                time.sleep(1.0)  # let it get some way into its article
                os.kill(pids[0], signal.SIGKILL)
                killed = pids[0]
            time.sleep(0.2)
        _, stderr = proc.communicate(timeout=600)
    finally:
        server.stop()
    assert killed is not None, "no Ray worker was seen running an article"
    assert proc.returncode == 0, stderr[-3000:]
    local_summary = json.loads((tmp_path / "local" / "summary.json").read_text())
    ray_summary = json.loads((tmp_path / "ray" / "summary.json").read_text())
    for judge, metrics in local_summary["judges"].items():
        for name in COMPARED:
            assert ray_summary["judges"][judge][name] == metrics[name], (judge, name)
    db = sqlite3.connect(tmp_path / "ray" / "results.sqlite")
    keys = db.execute("SELECT article_id, judge, repeat, speaking_order FROM judgments").fetchall()
    assert len(keys) == len(set(keys))  # each judgment once, the retried task's included
    assert {k[0] for k in keys} == {f"a{i}" for i in range(ARTICLES)}
    local_rows = (tmp_path / "local" / "results.jsonl").read_text().splitlines()
    ray_rows = (tmp_path / "ray" / "results.jsonl").read_text().splitlines()
    assert len(ray_rows) == len(local_rows)
