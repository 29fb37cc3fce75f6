"""Settings from flags, environment and config file, in that order of precedence."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from debate_eval.errors import ConfigError, first_problem
from debate_eval.llm import STRUCTURED_METHODS, RoleSettings
from debate_eval.schemas import RATING_JUDGES, ROLES

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"

# Judges decide, so they run at temperature 0; debaters get a little room to argue.
ROLE_DEFAULTS: dict[str, dict[str, float | int]] = {
    "extractor": {"temperature": 0.0, "max_tokens": 900},
    "advocate": {"temperature": 0.4, "max_tokens": 400},
    "skeptic": {"temperature": 0.4, "max_tokens": 400},
    "claim_judge": {"temperature": 0.0, "max_tokens": 300},
    "judge": {"temperature": 0.0, "max_tokens": 1800},
}
JUDGE_ROLES = ("claim_judge", "judge")

ENV_VARS = {
    "api_key": "OPENAI_API_KEY",
    "base_url": "OPENAI_BASE_URL",
    "model": "DEBATE_EVAL_MODEL",
    "judge_model": "DEBATE_EVAL_JUDGE_MODEL",
    "rounds": "DEBATE_EVAL_ROUNDS",
    "max_claims": "DEBATE_EVAL_MAX_CLAIMS",
    "timeout_s": "DEBATE_EVAL_TIMEOUT",
    "structured_method": "DEBATE_EVAL_STRUCTURED_METHOD",
    "local_model": "DEBATE_EVAL_LOCAL_MODEL",
    "max_article_words": "DEBATE_EVAL_MAX_ARTICLE_WORDS",
    "rating_judge": "DEBATE_EVAL_RATING_JUDGE",
    "calibration": "DEBATE_EVAL_CALIBRATION",
}

CONFIG_ENV_VAR = "DEBATE_EVAL_CONFIG"


class RoleOverride(BaseModel):
    """Per-role settings in the config file's [roles.NAME] tables."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    base_url: str | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, gt=0)


class FileConfig(BaseModel):
    """The config file's schema (TOML)."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    judge_model: str | None = None
    base_url: str | None = None
    rounds: int | None = Field(default=None, ge=1, le=10)
    max_claims: int | None = Field(default=None, ge=1, le=12)
    timeout_s: float | None = Field(default=None, gt=0)
    structured_method: str | None = None
    local_model: str | None = None
    max_article_words: int | None = Field(default=None, ge=100)
    rating_judge: str | None = None
    calibration: str | None = None
    roles: dict[str, RoleOverride] = Field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, resolved."""

    model: str | None = None
    judge_model: str | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    rounds: int = 2
    max_claims: int | None = None  # None: the backend's default (5 remote, 3 embedded)
    timeout_s: float = 120.0
    structured_method: str | None = None  # None: the backend's default
    local_model: str | None = None
    # None: the backend's default (what its model's context window holds with room to debate).
    max_article_words: int | None = None
    rating_judge: str | None = None  # None: the calibrated default for the model, else debate
    calibration: str | None = None  # a calibration file (`debate-eval calibrate`)
    roles: dict[str, RoleOverride] = field(default_factory=dict)

    def role_settings(self) -> dict[str, RoleSettings]:
        """Settings for each role's model."""
        model = self.model or DEFAULT_OPENAI_MODEL
        out = {}
        for role in ROLES:
            override = self.roles.get(role, RoleOverride())
            base_model = self.judge_model if role in JUDGE_ROLES and self.judge_model else model
            defaults = ROLE_DEFAULTS[role]
            out[role] = RoleSettings(
                model=override.model or base_model,
                base_url=override.base_url or self.base_url,
                api_key=self.api_key,
                temperature=(
                    override.temperature
                    if override.temperature is not None
                    else float(defaults["temperature"])
                ),
                max_tokens=override.max_tokens or int(defaults["max_tokens"]),
                timeout_s=self.timeout_s,
            )
        return out


