"""The embedded backend's pieces that need no model: selection, profile, weights, server params."""

from __future__ import annotations

import hashlib
import sys

import pytest

from debate_eval.core.errors import ConfigError
from debate_eval.embedded import weights
from debate_eval.embedded.app import build_params
from debate_eval.embedded.weights import LocalModel, assemble, part_paths
from debate_eval.models.backend import EMBEDDED_MAX_TOKENS, select_backend
from debate_eval.models.settings import load_settings


def test_no_key_and_no_endpoint_selects_the_embedded_model():
    backend = select_backend(load_settings(env={}))
    assert backend.kind == "embedded"
    assert backend.local_model.name == "qwen2.5-coder-1.5b"
    options = backend.run_options()
    # One call in flight per server slot (one slot on 2 cores: measured faster than three).
    assert options.max_concurrency == backend.local_model.slots == 1
    # The debate length the 80-article eval measured: 2 claims, one round.
    assert (options.max_claims, options.rounds) == (2, 1)
    assert select_backend(load_settings(env={"OPENAI_API_KEY": "k"})).run_options().rounds == 2
    roles = backend.role_settings("http://127.0.0.1:1/v1")
    for role, rs in roles.items():
        assert rs.model == "qwen2.5-coder-1.5b"
        assert rs.base_url == "http://127.0.0.1:1/v1"
        assert rs.max_tokens <= EMBEDDED_MAX_TOKENS[role]


@pytest.mark.parametrize(
    ("env", "flags", "kind"),
    [
        ({"OPENAI_API_KEY": "sk-x"}, {}, "openai"),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"}, {}, "openai"),
        ({}, {"base_url": "http://127.0.0.1:8000/v1"}, "openai"),
        ({"OPENAI_API_KEY": "sk-x"}, {"local_model": "qwen2.5-coder-0.5b"}, "embedded"),
    ],
)
def test_explicit_settings_win(env, flags, kind):
    backend = select_backend(load_settings(flags, env=env))
    assert backend.kind == kind
    if kind == "openai":
        assert backend.run_options().max_concurrency is None
        assert backend.run_options().max_claims == 5


def test_user_max_claims_beats_the_embedded_profile():
    backend = select_backend(load_settings({"max_claims": 5}, env={}))
    assert backend.run_options().max_claims == 5


def test_server_params_give_every_slot_the_models_context_on_loopback():
    params = build_params("/m.gguf", "qwen", port=8123, n_ctx=8192, threads=2, slots=3,
                          verbose=False)  # fmt: skip
    assert params.model.path == "/m.gguf"
    assert params.model_alias == {"qwen"}
    assert params.hostnames == ["127.0.0.1"]
    assert (params.port, params.n_parallel) == (8123, 3)
    # llama.cpp divides n_ctx among the slots.
    assert params.n_ctx == 3 * 8192
    assert params.cpuparams.n_threads == params.cpuparams_batch.n_threads == 2


def fake_model(tmp_path, chunks: list[bytes], sha: str | None = None) -> LocalModel:
    paths = []
    for i, chunk in enumerate(chunks):
        path = tmp_path / f"part{i}.bin"
        path.write_bytes(chunk)
        paths.append(path)
    model = LocalModel(
        name="tiny",
        description="tiny",
        upstream="-",
        license="Apache-2.0",
        parts=tuple((f"tiny-part{i}", "1.0", f"part{i}.bin") for i in range(len(chunks))),
        sha256=sha or hashlib.sha256(b"".join(chunks)).hexdigest(),
    )
    return model, paths


def test_parts_are_assembled_once_into_the_cache(tmp_path, monkeypatch):
    model, paths = fake_model(tmp_path, [b"GGUF" + b"a" * 100, b"b" * 50, b"c"])
    monkeypatch.setattr(weights, "part_paths", lambda m: paths)
    monkeypatch.setenv("DEBATE_EVAL_CACHE_DIR", str(tmp_path / "cache"))
    target = assemble(model)
    assert target == tmp_path / "cache" / "models" / "tiny.gguf"
    assert target.read_bytes() == b"GGUF" + b"a" * 100 + b"b" * 50 + b"c"
    monkeypatch.setattr(weights, "part_paths", lambda m: pytest.fail("re-assembled"))
    assert assemble(model) == target


