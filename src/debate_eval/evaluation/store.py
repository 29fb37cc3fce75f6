"""The results store under the output folder (SQLite): debates, judgments and an LLM cache.

Everything finished is committed at once, so an interrupted run loses nothing and a rerun with
the same folder skips what is done.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from langchain_core._api import LangChainBetaWarning
from langchain_core.caches import RETURN_VAL_TYPE, BaseCache
from langchain_core.load import dumps, loads
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, Generation

from debate_eval.core.errors import InputError
from debate_eval.core.migrations import migrate
from debate_eval.core.schemas import Transcript

_SCHEMA = """
CREATE TABLE IF NOT EXISTS debates (
    article_id TEXT NOT NULL,
    speaking_order TEXT NOT NULL,
    settings_key TEXT NOT NULL,
    transcript TEXT,
    error TEXT,
    tokens_in INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    latency_s REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, speaking_order, settings_key)
);
CREATE TABLE IF NOT EXISTS judgments (
    article_id TEXT NOT NULL,
    judge TEXT NOT NULL,
    repeat INTEGER NOT NULL,
    speaking_order TEXT NOT NULL,
    settings_key TEXT NOT NULL,
    row TEXT NOT NULL,
    PRIMARY KEY (article_id, judge, repeat, speaking_order, settings_key)
);
CREATE TABLE IF NOT EXISTS llm_cache (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# The store's named migrations, in order (core.migrations): add one for any change to the
# tables or to the rows' JSON, never edit an applied one.
MIGRATIONS = [
    ("m001_debates_judgments_llm_cache", lambda conn: conn.executescript(_SCHEMA)),
]


def settings_key(settings: dict[str, Any]) -> str:
    """A short stable hash of settings: results made with other settings are not reused."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class StoredDebate:
    article_id: str
    speaking_order: str
    transcript: Transcript | None
    error: str | None
    tokens_in: int
    tokens_out: int
    latency_s: float


@dataclass
class Judgment:
    """One judge's rating of one article (rating None: unscored, with the reason)."""

    article_id: str
    judge: str
    repeat: int
    speaking_order: str
    rating: str | None
    unscored_reason: str | None
    tokens_in: int
    tokens_out: int
    latency_s: float
    settings: dict[str, Any]
    votes: list[str | None] | None = None  # panel members' ratings
    # Probability-scored judges (absent in rows stored before they existed).
    probabilities: dict[str, float] | None = None
    score: float | None = None
    features: dict[str, float] | None = None
    method: str | None = None
    confidence: float | None = None  # P(the label is right), as `run` reports it
    # What the screener left out of the article before the judge read it: each unit's text and
    # P(written to AI systems) (None: rows stored before it was recorded).
    screened_out: list[dict[str, Any]] | None = None
    # The screener's reading: P(yes) per paragraph question for each unit asked about, in order
    # (what false alarms and the persuasion feature are counted from).
    paragraphs: list[dict[str, float]] | None = None


class ResultsStore:
    """SQLite file at DIR/results.sqlite; safe to share between asyncio tasks of one process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False)
        try:
            migrate(self._db, MIGRATIONS, "results store", path)
        except InputError:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
            self._db.commit()
        return rows

    # -- debates
    def debate(self, article_id: str, order: str, key: str) -> StoredDebate | None:
        rows = self._execute(
            "SELECT transcript, error, tokens_in, tokens_out, latency_s FROM debates "
            "WHERE article_id=? AND speaking_order=? AND settings_key=?",
            (article_id, order, key),
        )
        if not rows:
            return None
        transcript, error, tin, tout, latency = rows[0]
        parsed = Transcript.model_validate_json(transcript) if transcript else None
        return StoredDebate(article_id, order, parsed, error, tin, tout, latency)

    def save_debate(self, debate: StoredDebate, key: str) -> None:
        self._execute(
            "INSERT OR REPLACE INTO debates VALUES (?,?,?,?,?,?,?,?)",
            (
                debate.article_id,
                debate.speaking_order,
                key,
                debate.transcript.model_dump_json() if debate.transcript else None,
                debate.error,
                debate.tokens_in,
                debate.tokens_out,
                debate.latency_s,
            ),
        )

    def debates(self) -> list[StoredDebate]:
        keys = self._execute("SELECT article_id, speaking_order, settings_key FROM debates")
        return [d for a, o, k in keys if (d := self.debate(a, o, k)) is not None]

    # -- judgments
    def judgment(
        self, article_id: str, judge: str, repeat: int, order: str, key: str
    ) -> Judgment | None:
        rows = self._execute(
            "SELECT row FROM judgments WHERE article_id=? AND judge=? AND repeat=? "
            "AND speaking_order=? AND settings_key=?",
            (article_id, judge, repeat, order, key),
        )
        return Judgment(**json.loads(rows[0][0])) if rows else None

    def save_judgment(self, judgment: Judgment, key: str) -> None:
        self._execute(
            "INSERT OR REPLACE INTO judgments VALUES (?,?,?,?,?,?)",
            (
                judgment.article_id,
                judgment.judge,
                judgment.repeat,
                judgment.speaking_order,
                key,
                json.dumps(asdict(judgment)),
            ),
        )

    # -- moving one article's results between stores (Ray workers)
    def rows_for(self, article_id: str) -> dict[str, list[tuple]]:
        """Every stored debate and judgment row of one article."""
        return {
            table: self._execute(f"SELECT * FROM {table} WHERE article_id=?", (article_id,))
            for table in ("debates", "judgments")
        }

    def add_rows(self, rows: dict[str, list[tuple]]) -> None:
        """Store rows from rows_for() (same key: replaced, so a retried task is stored once)."""
        widths = {"debates": 8, "judgments": 6}
        for table, values in rows.items():
            marks = ",".join("?" * widths[table])
            for row in values:
                self._execute(f"INSERT OR REPLACE INTO {table} VALUES ({marks})", row)

    # -- LLM cache
    def cache_get(self, key: str) -> str | None:
        rows = self._execute("SELECT value FROM llm_cache WHERE key=?", (key,))
        return rows[0][0] if rows else None

    def cache_put(self, key: str, value: str) -> None:
        self._execute("INSERT OR REPLACE INTO llm_cache VALUES (?,?)", (key, value))

    def cache_size(self) -> int:
        return self._execute("SELECT COUNT(*) FROM llm_cache")[0][0]


class StoreCache(BaseCache):
    """LangChain's LLM cache interface over the results store: a call with the same request
    content (messages, model, parameters, tools) is answered from disk, so a rerun costs nothing.
    """

    def __init__(self, store: ResultsStore) -> None:
        self.store = store
        self.hits = 0
        # Endpoint URLs that change between runs (the embedded server's free port) -> a stable
        # name, so a rerun finds its cached calls.
        self.aliases: dict[str, str] = {}

    def _key(self, prompt: str, llm_string: str) -> str:
        for url, name in self.aliases.items():
            llm_string = llm_string.replace(url, name)
        return hashlib.sha256(f"{llm_string}\x00{prompt}".encode()).hexdigest()

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        value = self.store.cache_get(self._key(prompt, llm_string))
        if value is None:
            return None
        self.hits += 1
        # Only the classes a cached reply is made of: the cache file is data, not config.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LangChainBetaWarning)
            return loads(value, allowed_objects=[ChatGeneration, Generation, AIMessage])

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        self.store.cache_put(self._key(prompt, llm_string), dumps(list(return_val)))

    def clear(self, **kwargs: Any) -> None:
        self.store._execute("DELETE FROM llm_cache")