def default_config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("debate-eval") / "config.toml"


def read_config_file(path: Path) -> FileConfig:
    """Parse and validate a TOML config file; errors name the file and the bad key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    try:
        config = FileConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"config file {path}: {first_problem(exc)}") from exc
    unknown = set(config.roles) - set(ROLES)
    if unknown:
        raise ConfigError(
            f"config file {path}: unknown role(s) {', '.join(sorted(unknown))}; "
            f"expected {', '.join(ROLES)}"
        )
    return config


def _env_values(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, var in ENV_VARS.items():
        raw = env.get(var)
        if raw is None or raw.strip() == "":
            continue
        if key in ("rounds", "max_claims", "max_article_words"):
            try:
                values[key] = int(raw)
            except ValueError as exc:
                raise ConfigError(f"{var} must be a whole number, not {raw!r}") from exc
        elif key == "timeout_s":
            try:
                values[key] = float(raw)
            except ValueError as exc:
                raise ConfigError(f"{var} must be a number of seconds, not {raw!r}") from exc
        else:
            values[key] = raw.strip()
    return values


def _layers(
    flags: Mapping[str, Any] | None, env: Mapping[str, str], config_path: Path | None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], Path | None]:
    """The values each layer gives: config file, environment, flags (and the file used)."""
    flag_values = {k: v for k, v in (flags or {}).items() if v is not None}
    if config_path is None and env.get(CONFIG_ENV_VAR):
        config_path = Path(env[CONFIG_ENV_VAR])
    if config_path is not None and not config_path.is_file():
        raise ConfigError(f"config file {config_path} does not exist")
    if config_path is None:
        candidate = default_config_path()
        config_path = candidate if candidate.is_file() else None
    file_values: dict[str, Any] = {}
    if config_path is not None:
        file_config = read_config_file(config_path)
        file_values = file_config.model_dump(exclude_none=True, exclude={"roles"})
        if file_config.roles:
            file_values["roles"] = file_config.roles
    return file_values, _env_values(env), flag_values, config_path


def load_settings(
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> Settings:
    """Resolve settings: flags (None means not given) > environment > config file > defaults."""
    env = os.environ if env is None else env
    file_values, env_values, flag_values, _ = _layers(flags, env, config_path)
    settings = replace(Settings(), **{**file_values, **env_values, **flag_values})
    if settings.structured_method is not None and (
        settings.structured_method not in STRUCTURED_METHODS
    ):
        raise ConfigError(
            f"structured_method must be one of {', '.join(STRUCTURED_METHODS)}, "
            f"not {settings.structured_method!r}"
        )
    if settings.rating_judge is not None and settings.rating_judge not in RATING_JUDGES:
        raise ConfigError(
            f"rating_judge must be one of {', '.join(RATING_JUDGES)}, not {settings.rating_judge!r}"
        )
    if not 1 <= settings.rounds <= 10:
        raise ConfigError(f"rounds must be between 1 and 10, not {settings.rounds}")
    if settings.max_claims is not None and not 1 <= settings.max_claims <= 12:
        raise ConfigError(f"max_claims must be between 1 and 12, not {settings.max_claims}")
    if settings.max_article_words is not None and settings.max_article_words < 100:
        raise ConfigError(
            f"max_article_words must be at least 100, not {settings.max_article_words}"
        )
    return settings


def setting_sources(
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> dict[str, str]:
    """Where each setting's value comes from: "flag", "env VAR", "file PATH" or "default"."""
    env = os.environ if env is None else env
    file_values, env_values, flag_values, path = _layers(flags, env, config_path)
    sources = {}
    for name in Settings.__dataclass_fields__:
        if name in flag_values:
            sources[name] = "flag"
        elif name in env_values:
            sources[name] = f"env {ENV_VARS[name]}"
        elif name in file_values:
            sources[name] = f"file {path}"
        else:
            sources[name] = "default"
    return sources