def test_a_checksum_mismatch_is_refused(tmp_path, monkeypatch):
    model, paths = fake_model(tmp_path, [b"x" * 10], sha="0" * 64)
    monkeypatch.setattr(weights, "part_paths", lambda m: paths)
    monkeypatch.setenv("DEBATE_EVAL_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(ConfigError, match=r"expected 0000.*refusing to use them"):
        assemble(model)
    assert list((tmp_path / "cache" / "models").iterdir()) == []


def test_missing_part_package_names_the_install_command(tmp_path):
    model, _ = fake_model(tmp_path, [b"x"])
    with pytest.raises(ConfigError) as info:
        part_paths(model)
    assert "missing tiny-part0" in str(info.value)
    assert "pip install tiny-part0==1.0" in str(info.value)


def test_missing_engine_names_the_install_command(monkeypatch):
    from debate_eval.embedded import server

    monkeypatch.setitem(sys.modules, "xllamacpp", None)
    with pytest.raises(ConfigError, match=r"pip install 'xllamacpp==2026.10.11549'"):
        server.check_installed()


def test_prompt_sharing_is_wired_only_for_a_multi_slot_embedded_server():
    from dataclasses import replace

    from debate_eval.models.backend import with_prompt_sharing
    from debate_eval.models.chat import RoleModels

    models = RoleModels(*(object() for _ in range(5)))
    embedded = select_backend(load_settings(env={}))
    remote = select_backend(load_settings(env={"OPENAI_API_KEY": "sk-x"}))
    url = "http://127.0.0.1:1/v1"
    assert with_prompt_sharing(embedded, models, url).share_prompt_cache is None
    assert with_prompt_sharing(remote, models, url).share_prompt_cache is None
    three = replace(embedded, local_model=replace(embedded.local_model, slots=3))
    shared = with_prompt_sharing(three, models, url).share_prompt_cache
    assert shared is not None and shared.args == (url,)
    assert shared.func.__name__ == "share_cached_prompt"


def test_a_run_reuses_a_served_server_only_with_its_own_slot_count(tmp_path, monkeypatch):
    """`serve` records its slots; a run reuses the recorded server only when it has as many
    slots as the run bounds its calls by, and `serve` refuses a second server either way."""
    import json
    from dataclasses import replace

    from debate_eval.core.errors import DebateEvalError
    from debate_eval.embedded import server as server_module
    from debate_eval.models.backend import embedded_model

    monkeypatch.setattr(server_module, "state_file", lambda: tmp_path / "server.json")
    monkeypatch.setattr(server_module, "serves", lambda base_url, alias: True)
    one = embedded_model(load_settings({}, env={}))
    two = embedded_model(load_settings({}, env={"DEBATE_EVAL_EMBEDDED_SLOTS": "2"}))
    assert (one.slots, two.slots) == (1, 2)
    record = {"base_url": "http://127.0.0.1:9/v1", "model": one.name, "pid": 1, "slots": 2}
    (tmp_path / "server.json").write_text(json.dumps(record))
    assert server_module.find_running(one) is None
    assert server_module.find_running(two).slots == 2
    # A record from before slots were recorded: one slot.
    del record["slots"]
    (tmp_path / "server.json").write_text(json.dumps(record))
    assert server_module.find_running(one).base_url == "http://127.0.0.1:9/v1"
    assert server_module.find_running(replace(one, slots=3)) is None
    with pytest.raises(DebateEvalError, match=r"already runs at http://127.0.0.1:9/v1 \(1 slot\)"):
        next(server_module.serve_forever(two))
