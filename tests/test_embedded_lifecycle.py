"""The embedded server's lifecycle around a run (real process, real weights; slow)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.embedded

ROOT = Path(__file__).resolve().parents[1]
SHORT = ROOT / "examples" / "short-remote-work-oped.md"


def test_stopping_a_run_leaves_no_server_behind(tmp_path):
    """SIGTERM to a run that started its own server stops that server too (no `serve` runs
    here: test_embedded_model's is stopped with its module)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "debate_eval", "run", str(SHORT), "--quiet", "--format", "json",
         "--output", str(tmp_path / "r.json")],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        server = wait_for_child(proc.pid, "debate_eval.embedded.app", timeout=120)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        assert wait_gone(server, timeout=30), "the embedded server outlived its run"
    finally:
        if proc.poll() is None:
            proc.kill()


def wait_for_child(parent: int, marker: str, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in Path("/proc").iterdir():
            if not pid.name.isdigit():
                continue
            try:
                cmdline = (pid / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                ppid = int((pid / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == parent and marker in cmdline:
                return int(pid.name)
        time.sleep(0.5)
    raise AssertionError(f"no {marker} process started under {parent}")


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return True
        time.sleep(0.2)
    return False
