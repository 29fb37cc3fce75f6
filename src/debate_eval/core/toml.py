"""Reading TOML files (settings, judge configs, label mappings), with one error format."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from debate_eval.core.errors import ConfigError


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """The tables of TOML file `path`; `what` names it in errors ("config file", ...)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {path} is not UTF-8 text: {exc.reason}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} {path} is not valid TOML: {exc}") from exc
