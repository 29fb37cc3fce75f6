"""Starting the stub or fault server as its own process on a free loopback port."""

from __future__ import annotations

import subprocess
import sys

READY_PREFIX = "listening on "


def launch_server(module: str, *args: str) -> tuple[subprocess.Popen, str]:
    """Run `debate_eval.testing.<module>` (stub_server or fault_server) with `args`; returns the
    process and its base URL once it accepts connections."""
    proc = subprocess.Popen(
        [sys.executable, "-m", f"debate_eval.testing.{module}", "--port", "0", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline().strip()
    if not line.startswith(READY_PREFIX):
        proc.kill()
        raise RuntimeError(f"{module} did not start: {line!r}")
    return proc, line.removeprefix(READY_PREFIX)
