"""Versioned SQLite stores: each store lists its named migrations, applied once, in order.

A store records the names it has applied (table `_migrations`), so a file written by a newer
debate-eval (a migration this one does not know) is refused with a clear line instead of
being misread, and an older file is brought up to date (simonw/llm's scheme).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from debate_eval.core.errors import InputError

Migration = tuple[str, Callable[[sqlite3.Connection], None]]


def migrate(
    conn: sqlite3.Connection, migrations: Sequence[Migration], what: str, path: Path
) -> None:
    """Apply the `migrations` `conn` lacks; refuse a store that has one we do not know."""
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
        )
        applied = {name for (name,) in conn.execute("SELECT name FROM _migrations")}
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{what} {path} is not a debate-eval store ({exc})") from exc
    unknown = sorted(applied - {name for name, _ in migrations})
    if unknown:
        raise InputError(
            f"{what} {path} was written by a newer debate-eval (migration {unknown[0]!r}); "
            "upgrade debate-eval or use another folder"
        )
    for name, apply in migrations:
        if name in applied:
            continue
        with conn:
            apply(conn)
            conn.execute(
                "INSERT INTO _migrations VALUES (?, ?)",
                (name, datetime.now(UTC).isoformat(timespec="seconds")),
            )
