from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

import pytest

from debate_eval.testing.launch import launch_server

ARTICLE = (
    "The city council approved a new bike lane plan on Monday. Supporters say it will cut "
    "traffic deaths by half within five years. Opponents argue the lanes will hurt local shops "
    "because parking spaces will be removed. The plan costs twelve million dollars. The mayor "
    "said the funding comes from a federal grant. A local cycling group that lobbied for the "
    "plan praised the decision."
)


@pytest.fixture
def article() -> str:
    return ARTICLE


@pytest.fixture
def article_file(tmp_path: Path) -> Path:
    path = tmp_path / "article.md"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never see the developer's keys, endpoints or config file."""
    for var in list(os.environ):
        if var.startswith(("OPENAI_", "DEBATE_EVAL_")):
            monkeypatch.delenv(var)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    # Run checkpoints go to the test's own folder, never the developer's data dir.
    monkeypatch.setenv("DEBATE_EVAL_DATA_DIR", str(tmp_path / "data"))


class StubServerProcess:
    """The stub server (or, given `faults`, the fault server) as a real process on loopback."""

    def __init__(self, log: Path, delay: float = 0.0, faults: str | None = None) -> None:
        self.log = log
        extra = ["--delay", str(delay)] if faults is None else ["--faults", faults]
        module = "stub_server" if faults is None else "fault_server"
        self.proc, self.base_url = launch_server(module, "--log", str(log), *extra)

    def requests(self) -> list[dict]:
        import json

        if not self.log.exists():
            return []
        # Read while the server may be writing: a last line without its newline is not whole yet.
        text = self.log.read_text()
        return [json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines()]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def free_port() -> int:
    """A loopback port nobody is listening on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stub_args(server: StubServerProcess, claims: int = 1, rounds: int = 1) -> list[str]:
    """CLI flags that point a run at `server` with a small debate (claims x rounds)."""
    return [
        "--base-url", server.base_url, "--model", "stub",
        "--max-claims", str(claims), "--rounds", str(rounds),
    ]  # fmt: skip


@pytest.fixture
def stub_server(tmp_path: Path):
    server = StubServerProcess(tmp_path / "requests.jsonl")
    yield server
    server.stop()


def use_models(monkeypatch: pytest.MonkeyPatch, models) -> None:
    """Make the CLI use `models` (scripted) instead of building real clients."""

    @contextlib.contextmanager
    def fake_open_models(backend):
        yield models

    monkeypatch.setattr("debate_eval.models.backend.open_models", fake_open_models)


@pytest.fixture
def fake_models(monkeypatch: pytest.MonkeyPatch):
    from tests.fakes import scripted_models

    models = scripted_models()
    use_models(monkeypatch, models)
    return models


REPO = Path(__file__).resolve().parents[1]
_BEFORE = pytest.StashKey[set[str] | None]()


def _repository_changes() -> set[str] | None:
    """Files git sees as changed or new in the repository (None: not a git checkout)."""
    import subprocess

    try:
        done = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return set(done.stdout.splitlines()) if done.returncode == 0 else None


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_BEFORE] = _repository_changes()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """No test writes into the repository: a file a test left there fails the session."""
    before = session.config.stash.get(_BEFORE, None)
    after = _repository_changes()
    if before is None or after is None:
        return
    left = sorted(after - before)
    if left:
        print("\ntests wrote into the repository:\n  " + "\n  ".join(left))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
