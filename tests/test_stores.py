"""Stored data carries a version: old files are migrated, newer or foreign ones refused clearly."""

from __future__ import annotations

import json
import sqlite3

import pytest

from debate_eval.core.errors import InputError
from debate_eval.debate.runstore import RunRecord, RunStore
from debate_eval.evaluation.store import ResultsStore


def test_a_results_store_from_before_migrations_is_upgraded_and_keeps_its_rows(tmp_path):
    path = tmp_path / "results.sqlite"
    old = sqlite3.connect(path)  # the layout stores had before they were versioned
    old.executescript(
        "CREATE TABLE llm_cache (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO llm_cache VALUES ('k', 'v');"
    )
    old.commit()
    old.close()
    store = ResultsStore(path)
    assert store.cache_get("k") == "v"
    assert store.debates() == []
    store.close()
    names = [r[0] for r in sqlite3.connect(path).execute("SELECT name FROM _migrations")]
    assert names == ["m001_debates_judgments_llm_cache"]


@pytest.mark.parametrize("store", [ResultsStore, lambda p: RunStore(p).load("x")])
def test_a_store_from_a_newer_version_is_refused_with_one_line(tmp_path, store):
    path = tmp_path / "store.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    conn.execute("INSERT INTO _migrations VALUES ('m999_from_the_future', '2030-01-01')")
    conn.commit()
    conn.close()
    with pytest.raises(InputError, match=r"written by a newer debate-eval \(migration 'm999_fr"):
        store(path)


def test_a_file_that_is_not_a_store_is_refused(tmp_path):
    path = tmp_path / "results.sqlite"
    path.write_text("not a database, just text " * 200)
    with pytest.raises(InputError, match="is not a debate-eval store"):
        ResultsStore(path)


def _stored(tmp_path, **changes) -> RunStore:
    store = RunStore(tmp_path / "runs.sqlite")
    record = RunRecord(run_id="r1", source="a.md", article="text", settings={}, options={})
    store.save(record)
    data = {**json.loads(json.dumps(record.__dict__)), **changes}
    conn = sqlite3.connect(store.path)
    conn.execute("UPDATE runs SET record = ? WHERE run_id = 'r1'", (json.dumps(data),))
    conn.commit()
    conn.close()
    return store


def test_run_records_round_trip_with_their_version(tmp_path):
    record = _stored(tmp_path).load("r1")
    assert (record.run_id, record.source, record.version) == ("r1", "a.md", 1)


def test_a_record_without_a_version_reads_as_version_one(tmp_path):
    store = _stored(tmp_path)
    conn = sqlite3.connect(store.path)
    data = json.loads(conn.execute("SELECT record FROM runs").fetchone()[0])
    del data["version"]
    conn.execute("UPDATE runs SET record = ?", (json.dumps(data),))
    conn.commit()
    conn.close()
    assert store.load("r1").version == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"version": 7}, "recorded by a newer debate-eval .record version 7; this one reads up"),
        ({"colour": "red"}, "its record is not readable .field 'colour'"),
    ],
)
def test_a_record_this_version_cannot_read_is_a_clear_error(tmp_path, changes, message):
    with pytest.raises(InputError, match=message):
        _stored(tmp_path, **changes).load("r1")
