"""Errors the CLI turns into one clear line and an exit code."""

from __future__ import annotations

from pydantic import ValidationError


class DebateEvalError(Exception):
    """Base class: the message is meant for the user, as one line."""

    exit_code = 1
    # What a failed run had finished (a Transcript), so the caller can save it.
    partial: object | None = None


class InputError(DebateEvalError):
    """The article or the command line cannot be used (exit code 2)."""

    exit_code = 2


class ConfigError(DebateEvalError):
    """The configuration is invalid (exit code 2)."""

    exit_code = 2


class ModelCallError(DebateEvalError):
    """A model call failed for good: the server, the network or the reply (exit code 1)."""

    def __init__(self, role: str, message: str) -> None:
        super().__init__(f"{role}: {message}")
        self.role = role


class StructuredOutputError(ModelCallError):
    """The model's structured reply was missing or invalid, even after one repair retry."""


def first_problem(exc: ValidationError, whole: str = "") -> str:
    """A pydantic validation error as one "where: problem" phrase (its first error), the form
    every file-reading error message uses."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or whole
    return f"{where}: {first['msg']}"
