"""Settings precedence: flags > environment > config file > defaults."""

from __future__ import annotations

import pytest

from debate_eval.core.errors import ConfigError
from debate_eval.models.settings import load_settings

FILE = """
model = "file-model"
base_url = "http://file:1/v1"
rounds = 3
[roles.advocate]
model = "advocate-model"
temperature = 0.9
"""


def test_flags_beat_env_beat_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(FILE)
    env = {"DEBATE_EVAL_MODEL": "env-model", "OPENAI_BASE_URL": "http://env:2/v1"}
    s = load_settings({"model": "flag-model", "base_url": None}, env=env, config_path=path)
    assert s.model == "flag-model"
    assert s.base_url == "http://env:2/v1"
    assert s.rounds == 3
    roles = s.role_settings()
    assert roles["advocate"].model == "advocate-model"
    assert roles["advocate"].temperature == 0.9
    assert roles["skeptic"].model == "flag-model"


def test_judges_run_at_temperature_zero_with_their_own_model():
    s = load_settings({"judge_model": "big"}, env={"OPENAI_API_KEY": "sk-test"})
    roles = s.role_settings()
    assert roles["judge"].model == roles["claim_judge"].model == "big"
    assert roles["judge"].temperature == roles["claim_judge"].temperature == 0.0
    assert roles["advocate"].model == "gpt-4o-mini"
    assert roles["judge"].max_tokens > roles["advocate"].max_tokens
    assert roles["judge"].api_key == "sk-test"


def test_config_file_from_env_var(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('model = "m"\n')
    assert load_settings(env={"DEBATE_EVAL_CONFIG": str(path)}).model == "m"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rounds = 0", "rounds: Input should be greater than or equal to 1"),
        ("colour = 'red'", "colour: Extra inputs are not permitted"),
        ("[roles.narrator]\nmodel = 'x'", "unknown role(s) narrator; expected extractor"),
        ("model = ", "is not valid TOML"),
    ],
)
def test_bad_config_file_names_the_problem(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=None) as info:
        load_settings(env={}, config_path=path)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            {"env": {"DEBATE_EVAL_ROUNDS": "two"}},
            "DEBATE_EVAL_ROUNDS 'two': Input should be a valid",
        ),
        (
            {"env": {"DEBATE_EVAL_STRUCTURED_METHOD": "xml"}},
            "DEBATE_EVAL_STRUCTURED_METHOD 'xml': Input should be 'function_calling', "
            "'json_mode' or 'json_text'",
        ),
        ({"flags": {"rounds": 11}}, "--rounds 11: Input should be less than or equal to 10"),
        (
            {"flags": {"rating_judge": "vote"}},
            "--rating-judge 'vote': Input should be 'debate', 'checklist' or 'baseline-prob'",
        ),
    ],
)
def test_bad_flag_and_env_values_name_the_flag_or_variable_and_the_allowed_values(source, message):
    with pytest.raises(ConfigError) as info:
        load_settings(source.get("flags"), env=source.get("env", {}))
    assert str(info.value) == message or str(info.value).startswith(message)


def test_the_api_key_is_never_read_from_a_config_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('api_key = "sk-in-a-file"\n')
    with pytest.raises(ConfigError, match="api_key is not read from a config file; use OPENAI_API"):
        load_settings(env={}, config_path=path)


def test_flag_help_and_readme_table_come_from_the_settings_model():
    from pathlib import Path

    from debate_eval.models.settings import flag_help, settings_table

    assert flag_help("rounds") == (
        "Debate rounds per claim (1-10). [default: 2; 1 on the embedded model]"
    )
    assert "(1-12)" in flag_help("max_claims")
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert settings_table() in readme


def test_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(env={}, config_path=tmp_path / "nope.toml")


def test_doctor_shows_each_setting_with_its_source_and_checks_the_endpoint(
    stub_server, tmp_path, monkeypatch
):
    from typer.testing import CliRunner

    from debate_eval import cli

    config = tmp_path / "config.toml"
    config.write_text(
        'rounds = 3\njudge_model = "file-judge"\n[roles.skeptic]\ntemperature = 0.9\n'
    )
    monkeypatch.setenv("DEBATE_EVAL_MAX_CLAIMS", "4")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789")
    result = CliRunner().invoke(
        cli.app,
        ["doctor", "--base-url", stub_server.base_url, "--model", "stub", "--config", str(config)],
    )
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert f"base_url: {stub_server.base_url}  (flag)" in lines
    assert "model: stub  (flag)" in lines
    assert "max_claims: 4  (env DEBATE_EVAL_MAX_CLAIMS)" in lines
    assert f"rounds: 3  (file {config})" in lines
    assert "debate: up to 4 claims × 3 rounds" in lines
    assert f"judge_model: file-judge  (file {config})" in lines
    assert "timeout_s: 120.0  (default)" in lines
    assert "api_key: sk-…6789  (env OPENAI_API_KEY)" in lines
    assert "roles.skeptic: {'temperature': 0.9}" in lines
    assert "sk-test-0123456789" not in result.stdout
    assert any(line.startswith("check: the model answered") for line in lines)
    assert len(stub_server.requests()) == 1


def test_embedded_slots_setting_sets_the_servers_slots_and_calls_in_flight():
    from debate_eval.core.schemas import ROLES
    from debate_eval.models.backend import select_backend, with_prompt_sharing
    from debate_eval.models.chat import RoleSettings, build_role_models

    default = select_backend(load_settings(env={}))
    assert default.local_model.slots == 1
    backend = select_backend(load_settings(env={"DEBATE_EVAL_EMBEDDED_SLOTS": "3"}))
    assert backend.local_model.slots == 3
    assert backend.run_options().max_concurrency == 3
    models = build_role_models({r: RoleSettings(model="m") for r in ROLES}, "json_text")
    url = "http://127.0.0.1:9/v1"
    assert with_prompt_sharing(default, models, url).share_prompt_cache is None
    assert with_prompt_sharing(backend, models, url).share_prompt_cache is not None
