"""Where runs are kept so a crashed or killed one can be resumed: one SQLite file in the user's
data directory holding LangGraph's checkpoints and a record of each run's settings.

The record never holds the API key (it comes from the environment or config again on resume);
the checkpoints hold the graph state (article, claims, turns, verdicts), never the models.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

from debate_eval.core.errors import InputError
from debate_eval.core.migrations import migrate

DATA_DIR_ENV_VAR = "DEBATE_EVAL_DATA_DIR"
# The version of the run record's JSON; bump it (and read older ones) when its fields change.
RECORD_VERSION = 1
# The store's named migrations, in order (core.migrations); never edit an applied one.
MIGRATIONS = [
    (
        "m001_runs",
        lambda conn: conn.execute(
            "CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, created_at TEXT, "
            "record TEXT NOT NULL)"
        ),
    ),
]


def data_dir() -> Path:
    """The folder for run checkpoints: $DEBATE_EVAL_DATA_DIR or the platform's user data dir."""
    if os.environ.get(DATA_DIR_ENV_VAR):
        return Path(os.environ[DATA_DIR_ENV_VAR])
    from platformdirs import user_data_path

    return user_data_path("debate-eval")


@dataclass(frozen=True)
class RunRecord:
    """What `run --resume` needs besides the checkpoint: the command's settings."""

    run_id: str
    source: str
    article: str
    settings: dict  # config.Settings fields, without the API key
    options: dict  # runner.RunOptions fields
    output: str | None = None
    output_format: str = "md"
    notices: list[str] = field(default_factory=list)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    version: int = RECORD_VERSION


def read_record(run_id: str, data: dict) -> RunRecord:
    """A stored run record; a clear line (never a TypeError) for one this version can't read."""
    version = data.get("version", 1)  # records from before versioning are version 1
    if version > RECORD_VERSION:
        raise InputError(
            f"run {run_id} was recorded by a newer debate-eval (record version {version}; this "
            f"one reads up to {RECORD_VERSION}): resume it with that version"
        )
    names = {f.name for f in fields(RunRecord)}
    required = {
        f.name for f in fields(RunRecord) if f.default is MISSING and f.default_factory is MISSING
    }
    problems = sorted(set(data) - names) or sorted(required - set(data))
    if problems:
        raise InputError(f"run {run_id}: its record is not readable (field {problems[0]!r})")
    return RunRecord(**{**data, "version": version})


class RunStore:
    """Run records and checkpoints in one SQLite file (created on first use)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / "runs.sqlite"

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path)
        except (OSError, sqlite3.Error) as exc:
            raise InputError(
                f"cannot open the run store {self.path} ({exc}); "
                f"set {DATA_DIR_ENV_VAR} to a writable folder"
            ) from exc
        try:
            migrate(conn, MIGRATIONS, "run store", self.path)
        except InputError:
            conn.close()
            raise
        return conn

    def save(self, record: RunRecord) -> None:
        with contextlib.closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?)",
                (record.run_id, record.created_at, json.dumps(asdict(record))),
            )

    def load(self, run_id: str) -> RunRecord:
        """The record of `run_id`; InputError naming the store if there is none."""
        with contextlib.closing(self._connect()) as conn:
            row = conn.execute("SELECT record FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise InputError(f"no run {run_id!r} in {self.path}")
        return read_record(run_id, json.loads(row[0]))

    @contextlib.asynccontextmanager
    async def checkpointer(self) -> AsyncIterator[object]:
        """A LangGraph checkpointer on this store (open it inside the run's event loop)."""
        import aiosqlite
        from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        from debate_eval.core import schemas

        self._connect().close()  # creates the folder, or fails with a clear line
        # Only our own state types are rebuilt from a checkpoint; anything else stays data.
        allowed = [
            schemas.Claim,
            schemas.ClaimRuling,
            schemas.Turn,
            schemas.TokenUsage,
            schemas.PhaseTiming,
            schemas.ArticleReading,
            schemas.RatingMeasurement,
            schemas.Report,
        ]
        async with aiosqlite.connect(self.path) as conn:
            saver = AsyncSqliteSaver(
                conn, serde=JsonPlusSerializer(allowed_msgpack_modules=allowed)
            )
            await saver.setup()
            yield saver
