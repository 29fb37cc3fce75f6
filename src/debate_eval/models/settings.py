"""Settings from flags, environment and config file, in that order of precedence."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from debate_eval.core.errors import ConfigError, first_problem
from debate_eval.core.schemas import ROLES, RatingJudge
from debate_eval.core.toml import read_toml
from debate_eval.models.roles import RoleSettings, StructuredMethod

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

CONFIG_ENV_VAR = "DEBATE_EVAL_CONFIG"


def setting(
    default: Any,
    help: str,
    *,
    env: str | None = None,
    flag: str | None = None,
    in_file: bool = True,
    shown_default: str | None = None,
    **rules: Any,
) -> Any:
    """A settings field with what flags, env, the config file, `doctor` and README's table
    read from it: its help, environment variable, flag, whether a config file may set it, and
    the default to show when it depends on the backend."""
    extra = {"env": env, "flag": flag, "in_file": in_file, "shown_default": shown_default}
    return Field(default, description=help, json_schema_extra=extra, **rules)


class RoleOverride(BaseModel):
    """Per-role settings in the config file's [roles.NAME] tables."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    base_url: str | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, gt=0)


class Settings(BaseModel):
    """Every setting, resolved: flags > environment > config file > defaults. The one place a
    setting is declared (its bounds, help, env var, flag)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str | None = setting(
        None,
        "Model for every role.",
        env="DEBATE_EVAL_MODEL",
        flag="--model",
        shown_default=f"{DEFAULT_OPENAI_MODEL}; the embedded model with no key and no endpoint",
    )
    judge_model: str | None = setting(
        None,
        "Model for the claim judge and the report judge.",
        env="DEBATE_EVAL_JUDGE_MODEL",
        flag="--judge-model",
        shown_default="the model",
    )
    base_url: str | None = setting(
        None,
        "OpenAI-compatible endpoint, e.g. http://localhost:8000/v1.",
        env="OPENAI_BASE_URL",
        flag="--base-url",
    )
    api_key: str | None = setting(
        None, "API key for the endpoint.", env="OPENAI_API_KEY", in_file=False, repr=False
    )
    rounds: int | None = setting(
        None,
        "Debate rounds per claim.",
        env="DEBATE_EVAL_ROUNDS",
        flag="--rounds",
        shown_default="2; 1 on the embedded model",
        ge=1,
        le=10,
    )
    max_claims: int | None = setting(
        None,
        "Most claims to debate.",
        env="DEBATE_EVAL_MAX_CLAIMS",
        flag="--max-claims",
        shown_default="5; 2 on the embedded model",
        ge=1,
        le=12,
    )
    timeout_s: float = setting(
        120.0,
        "Seconds before one model call times out.",
        env="DEBATE_EVAL_TIMEOUT",
        flag="--timeout",
        gt=0,
    )
    structured_method: StructuredMethod | None = setting(
        None,
        "How structured replies are asked for: function_calling, json_mode or json_text.",
        env="DEBATE_EVAL_STRUCTURED_METHOD",
        shown_default="function_calling; json_text on the embedded model",
    )
    local_model: str | None = setting(
        None,
        "Use the embedded model: qwen2.5-coder-1.5b (default) or qwen2.5-coder-0.5b.",
        env="DEBATE_EVAL_LOCAL_MODEL",
        flag="--local-model",
    )
    embedded_slots: int | None = setting(
        None,
        "Parallel sequences of the embedded server: calls in flight once the rating is "
        "measured (the reading and the rating go one call at a time whatever this is, so their "
        "answers do not depend on it); the debate's shared prefix is read once and copied into "
        "every slot. On 2 cores, 2 slots finished the example 5% sooner in one pair of runs, "
        "not conclusive (docs/performance.md); set 2 on 4 or more cores.",
        env="DEBATE_EVAL_EMBEDDED_SLOTS",
        shown_default="1",
        ge=1,
        le=16,
    )
    max_article_words: int | None = setting(
        None,
        "Cut longer articles to this many words, with a notice.",
        env="DEBATE_EVAL_MAX_ARTICLE_WORDS",
        flag="--max-article-words",
        shown_default="20000; 3500 on the embedded model",
        ge=100,
    )
    rating_judge: RatingJudge | None = setting(
        None,
        "How the rating is chosen: debate, checklist or baseline-prob.",
        env="DEBATE_EVAL_RATING_JUDGE",
        flag="--rating-judge",
        shown_default="the judge calibrated best for the model, else debate",
    )
    calibration: str | None = setting(
        None,
        "A calibration file from `debate-eval calibrate` for the rating judge.",
        env="DEBATE_EVAL_CALIBRATION",
        flag="--calibration",
        shown_default="a shipped one that matches, if any",
    )
    roles: dict[str, RoleOverride] = setting(
        {}, "Per-role model, base_url, temperature, max_tokens ([roles.NAME] tables)."
    )

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, roles: dict[str, RoleOverride]) -> dict[str, RoleOverride]:
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(
                f"unknown role(s) {', '.join(sorted(unknown))}; expected {', '.join(ROLES)}"
            )
        return roles

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


def _meta(name: str) -> dict[str, Any]:
    return Settings.model_fields[name].json_schema_extra  # type: ignore[return-value]


ENV_VARS: dict[str, str] = {
    name: _meta(name)["env"] for name in Settings.model_fields if _meta(name)["env"]
}


def _bounds(name: str) -> str:
    rules = {type(m).__name__: m for m in Settings.model_fields[name].metadata}
    low = rules.get("Ge")
    high = rules.get("Le")
    if low is not None and high is not None:
        return f"{low.ge}-{high.le}"
    if low is not None:
        return f"at least {low.ge}"
    if "Gt" in rules:
        return f"more than {rules['Gt'].gt}"
    return ""


def shown_default(name: str) -> str:
    default = Settings.model_fields[name].default
    return _meta(name)["shown_default"] or ("none" if default in (None, {}) else str(default))


def flag_help(name: str) -> str:
    """A flag's help: the setting's description, its bounds and its default."""
    bounds = _bounds(name)
    text = Settings.model_fields[name].description or ""
    if bounds:
        text = f"{text[:-1]} ({bounds})." if text.endswith(".") else f"{text} ({bounds})"
    return f"{text} [default: {shown_default(name)}]"


def settings_table() -> str:
    """README's settings table (Markdown), from the fields."""
    rows = [
        "| setting (config file key) | flag | environment | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        meta = _meta(name)
        key = f"`{name}`" if meta["in_file"] else f"{name} (not in the file)"
        bounds = _bounds(name)
        meaning = (field.description or "") + (f" Range: {bounds}." if bounds else "")
        rows.append(
            f"| {key} | {'`' + meta['flag'] + '`' if meta['flag'] else ''} "
            f"| {'`' + meta['env'] + '`' if meta['env'] else ''} "
            f"| {shown_default(name)} | {meaning} |"
        )
    return "\n".join(rows)


def default_config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("debate-eval") / "config.toml"


def _validated(values: Mapping[str, Any], where: str, *, where_names_it: bool = False) -> dict:
    """`values` (one source's) checked against the fields; errors name the source, and the
    setting unless the source already does (`where_names_it`: a flag or variable)."""
    try:
        checked = Settings.model_validate(values)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"] if where_names_it else first_problem(exc)
        raise ConfigError(f"{where}: {problem}") from exc
    return {name: getattr(checked, name) for name in values}


def _validated_one(name: str, value: Any, source: str) -> dict[str, Any]:
    """One setting from a flag or environment variable; the error names it and the value."""
    return _validated({name: value}, f"{source} {value!r}", where_names_it=True)


def read_config_file(path: Path) -> dict[str, Any]:
    """The settings a TOML config file gives; errors name the file and the bad key."""
    data = read_toml(path, "config file")
    secret = [name for name in data if name in Settings.model_fields and not _meta(name)["in_file"]]
    if secret:
        raise ConfigError(
            f"config file {path}: {secret[0]} is not read from a config file; use "
            f"{_meta(secret[0])['env']}"
        )
    return _validated(data, f"config file {path}")


def _env_values(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, var in ENV_VARS.items():
        raw = env.get(var)
        if raw is None or raw.strip() == "":
            continue
        values.update(_validated_one(name, raw.strip(), var))
    return values


def _layers(
    flags: Mapping[str, Any] | None, env: Mapping[str, str], config_path: Path | None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], Path | None]:
    """The values each layer gives: config file, environment, flags (and the file used)."""
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    flag_values: dict[str, Any] = {}
    for name, value in given.items():
        flag = _meta(name)["flag"] if name in Settings.model_fields else None
        flag_values.update(_validated_one(name, value, flag or name))
    if config_path is None and env.get(CONFIG_ENV_VAR):
        config_path = Path(env[CONFIG_ENV_VAR])
    if config_path is not None and not config_path.is_file():
        raise ConfigError(f"config file {config_path} does not exist")
    if config_path is None:
        candidate = default_config_path()
        config_path = candidate if candidate.is_file() else None
    file_values = read_config_file(config_path) if config_path is not None else {}
    return file_values, _env_values(env), flag_values, config_path


def load_settings(
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> Settings:
    """Resolve settings: flags (None means not given) > environment > config file > defaults."""
    env = os.environ if env is None else env
    file_values, env_values, flag_values, _ = _layers(flags, env, config_path)
    return Settings(**{**file_values, **env_values, **flag_values})


def setting_sources(
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> dict[str, str]:
    """Where each setting's value comes from: "flag", "env VAR", "file PATH" or "default"."""
    env = os.environ if env is None else env
    file_values, env_values, flag_values, path = _layers(flags, env, config_path)
    sources = {}
    for name in Settings.model_fields:
        if name in flag_values:
            sources[name] = "flag"
        elif name in env_values:
            sources[name] = f"env {ENV_VARS[name]}"
        elif name in file_values:
            sources[name] = f"file {path}"
        else:
            sources[name] = "default"
    return sources


@dataclass(frozen=True)
class RunOptions:
    """Per-run debate settings."""

    rounds: int = 2
    max_claims: int = 5
    skeptic_first: bool = False
    words_per_turn: int = 30
    history_turns: int = 2
    # At most this many model calls in flight; None leaves every debate concurrent.
    max_concurrency: int | None = None
    # How the report's label is chosen: debate, checklist or baseline-prob (None: the judge
    # shipped calibrated as the best for the judge model), and the path of a calibration file
    # for it (None: a shipped calibration that matches, if any).
    rating_judge: str | None = None
    calibration: str | None = None
