"""API keys this process has handed to a model, so any text shown or written can be cleared of them.

A server may echo the key in an error message, and a traceback (--debug) carries that message.
"""

from __future__ import annotations

# Servers for local models (vLLM, Ollama, llama.cpp) accept any key; ChatOpenAI insists on one.
PLACEHOLDER_API_KEY = "not-needed"
# Shorter keys are placeholders ("x", "none"), not secrets; replacing them would mangle words.
_MIN_KEY_LENGTH = 8

_keys_in_use: set[str] = set()


def remember(key: str | None) -> None:
    """Note `key` as a secret to keep out of printed and written text."""
    if key and len(key) >= _MIN_KEY_LENGTH and key != PLACEHOLDER_API_KEY:
        _keys_in_use.add(key)


def redact_keys(text: str) -> str:
    """`text` with every remembered API key replaced by ***."""
    for key in sorted(_keys_in_use, key=len, reverse=True):
        text = text.replace(key, "***")
    return text
