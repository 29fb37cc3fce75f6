"""Spotting text in an article that addresses AI systems rather than human readers.

The article is always fenced and treated as data (prompts.fence); this only lets the report say
that someone tried to steer an AI reader, which is itself worth knowing about the article.
"""

from __future__ import annotations

import re

_PATTERNS = [
    r"\b(ignore|disregard|forget|override)\b[^.\n]{0,40}\b(previous|prior|above|earlier|all|your)\b"
    r"[^.\n]{0,20}\b(instructions?|prompts?|rules|guidelines|directions)\b",
    r"\b(new|updated|real|actual)\s+(system\s+)?(instructions?|prompt)\s*:",
    r"\b(system|developer)\s*(note|message|prompt|override)\s*:",
    r"^\s*\[?\s*(system|assistant)\s*\]?\s*:",
    r"\byou\s+are\s+(now\s+)?(an?\s+)?(ai|assistant|language\s+model|llm|chatbot|judge|evaluator)\b",
    r"\b(ai|llm|language\s+model|assistant|model|judge|evaluator)s?\b[^.\n]{0,60}"
    r"\b(must|should|shall|will)\b[^.\n]{0,40}\b(rate|label|classify|score|judge|consider)\b",
    r"\b(rate|label|classify|mark|score)\s+(this|the)\s+(article|text|piece|story)\b[^.\n]{0,40}"
    r"\b(as|balanced|neutral|unbiased|well)\b",
    r"</?\s*(article|system|instructions?|im_start|im_end)\s*>",
    r"<\|\s*(im_start|im_end|system|endoftext)\s*\|>",
]
_INSTRUCTION_RE = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE | re.MULTILINE)


def instructions_for_ai(text: str, limit: int = 3) -> list[str]:
    """Up to `limit` passages of `text` that read as instructions to an AI system."""
    found: list[str] = []
    for match in _INSTRUCTION_RE.finditer(text):
        start = text.rfind("\n", 0, match.start()) + 1
        end = text.find("\n", match.end())
        line = " ".join(text[start : end if end != -1 else len(text)].split())
        snippet = line if len(line) <= 120 else line[:119] + "…"
        if snippet not in found:
            found.append(snippet)
        if len(found) == limit:
            break
    return found


def injection_notice(text: str) -> str | None:
    """A notice for the report when the article holds instructions aimed at AI systems."""
    found = instructions_for_ai(text)
    if not found:
        return None
    quoted = "; ".join(f"“{s}”" for s in found)
    return (
        "The article contains text addressed to AI systems rather than readers "
        f"({quoted}). It was treated as part of the article, not followed."
    )
