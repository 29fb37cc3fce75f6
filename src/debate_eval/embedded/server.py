"""Starting, finding and stopping the embedded llama.cpp server on loopback."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from debate_eval.core.errors import ConfigError, DebateEvalError
from debate_eval.embedded.weights import LocalModel, assemble, cache_dir

log = logging.getLogger(__name__)

READY_TIMEOUT_S = 300.0
INSTALL_HINT = "pip install 'xllamacpp==2026.10.11549'"


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    model: str
    pid: int
    slots: int = 1


def state_file() -> Path:
    return cache_dir() / "server.json"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serves(base_url: str, alias: str, timeout: float = 2.0) -> bool:
    """Whether an OpenAI-compatible server at base_url answers and serves model `alias`."""
    try:
        reply = httpx.get(f"{base_url}/models", timeout=timeout)
        ids = {m.get("id") for m in reply.json().get("data", [])}
    except (httpx.HTTPError, ValueError, AttributeError):
        return False
    return reply.status_code == 200 and alias in ids


def recorded_server(model: LocalModel) -> RunningServer | None:
    """The healthy server `debate-eval serve` recorded for this model, whatever its slots."""
    try:
        data = json.loads(state_file().read_text())
        server = RunningServer(
            data["base_url"], data["model"], int(data["pid"]), int(data.get("slots", 1))
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if server.model == model.name and serves(server.base_url, model.name):
        return server
    return None


def find_running(model: LocalModel) -> RunningServer | None:
    """A healthy server started by `debate-eval serve` for this model with its slots, if there
    is one (a run bounds its calls in flight by its own slot count: on a server with fewer, two
    calls would share a slot's turn in whatever order they came)."""
    server = recorded_server(model)
    return server if server is not None and server.slots == model.slots else None


def _die_with_parent() -> None:
    # Linux: the server is killed if debate-eval dies, even by SIGKILL, so none is orphaned.
    # SIGKILL, not SIGTERM: a dying parent cannot wait for an in-flight generation to end.
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def check_installed() -> None:
    try:
        import xllamacpp  # noqa: F401
    except ImportError as exc:
        raise ConfigError(
            f"the embedded backend needs xllamacpp (llama.cpp's server engine); install it with: "
            f"{INSTALL_HINT} (or pass --base-url / set OPENAI_API_KEY)"
        ) from exc


def start(
    model: LocalModel, port: int | None = None, log: Path | None = None, verbose: bool = False
):
    """Start a server process for `model`; returns (process, base_url). Caller stops it.

    verbose: llama.cpp writes its timings per call (prompt tokens evaluated) to the log.
    """
    check_installed()
    path = assemble(model)
    port = port or free_port()
    log = log or cache_dir() / "server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "debate_eval.embedded.app",
                "--model",
                str(path),
                "--alias",
                model.name,
                "--port",
                str(port),
                "--n-ctx",
                str(model.n_ctx),
                "--threads",
                str(min(os.cpu_count() or 2, 8)),
                "--slots",
                str(model.slots),
                *(["--verbose"] if verbose else []),
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    wait_ready(process, base_url, model.name, log)
    return process, base_url


def wait_ready(process: subprocess.Popen, base_url: str, alias: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DebateEvalError(
                f"the embedded server exited with code {process.returncode} while starting; "
                f"see {log}"
            )
        if serves(base_url, alias, timeout=1.0):
            return
        time.sleep(0.5)
    stop(process)
    raise DebateEvalError(
        f"the embedded server did not answer within {READY_TIMEOUT_S:.0f} s; see {log}"
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=3)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextlib.contextmanager
def embedded_server(model: LocalModel, *, verbose: bool = False) -> Iterator[str]:
    """The base URL of a server for `model`: a running one if healthy, else one started for
    the duration of the block and stopped after it (also on Ctrl-C). verbose: see start()."""
    running = None if verbose else find_running(model)
    if running is not None:
        yield running.base_url
        return
    process, base_url = start(model, verbose=verbose)
    try:
        yield base_url
    finally:
        stop(process)


def serve_forever(model: LocalModel, port: int | None = None) -> Iterator[str]:
    """Start a server, record it for later runs to reuse, and keep it until interrupted."""
    if (running := recorded_server(model)) is not None:
        raise DebateEvalError(
            f"a server for {model.name} already runs at {running.base_url} "
            f"({running.slots} slot{'s' if running.slots > 1 else ''})"
        )
    process, base_url = start(model, port)
    state = state_file()
    record = {"base_url": base_url, "model": model.name, "pid": process.pid, "slots": model.slots}
    state.write_text(json.dumps(record))
    try:
        yield base_url
        process.wait()
    finally:
        stop(process)
        state.unlink(missing_ok=True)


async def share_cached_prompt(base_url: str) -> None:
    """Copy the cached prompt of the slot that answered last into the server's other idle
    slots (llama.cpp's slot save and restore actions), so calls that start together on the same
    article each find it cached instead of reading it again. A server that cannot (busy slots,
    no slot actions) is left as it is: this only saves time."""
    root = base_url.removesuffix("/v1")
    body = {"filename": "shared-prompt.bin"}
    async with httpx.AsyncClient(timeout=120) as client:
        try:
            states = (await client.get(f"{root}/slots")).json()
            idle = [s for s in states if not s.get("is_processing") and "id" in s]
            used = [s for s in idle if s.get("id_task", -1) != -1]
            if not used or len(idle) < 2:
                return
            source = max(used, key=lambda s: s["id_task"])["id"]
            saved = await client.post(f"{root}/slots/{source}?action=save", json=body)
            saved.raise_for_status()
            for state in idle:
                if state["id"] != source:
                    # A slot that took a request meanwhile refuses: it keeps its own prompt.
                    await client.post(f"{root}/slots/{state['id']}?action=restore", json=body)
        except (httpx.HTTPError, ValueError, TypeError, KeyError) as exc:
            log.info("could not share the cached prompt between slots: %s", exc)
