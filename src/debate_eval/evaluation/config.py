"""Which judges an evaluation runs: the built-in ones and those of a --judge-config file.

[judges.gpt4o]            # a direct rater on another endpoint
kind = "baseline"         # baseline | baseline-prob | checklist | debate | panel
model = "gpt-4o"
base_url = "https://api.openai.com/v1"
prompt = "my_rater.md"    # replaces the role's prompt file; relative to this config file
temperature = 0.3

[judges.trio]
kind = "panel"
members = ["baseline", "gpt4o", "debate"]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Literal

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from debate_eval.core.errors import ConfigError, first_problem
from debate_eval.core.toml import read_toml
from debate_eval.debate.prompts import check_template
from debate_eval.debate.scoring.calibration import (
    Calibration,
    find_calibration,
    read_calibration,
)
from debate_eval.evaluation.judges import (
    DEFAULT_PERSONA,
    PANEL_PERSONAS,
    PROMPT_OF_KIND,
    SCORED_KINDS,
    Judge,
)
from debate_eval.models.chat import RoleSettings, model_name

BUILTIN_JUDGES = ("baseline", "baseline-prob", "checklist", "debate", "panel")


class JudgeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["baseline", "baseline-prob", "checklist", "debate", "panel"]
    model: str | None = None
    base_url: str | None = None
    prompt: Path | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    persona: str | None = None
    members: list[str] = Field(default_factory=list)


class EvalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    judges: dict[str, JudgeConfig] = Field(default_factory=dict)


def read_judge_config(path: Path | None) -> EvalConfig:
    if path is None:
        return EvalConfig()
    data = read_toml(path, "judge config")
    try:
        config = EvalConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"judge config {path}: {first_problem(exc)}") from exc
    for name, judge in config.judges.items():
        if name in BUILTIN_JUDGES:
            raise ConfigError(f"judge config {path}: {name!r} is a built-in judge; rename it")
        if judge.prompt is not None and not judge.prompt.is_absolute():
            config.judges[name] = judge.model_copy(update={"prompt": path.parent / judge.prompt})
    return config


def _template(config: JudgeConfig, name: str) -> str | None:
    if config.prompt is None:
        return None
    try:
        text = config.prompt.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"judge {name}: cannot read prompt {config.prompt}: {exc}") from exc
    try:
        check_template(PROMPT_OF_KIND[config.kind], text)
    except ValueError as exc:
        raise ConfigError(f"judge {name}: {exc}") from exc
    return text


def judge_names(requested: str, config: EvalConfig) -> list[str]:
    names = [n.strip() for n in requested.split(",") if n.strip()]
    known = [*BUILTIN_JUDGES, *config.judges]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ConfigError(
            f"unknown judge(s) {', '.join(unknown) or '(none given)'}; "
            f"expected some of {', '.join(known)}"
        )
    return list(dict.fromkeys(names))


def run_calibration(
    kind: str, model: str, template: str | None, path: Path | None
) -> Calibration | None:
    """The calibration `run` would apply to this judge: the file given, where it is for this
    judge kind, else the matching shipped one; none for a judge with a replaced prompt (run
    never uses one) or one no calibration is fitted for."""
    if kind not in SCORED_KINDS or template is not None:
        return None
    if path is not None and read_calibration(path).judge == kind:
        return find_calibration(kind, model, path)
    return find_calibration(kind, model)


def build_judges(
    names: list[str],
    config: EvalConfig,
    base: RoleSettings,
    make_model: Callable[[RoleSettings], BaseChatModel],
    *,
    method: str,
    repeat: int,
    temperature: float | None,
    endpoint_label: str | None = None,
    calibration_path: Path | None = None,
) -> list[Judge]:
    """Judges for one repeat; each model gets the repeat as its seed (so repeats can differ)."""

    def settings_for(cfg: JudgeConfig) -> RoleSettings:
        temp = cfg.temperature if cfg.temperature is not None else temperature
        return replace(
            base,
            model=cfg.model or base.model,
            base_url=cfg.base_url or base.base_url,
            temperature=base.temperature if temp is None else temp,
            seed=repeat,
        )

    def endpoint_of(settings: RoleSettings) -> str | None:
        # The shared endpoint may have a URL that changes between runs: name it stably.
        return endpoint_label if settings.base_url == base.base_url else None

    def build(name: str, seen: tuple[str, ...] = ()) -> Judge:
        if name in seen:
            raise ConfigError(f"judge {name}: a panel cannot contain itself")
        if name == "panel":
            member = settings_for(JudgeConfig(kind="baseline"))
            members = [
                Judge(
                    f"panel.{i + 1}",
                    "baseline",
                    make_model(member),
                    method,
                    persona=persona,
                    temperature=member.temperature,
                    endpoint=endpoint_of(member),
                )
                for i, persona in enumerate(PANEL_PERSONAS)
            ]
            return Judge("panel", "panel", members=members)
        cfg = config.judges.get(name) or JudgeConfig(kind=name)  # baseline / debate
        if cfg.kind == "panel":
            if len(cfg.members) < 2:
                raise ConfigError(f"judge {name}: a panel needs at least two members")
            members = [build(m, (*seen, name)) for m in cfg.members]
            return Judge(name, "panel", members=members)
        settings = settings_for(cfg)
        model = make_model(settings)
        template = _template(cfg, name)
        return Judge(
            name,
            cfg.kind,
            model,
            method,
            template=template,
            persona=cfg.persona or DEFAULT_PERSONA,
            temperature=settings.temperature,
            endpoint=endpoint_of(settings),
            calibration=run_calibration(cfg.kind, model_name(model), template, calibration_path),
        )

    return [build(n) for n in names]
